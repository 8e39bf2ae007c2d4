//! Removing everything a run made, however the run ends: at its end ([`Cleanup::run`]), on an
//! error or a panic (the guard's drop), and on Ctrl-C (the `real` command drops the run's future,
//! which drops the guard, before it exits with 130).
//!
//! Cleanup finds containers and networks by the run's label, so it removes what a half-started
//! topology made too. It must never remove anything without that label.

use super::docker::{Docker, DockerError, Leftovers};

/// Removes the run's containers and networks when dropped, unless [`Cleanup::run`] did already.
pub struct Cleanup {
    docker: Option<Docker>,
}

impl Cleanup {
    pub fn new(docker: Docker) -> Cleanup {
        Cleanup {
            docker: Some(docker),
        }
    }

    /// Removes everything now; returns what could not be removed.
    pub async fn run(mut self) -> Result<Leftovers, DockerError> {
        let docker = self.docker.take().expect("cleanup runs once");
        docker.remove_run().await
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Some(docker) = self.docker.take() else {
            return;
        };
        let run = docker.run_id().to_string();
        // Drop cannot await, and may run inside a runtime: clean up on a thread of its own with a
        // runtime and a Docker client of its own, and wait for it, so the process never exits
        // before its containers are gone.
        let worker = std::thread::spawn(move || -> Result<Leftovers, String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let docker = Docker::connect(&run).await.map_err(|e| e.to_string())?;
                docker.remove_run().await.map_err(|e| e.to_string())
            })
        });
        let run = docker.run_id();
        match worker.join() {
            Ok(Ok(left)) if left.is_empty() => {}
            Ok(Ok(left)) => eprintln!(
                "outbox-chaos real: run {run}: could not remove containers {:?} and networks {:?}",
                left.containers, left.networks
            ),
            Ok(Err(e)) => eprintln!("outbox-chaos real: run {run}: cleanup failed: {e}"),
            Err(_) => eprintln!("outbox-chaos real: run {run}: the cleanup thread panicked"),
        }
    }
}

/// What an earlier run left behind, found at the start of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrphansRemoved {
    /// Runs whose process is gone, with what was removed of each.
    pub removed: Vec<(String, Leftovers)>,
    /// Runs whose process is gone but of which something could not be removed.
    pub left: Vec<(String, Leftovers)>,
    /// Labelled runs whose owner cannot be told (an older binary, another host): left alone.
    pub unknown: Vec<String>,
}

/// Removes the containers and networks of every earlier run of this project whose process is
/// gone (killed, crashed). Runs still going on, and runs whose owner cannot be told, are left
/// alone: this never removes what a live process may still use.
pub async fn remove_orphans(docker: &Docker) -> Result<OrphansRemoved, DockerError> {
    let orphans = docker.orphans().await?;
    let mut out = OrphansRemoved {
        unknown: orphans.unknown.into_iter().collect(),
        ..Default::default()
    };
    for run in orphans.gone {
        let of_run = Docker::connect(&run).await?;
        let found = of_run.leftovers().await?;
        let left = of_run.remove_run().await?;
        match left.is_empty() {
            true => out.removed.push((run, found)),
            false => out.left.push((run, left)),
        }
    }
    Ok(out)
}

/// What of run `run` is still present (for tests and for the leftovers check).
pub async fn leftovers(run: &str) -> Result<Leftovers, DockerError> {
    Docker::connect(run).await?.leftovers().await
}
