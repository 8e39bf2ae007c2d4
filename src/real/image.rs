//! The Redis image the containers run: present already, or built here from the host's Debian
//! `redis-server` by `ci/build-redis-image`, whose text is embedded so that CI and the `real`
//! command build the image one way.
//!
//! Only the project's own image (a name under `outbox-chaos/`) is ever built: any other name (the
//! official `redis:7`, say) must be present, since no registry may be reachable. This module must
//! never pull, push or remove an image.

use std::process::Command;

use super::docker::Docker;
use super::RealError;

/// The image every container runs unless told otherwise.
pub const DEFAULT_IMAGE: &str = "outbox-chaos/redis:local";
/// Images under this name are the project's and may be built here.
const OWN_PREFIX: &str = "outbox-chaos/";
/// `ci/build-redis-image`, the one source of truth for building the image.
const BUILD_SCRIPT: &str = include_str!("../../ci/build-redis-image");

/// Makes sure `image` exists, building the project's image when it is missing.
pub async fn ensure(docker: &Docker, image: &str) -> Result<(), RealError> {
    if docker.image_exists(image).await? {
        return Ok(());
    }
    if !image.starts_with(OWN_PREFIX) {
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
    match docker.image_exists(image).await? {
        true => Ok(()),
        false => Err(RealError::Image(format!(
            "ci/build-redis-image reported success but `{image}` is still missing"
        ))),
    }
}

/// Runs the embedded script with bash; its messages go to our stderr.
fn build(image: &str) -> Result<(), RealError> {
    eprintln!("outbox-chaos real: image {image} is missing; building it (ci/build-redis-image)");
    let status = Command::new("bash")
        .arg("-c")
        .arg(BUILD_SCRIPT)
        .arg("build-redis-image")
        .arg(image)
        .status()
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
    }
}
