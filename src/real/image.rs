//! The Redis image the containers run: present already, or built here from the host's Debian
//! `redis-server` by `ci/build-redis-image`, whose text is embedded (with the power-loss shim's
//! source, `ci/power-loss.c`) so that CI and the `real` command build the image one way. The
//! project's image is rebuilt when it was built from another shim source (its label
//! [`power::SHIM_LABEL`] is the source's SHA-1), so a changed shim never runs stale.
//!
//! Only the project's own image (a name under `outbox-chaos/`) is ever built: any other name (the
//! official `redis:7`, say) must be present, since no registry may be reachable. This module must
//! never pull, push or remove an image.

use std::process::Command;

use super::docker::Docker;
use super::{power, RealError};

/// The image every container runs unless told otherwise.
pub const DEFAULT_IMAGE: &str = "outbox-chaos/redis:local";
/// Images under this name are the project's and may be built here.
const OWN_PREFIX: &str = "outbox-chaos/";
/// `ci/build-redis-image`, the one source of truth for building the image.
const BUILD_SCRIPT: &str = include_str!("../../ci/build-redis-image");
/// `ci/power-loss.c`, compiled into the image by the build script.
const SHIM_SOURCE: &str = include_str!("../../ci/power-loss.c");

/// The label the project's image carries when built from this binary's shim source.
fn shim_sum() -> String {
    sha1_smol::Sha1::from(SHIM_SOURCE).digest().to_string()
}

/// A power loss needs the shim in the image: an image without it (the official `redis:7`, an
/// image of the project built before the shim) would turn it into a plain crash, so it is
/// refused (exit 2).
pub async fn require_power_shim(docker: &Docker, image: &str) -> Result<(), RealError> {
    match docker.image_label(image, power::SHIM_LABEL).await? {
        Some(_) => Ok(()),
        None => Err(RealError::Image(format!(
            "image `{image}` has no power-loss shim (label {}), so it cannot lose power: use the project's image {DEFAULT_IMAGE} (ci/build-redis-image builds it), or `--without redis-power-loss`",
            power::SHIM_LABEL
        ))),
    }
}

/// Makes sure `image` exists, building the project's image when it is missing.
pub async fn ensure(docker: &Docker, image: &str) -> Result<(), RealError> {
    let own = image.starts_with(OWN_PREFIX);
    if docker.image_exists(image).await? {
        let current = docker.image_label(image, power::SHIM_LABEL).await?;
        if !own || current.as_deref() == Some(shim_sum().as_str()) {
            return Ok(());
        }
    }
    if !own {
        return Err(RealError::Image(format!(
            "image `{image}` is not present and only the project's own images ({OWN_PREFIX}…) are built here: \
             `docker pull {image}` where a registry is reachable, or use the default {DEFAULT_IMAGE}"
        )));
    }
    let name = image.to_string();
    let built = tokio::task::spawn_blocking(move || build(&name))
        .await
        .map_err(|e| RealError::Image(format!("the image build task failed: {e}")))?;
    built?;
    match docker.image_label(image, power::SHIM_LABEL).await? {
        Some(sum) if sum == shim_sum() => Ok(()),
        _ => Err(RealError::Image(format!(
            "ci/build-redis-image reported success but `{image}` is missing or lacks the power-loss shim of this binary"
        ))),
    }
}

/// Runs the embedded script with bash, on the embedded shim source; its messages go to our
/// stderr.
fn build(image: &str) -> Result<(), RealError> {
    eprintln!("outbox-chaos real: image {image} is missing or has another power-loss shim; building it (ci/build-redis-image)");
    let dir = std::env::temp_dir().join(format!("outbox-chaos-shim-{}", std::process::id()));
    let shim = dir.join("power-loss.c");
    let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&shim, SHIM_SOURCE));
    let status = written.and_then(|()| {
        Command::new("bash")
            .arg("-c")
            .arg(BUILD_SCRIPT)
            .arg("build-redis-image")
            .arg(image)
            .arg(&shim)
            .status()
    });
    let _ = std::fs::remove_dir_all(&dir);
    let status = status
        .map_err(|e| RealError::Image(format!("cannot run bash for ci/build-redis-image: {e}")))?;
    match status.code() {
        Some(0) => Ok(()),
        code => Err(RealError::Image(format!(
            "ci/build-redis-image {image} failed (exit {}); its message is above",
            code.map_or_else(|| "by a signal".to_string(), |c| c.to_string())
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_script_is_the_build_script() {
        assert!(BUILD_SCRIPT.starts_with("#!/usr/bin/env bash"));
        assert!(BUILD_SCRIPT.contains("FROM scratch"));
        assert!(BUILD_SCRIPT.contains(r#"image="${1:-outbox-chaos/redis:local}""#));
        assert!(DEFAULT_IMAGE.starts_with(OWN_PREFIX));
        assert!(BUILD_SCRIPT.contains(r#"shim="${2:-"#));
        assert!(SHIM_SOURCE.contains("__attribute__((constructor))"));
        assert_eq!(shim_sum().len(), 40);
    }
}
