//! The Docker Engine API, through bollard, for exactly what the container world does: label and
//! name networks and containers, start, kill, pause and unpause containers, cut and restore their
//! network links, copy a file in and a directory out, and remove everything a run made.
//!
//! Why bollard and not testcontainers: testcontainers 0.28 talks to the engine at bollard's newest
//! API version (1.53) and never negotiates, and Debian's Docker Engine 20.10 answers every such
//! request with `client version 1.53 is too new. Maximum supported API version is 1.41`. Here the
//! client negotiates the version once at connect.
//!
//! Every network and container made here carries the labels [`LABEL`]`=1` and
//! [`RUN_LABEL`]`=<run id>` and a name starting with [`NAME_PREFIX`]. This module must never
//! change or remove anything that does not carry its run's label.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use bollard::models::{
    ContainerCreateBody, ContainerSummary, EndpointIpamConfig, EndpointSettings, Ipam, IpamConfig,
    Network, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest,
    NetworkingConfig,
};
use bollard::query_parameters::{
    CreateContainerOptions, DownloadFromContainerOptions, InspectContainerOptions,
    KillContainerOptions, ListContainersOptions, ListNetworksOptions, RemoveContainerOptions,
    StartContainerOptions, UploadToContainerOptions,
};
use thiserror::Error;

/// Every container and network of the project carries `outbox-chaos=1`.
pub const LABEL: &str = "outbox-chaos";
/// ... and `outbox-chaos.run=<run id>`, which cleanup and the leftovers check filter on.
pub const RUN_LABEL: &str = "outbox-chaos.run";
/// ... and `outbox-chaos.pid=<pid>` and `outbox-chaos.host=<hostname>`: the process that made
/// it, so a later run can tell a leftover of a process that is gone (killed by SIGKILL, a crash)
/// from a run still going on.
pub const PID_LABEL: &str = "outbox-chaos.pid";
pub const HOST_LABEL: &str = "outbox-chaos.host";
/// Every container and network name starts with it.
pub const NAME_PREFIX: &str = "outbox-chaos-";
/// The entrypoint of every container: where both the project's image and the official `redis:7`
/// keep the binary (which is also Sentinel, with `--sentinel`).
pub const REDIS_SERVER: &str = "/usr/local/bin/redis-server";

#[derive(Debug, Error)]
pub enum DockerError {
    #[error("Docker is not reachable ({0}): start the daemon (`sudo systemctl start docker`, or `sudo dockerd &`) and check that this user may use it (`docker info`); DOCKER_HOST names another engine")]
    Unreachable(String),
    #[error("docker: {what}: {source}")]
    Api {
        what: String,
        #[source]
        source: bollard::errors::Error,
    },
    /// An archive the engine handed out that could not be read.
    #[error("docker: {0}")]
    Archive(String),
}

impl DockerError {
    /// A conflict the caller may resolve by choosing again (a subnet in use, a name taken).
    pub fn is_conflict(&self) -> bool {
        match self {
            DockerError::Api {
                source: bollard::errors::Error::DockerResponseServerError { message, .. },
                ..
            } => message.contains("overlaps") || message.contains("already"),
            _ => false,
        }
    }
}

/// What one container is: its name, image, command, and its address on its first network.
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    /// Arguments of `redis-server` (the entrypoint is set to it, whatever the image's is).
    pub args: Vec<String>,
    pub network: String,
    pub ip: Ipv4Addr,
    /// The container's role in the topology (`redis`, `replica-1`, `sentinel-2`), as a label.
    pub role: String,
}

/// A connected Docker client bound to one run id. Cheap to clone.
#[derive(Clone)]
pub struct Docker {
    api: bollard::Docker,
    run: String,
}

fn api(what: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> DockerError {
    let what = what.into();
    move |source| DockerError::Api { what, source }
}

impl Docker {
    /// Connects (`DOCKER_HOST`, else the local socket), negotiates the API version and pings.
    pub async fn connect(run: &str) -> Result<Docker, DockerError> {
        let unreachable = |e: bollard::errors::Error| DockerError::Unreachable(e.to_string());
        let api = bollard::Docker::connect_with_defaults().map_err(unreachable)?;
        let api = api.negotiate_version().await.map_err(unreachable)?;
        api.ping().await.map_err(unreachable)?;
        Ok(Docker {
            api,
            run: run.to_string(),
        })
    }

    pub fn run_id(&self) -> &str {
        &self.run
    }

    fn labels(&self, role: &str) -> HashMap<String, String> {
        HashMap::from([
            (LABEL.to_string(), "1".to_string()),
            (RUN_LABEL.to_string(), self.run.clone()),
            (format!("{LABEL}.role"), role.to_string()),
            (PID_LABEL.to_string(), std::process::id().to_string()),
            (HOST_LABEL.to_string(), this_host()),
        ])
    }

    /// Every run with a container or network labelled [`LABEL`] whose owning process is gone
    /// (its pid label names a process this host no longer runs), with what it left; and the
    /// runs whose owner cannot be told (no pid label: an older binary; another host), which
    /// are only reported. Sorted by run id.
    pub async fn orphans(&self) -> Result<Orphans, DockerError> {
        let (containers, networks) = self.labelled(format!("{LABEL}=1")).await?;
        let labelled = containers
            .into_iter()
            .map(|c| c.labels)
            .chain(networks.into_iter().map(|n| n.labels));
        let mut orphans = Orphans::default();
        for labels in labelled.flatten() {
            let Some(run) = labels.get(RUN_LABEL) else {
                continue;
            };
            match owner_alive(&labels) {
                Some(false) => orphans.gone.insert(run.clone()),
                Some(true) => false,
                None => orphans.unknown.insert(run.clone()),
            };
        }
        Ok(orphans)
    }

    pub async fn image_exists(&self, image: &str) -> Result<bool, DockerError> {
        match self.api.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(api(format!("inspect image {image}"))(e)),
        }
    }

    /// The value of one of the image's labels; `None` when the image lacks it or is missing.
    pub async fn image_label(
        &self,
        image: &str,
        label: &str,
    ) -> Result<Option<String>, DockerError> {
        match self.api.inspect_image(image).await {
            Ok(info) => Ok(info
                .config
                .and_then(|c| c.labels)
                .and_then(|mut labels| labels.remove(label))),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(api(format!("inspect image {image}"))(e)),
        }
    }

    /// A bridge network with the given `/24` subnet (so containers keep fixed addresses).
    pub async fn create_network(&self, name: &str, subnet: &str) -> Result<(), DockerError> {
        let request = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".to_string()),
            ipam: Some(Ipam {
                config: Some(vec![IpamConfig {
                    subnet: Some(subnet.to_string()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            labels: Some(self.labels("network")),
            ..Default::default()
        };
        self.api
            .create_network(request)
            .await
            .map_err(api(format!("create network {name} ({subnet})")))?;
        Ok(())
    }

    /// Creates (does not start) a container on `spec.network` at `spec.ip`.
    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<(), DockerError> {
        let endpoint = EndpointSettings {
            ipam_config: Some(EndpointIpamConfig {
                ipv4_address: Some(spec.ip.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            entrypoint: Some(vec![REDIS_SERVER.to_string()]),
            cmd: Some(spec.args.clone()),
            labels: Some(self.labels(&spec.role)),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(spec.network.clone(), endpoint)])),
            }),
            ..Default::default()
        };
        let options = CreateContainerOptions {
            name: Some(spec.name.clone()),
            ..Default::default()
        };
        self.api
            .create_container(Some(options), body)
            .await
            .map_err(api(format!("create container {}", spec.name)))?;
        Ok(())
    }

    /// Copies one file into a (created) container's `dir`.
    pub async fn upload_file(
        &self,
        container: &str,
        dir: &str,
        file: &str,
        contents: &[u8],
    ) -> Result<(), DockerError> {
        let options = UploadToContainerOptions {
            path: dir.to_string(),
            ..Default::default()
        };
        let tar = tar_one_file(file, contents);
        self.api
            .upload_to_container(
                container,
                Some(options),
                bollard::body_full(bytes::Bytes::from(tar)),
            )
            .await
            .map_err(api(format!("copy {file} into {container}")))
    }

    /// The regular files under `path` in a container (running or stopped), as the archive API
    /// hands them out, with their paths relative to `path`.
    pub async fn download_dir(
        &self,
        container: &str,
        path: &str,
    ) -> Result<Vec<TarFile>, DockerError> {
        use futures_util::StreamExt;
        let options = DownloadFromContainerOptions {
            path: path.to_string(),
        };
        let what = || format!("copy {path} out of {container}");
        let mut stream = self.api.download_from_container(container, Some(options));
        let mut archive = Vec::new();
        while let Some(chunk) = stream.next().await {
            archive.extend_from_slice(&chunk.map_err(api(what()))?);
        }
        tar_files(&archive).map_err(|e| DockerError::Archive(format!("{}: {e}", what())))
    }

    pub async fn start(&self, container: &str) -> Result<(), DockerError> {
        self.api
            .start_container(container, None::<StartContainerOptions>)
            .await
            .map_err(api(format!("start {container}")))
    }

    /// SIGKILL: a crash, not a shutdown.
    pub async fn kill(&self, container: &str) -> Result<(), DockerError> {
        let options = KillContainerOptions {
            signal: "KILL".to_string(),
        };
        self.api
            .kill_container(container, Some(options))
            .await
            .map_err(api(format!("kill {container}")))
    }

    /// The process id of the container's main process on this host: its network namespace is
    /// `/proc/<pid>/ns/net` (0 when it is not running).
    pub async fn pid(&self, container: &str) -> Result<u32, DockerError> {
        let info = self
            .api
            .inspect_container(container, None::<InspectContainerOptions>)
            .await
            .map_err(api(format!("inspect {container}")))?;
        Ok(info
            .state
            .and_then(|s| s.pid)
            .map_or(0, |p| u32::try_from(p).unwrap_or(0)))
    }

    pub async fn pause(&self, container: &str) -> Result<(), DockerError> {
        self.api
            .pause_container(container)
            .await
            .map_err(api(format!("pause {container}")))
    }

    pub async fn unpause(&self, container: &str) -> Result<(), DockerError> {
        self.api
            .unpause_container(container)
            .await
            .map_err(api(format!("unpause {container}")))
    }

    /// Attaches `container` to `network` at `ip` (the address it had, so peers still find it).
    pub async fn connect_network(
        &self,
        network: &str,
        container: &str,
        ip: Ipv4Addr,
    ) -> Result<(), DockerError> {
        let request = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(EndpointSettings {
                ipam_config: Some(EndpointIpamConfig {
                    ipv4_address: Some(ip.to_string()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        };
        self.api
            .connect_network(network, request)
            .await
            .map_err(api(format!("connect {container} to {network}")))
    }

    /// Cuts every link of `container` on `network`: packets to its address go nowhere.
    pub async fn disconnect_network(
        &self,
        network: &str,
        container: &str,
    ) -> Result<(), DockerError> {
        let request = NetworkDisconnectRequest {
            container: container.to_string(),
            force: Some(true),
        };
        self.api
            .disconnect_network(network, request)
            .await
            .map_err(api(format!("disconnect {container} from {network}")))
    }

    /// The containers (running or not) and networks carrying the label `label` (`key=value`).
    async fn labelled(
        &self,
        label: String,
    ) -> Result<(Vec<ContainerSummary>, Vec<Network>), DockerError> {
        let filters = HashMap::from([("label".to_string(), vec![label])]);
        let containers = self
            .api
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters.clone()),
                ..Default::default()
            }))
            .await
            .map_err(api("list containers"))?;
        let networks = self
            .api
            .list_networks(Some(ListNetworksOptions {
                filters: Some(filters),
            }))
            .await
            .map_err(api("list networks"))?;
        Ok((containers, networks))
    }

    /// Names of this run's containers and networks still present.
    pub async fn leftovers(&self) -> Result<Leftovers, DockerError> {
        let (containers, networks) = self.labelled(format!("{RUN_LABEL}={}", self.run)).await?;
        let mut found = Leftovers {
            containers: containers
                .into_iter()
                .filter_map(|c| {
                    c.names?
                        .first()
                        .map(|n| n.trim_start_matches('/').to_string())
                })
                .collect(),
            networks: networks.into_iter().filter_map(|n| n.name).collect(),
        };
        found.containers.sort();
        found.networks.sort();
        Ok(found)
    }

    /// Removes every container (with its anonymous volumes) and then every network of this run.
    /// Goes on past failures and returns what is left.
    pub async fn remove_run(&self) -> Result<Leftovers, DockerError> {
        let found = self.leftovers().await?;
        for container in &found.containers {
            let options = RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            // A failure shows up in the final listing.
            let _ = self.api.remove_container(container, Some(options)).await;
        }
        for network in &found.networks {
            let _ = self.api.remove_network(network).await;
        }
        self.leftovers().await
    }
}

/// Runs left behind by processes that are gone, and runs whose owner cannot be told.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Orphans {
    pub gone: std::collections::BTreeSet<String>,
    pub unknown: std::collections::BTreeSet<String>,
}

/// This machine's host name, as the labels carry it.
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Whether the process named by the labels still runs: `None` when it cannot be told (no pid
/// label, or made on another host).
fn owner_alive(labels: &HashMap<String, String>) -> Option<bool> {
    let pid: u32 = labels.get(PID_LABEL)?.parse().ok()?;
    if labels.get(HOST_LABEL)? != &this_host() {
        return None;
    }
    Some(pid_alive(pid))
}

/// A process with this pid exists on this host (Linux: its `/proc` entry).
pub fn pid_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Containers and networks of one run that exist.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Leftovers {
    pub containers: Vec<String>,
    pub networks: Vec<String>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.networks.is_empty()
    }
}

/// A ustar archive holding one regular file, `name`, with `contents` (what Docker's archive API
/// takes to copy a file into a container).
pub fn tar_one_file(name: &str, contents: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_ustar();
    header.set_size(contents.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_data(&mut header, name, contents)
        .expect("a file name a ustar header holds (the callers' fixed names)");
    builder
        .into_inner()
        .expect("finishing a tar archive in memory cannot fail")
}

/// One regular file of an archive: its path below the archive's top directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TarFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// The regular files of a tar archive (ustar, with the PAX and GNU long names Docker writes for
/// paths over 100 bytes), each path without its first component (the directory archived).
pub fn tar_files(archive: &[u8]) -> Result<Vec<TarFile>, String> {
    use std::io::Read;
    let mut files = Vec::new();
    let mut reader = tar::Archive::new(archive);
    for entry in reader.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = entry
            .path()
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .into_owned();
        let path = name
            .split_once('/')
            .map_or("", |(_, rest)| rest)
            .to_string();
        let mut contents = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut contents)
            .map_err(|e| format!("{name}: {e}"))?;
        if !path.is_empty() {
            files.push(TarFile { path, contents });
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_reads_back_its_files_below_the_top_directory() {
        // As Docker hands a directory out: the directory itself, then its files, one of them
        // with a name too long for a ustar header (a GNU long-name entry precedes it).
        let long = format!("power/{}", "n".repeat(150));
        let mut builder = tar::Builder::new(Vec::new());
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_size(0);
        builder.append_data(&mut dir, "power/", &[][..]).unwrap();
        for (name, body) in [("power/a%2Fb", &b"12 3.5\n"[..]), (long.as_str(), b"x")] {
            let mut file = tar::Header::new_gnu();
            file.set_size(body.len() as u64);
            builder.append_data(&mut file, name, body).unwrap();
        }
        let archive = builder.into_inner().unwrap();
        let files = tar_files(&archive).unwrap();
        assert_eq!(
            files,
            [
                TarFile {
                    path: "a%2Fb".into(),
                    contents: b"12 3.5\n".to_vec()
                },
                TarFile {
                    path: "n".repeat(150),
                    contents: b"x".to_vec()
                }
            ]
        );
        let mut cut = tar_one_file("power/x", b"abc");
        cut.truncate(514);
        assert!(tar_files(&cut).is_err(), "a cut archive is an error");
    }

    #[test]
    fn a_one_file_tar_reads_back_as_that_file() {
        use std::io::Read;
        let tar = tar_one_file("sentinel.conf", b"port 26379\n");
        let mut archive = tar::Archive::new(&tar[..]);
        let mut read = Vec::new();
        for entry in archive.entries().unwrap() {
            // Entries are read in order: each body before the next header.
            let mut entry = entry.unwrap();
            assert!(
                entry.header().as_ustar().is_some(),
                "Docker's API takes ustar"
            );
            assert_eq!(entry.header().mode().unwrap(), 0o644);
            let mut body = String::new();
            entry.read_to_string(&mut body).unwrap();
            read.push((entry.path().unwrap().display().to_string(), body));
        }
        assert_eq!(
            read,
            [("sentinel.conf".to_string(), "port 26379\n".to_string())]
        );
    }
}
