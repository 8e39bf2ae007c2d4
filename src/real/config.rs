//! How a scenario maps onto the container world: the pipeline's configuration, the settings this
//! world refuses, and where a scenario named on the command line is found (`scenarios/`: every
//! scenario is one both worlds run).
//!
//! Pure functions of the scenario, apart from reading the file asked for.

use std::path::Path;

use crate::pipeline::config::PipelineConfig;
use crate::scenario::{self, scenarios_dir, Scenario, ScenarioError};

/// Every run has servers of its own, so every run can use the same prefix.
const PREFIX: &str = "oc:";

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

/// A path (`x.toml`, `dir/x.toml`) or a name, looked up in `scenarios/`.
pub fn find_scenario(arg: &str) -> Result<Scenario, ScenarioError> {
    if arg.ends_with(".toml") || arg.contains('/') {
        return scenario::load(Path::new(arg));
    }
    scenario::find(&scenarios_dir(), arg)
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
        // The scenarios the container tests run, failovers and cuts, are drawn here as there.
        for name in ["failover-async", "failover-wait", "partition-app"] {
            let s = find_scenario(name).unwrap();
            let options = crate::real::RealOptions {
                scenario: s.clone(),
                window_ms: None,
                image: crate::real::image::DEFAULT_IMAGE.to_string(),
                seed: Some(1),
                run_id: Some("t".into()),
            };
            let prepared =
                crate::real::RealRun::new(&options).unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert!(!prepared.draws.plan.faults.is_empty(), "{}", s.name);
        }
        let e = find_scenario("nope").unwrap_err().to_string();
        assert!(e.contains("no scenario named `nope` (known: "), "{e}");
    }
}
