//! How a scenario maps onto the container world: the pipeline's configuration, the settings this
//! world refuses, and where a scenario named on the command line is found (`scenarios/`, then the
//! real-world-only `scenarios/real/`).
//!
//! Pure functions of the scenario, apart from reading the file asked for.

use std::path::{Path, PathBuf};

use crate::pipeline::config::PipelineConfig;
use crate::scenario::{self, Scenario, ScenarioError};

/// Every run has servers of its own, so every run can use the same prefix.
const PREFIX: &str = "oc:";
/// The real-world-only scenarios, beside the shared ones.
pub const REAL_DIR: &str = "real";

/// The pipeline configuration a scenario asks for; an error says why it cannot run.
pub fn pipeline_config(s: &Scenario) -> Result<PipelineConfig, String> {
    let p = &s.pipeline;
    if p.wait_replicas > s.topology.replicas {
        return Err(format!(
            "pipeline.wait_replicas = {} but the topology has {} replicas: WAIT could never be satisfied",
            p.wait_replicas, s.topology.replicas
        ));
    }
    let config = crate::mapping::pipeline_config(s, PREFIX);
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

/// A path (`x.toml`, `dir/x.toml`) or a name, looked up in `scenarios/` and `scenarios/real/`.
pub fn find_scenario(arg: &str) -> Result<Scenario, ScenarioError> {
    if arg.ends_with(".toml") || arg.contains('/') {
        return scenario::load(Path::new(arg));
    }
    let dir = scenarios_dir();
    let real = dir.join(REAL_DIR);
    if real.join(format!("{arg}.toml")).is_file() {
        return scenario::load(&real.join(format!("{arg}.toml")));
    }
    scenario::find(&dir, arg).map_err(|e| match e {
        ScenarioError::NotFound { dir, name, known } => {
            let extra = scenario::list_scenarios(&real)
                .map(|l| l.into_iter().map(|s| s.name).collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            ScenarioError::NotFound {
                dir,
                name,
                known: format!("{known}; in {REAL_DIR}/: {extra}"),
            }
        }
        other => other,
    })
}

/// `scenarios/` under the current directory, else the one beside this crate's sources.
pub fn scenarios_dir() -> PathBuf {
    let here = PathBuf::from("scenarios");
    if here.is_dir() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::config::{SinkKind, Variant};

    #[test]
    fn shipped_scenarios_map_onto_the_pipeline() {
        let naive = find_scenario("naive-sink").unwrap();
        let config = pipeline_config(&naive).unwrap();
        assert_eq!(
            (config.sink, config.variant),
            (SinkKind::Atomic, Variant::Naive)
        );
        assert_eq!(config.concerns, naive.workload.concerns);
        let baseline = pipeline_config(&find_scenario("baseline").unwrap()).unwrap();
        assert_eq!(baseline.variant, Variant::Correct);
        assert_eq!(baseline.wait, None);
        let real = scenarios_dir().join(REAL_DIR);
        for s in scenario::list_scenarios(&real).unwrap() {
            assert_eq!(find_scenario(&s.name).unwrap(), s);
            let options = crate::real::Options {
                scenario: s.clone(),
                window_ms: None,
                image: crate::real::image::DEFAULT_IMAGE.to_string(),
                seed: Some(1),
                run_id: Some("t".into()),
            };
            let prepared =
                crate::real::Prepared::new(&options).unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert!(!prepared.plan.faults.is_empty(), "{}", s.name);
        }
        let e = find_scenario("nope").unwrap_err().to_string();
        assert!(e.contains("in real/: "), "{e}");
    }
}
