//! How a scenario becomes the pipeline's configuration, the failpoint hook's rates and the
//! checkers' options: written once, for both worlds.
//!
//! The scenario module knows neither the pipeline nor the checkers; this is the one place that
//! knows both sides. Every conversion is an exhaustive match, so a sink, a planted bug or a
//! violation kind added on one side only does not compile, and the tests below fail when a name
//! list of `scenario::vocabulary` and its counterpart differ. It must never read a clock or
//! draw from the seed: it only translates.

use crate::check::{CheckOptions, Expect, ViolationKind};
use crate::pipeline::config::{ConnectConfig, PipelineConfig, SinkKind, Variant, WaitConfig};
use crate::pipeline::drawn_failpoints::Rates;
use crate::scenario::{
    Expectation, ExpectedViolation, FaultKind, Faults, PipelineVariant, Scenario, Sink,
};
use std::collections::BTreeMap;

impl From<Sink> for SinkKind {
    fn from(sink: Sink) -> SinkKind {
        match sink {
            Sink::Atomic => SinkKind::Atomic,
            Sink::IdempotentApi => SinkKind::IdempotentApi,
        }
    }
}

impl From<PipelineVariant> for Variant {
    fn from(variant: PipelineVariant) -> Variant {
        match variant {
            PipelineVariant::Correct => Variant::Correct,
            PipelineVariant::Naive => Variant::Naive,
            PipelineVariant::AckFirst => Variant::AckFirst,
            PipelineVariant::DualWrite => Variant::DualWrite,
            PipelineVariant::NoReclaim => Variant::NoReclaim,
            PipelineVariant::UnsafeTrim => Variant::UnsafeTrim,
            PipelineVariant::NonIdempotentApi => Variant::NonIdempotentApi,
        }
    }
}

impl From<ExpectedViolation> for ViolationKind {
    fn from(kind: ExpectedViolation) -> ViolationKind {
        match kind {
            ExpectedViolation::Duplicate => ViolationKind::Duplicate,
            ExpectedViolation::DuplicateEvent => ViolationKind::DuplicateEvent,
            ExpectedViolation::Lost => ViolationKind::Lost,
            ExpectedViolation::Phantom => ViolationKind::Phantom,
            ExpectedViolation::Reorder => ViolationKind::Reorder,
            ExpectedViolation::Stuck => ViolationKind::Stuck,
            ExpectedViolation::Torn => ViolationKind::Torn,
        }
    }
}

impl From<Expectation> for Expect {
    fn from(expectation: Expectation) -> Expect {
        match expectation {
            Expectation::Pass => Expect::Pass,
            Expectation::Violation(kind) => Expect::Violation(kind.into()),
        }
    }
}

/// The scenario's `[pipeline]` as the pipeline's own configuration, every key under `prefix`.
/// Both worlds run exactly this configuration.
pub fn pipeline_config(scenario: &Scenario, prefix: &str) -> PipelineConfig {
    let p = &scenario.pipeline;
    PipelineConfig {
        prefix: prefix.to_string(),
        concerns: scenario.workload.concerns.clone(),
        sink: p.sink.into(),
        variant: p.variant.into(),
        read_count: u64::from(p.read_count),
        apply_batch: u64::from(p.apply_batch),
        in_flight: u64::from(p.in_flight),
        block_ms: p.block_ms,
        min_idle_ms: p.min_idle_ms,
        reclaim_interval_ms: p.reclaim_interval_ms,
        max_deliveries: u64::from(p.max_deliveries),
        wait: (p.wait_replicas > 0).then_some(WaitConfig {
            replicas: u64::from(p.wait_replicas),
            timeout_ms: p.wait_timeout_ms,
        }),
        trim_interval_ms: p.trim_interval_ms,
        connect: ConnectConfig {
            response_timeout_ms: p.commit_timeout_ms,
            ..Default::default()
        },
        ..PipelineConfig::default()
    }
}

/// The failpoint hook's probabilities for a seed that turned `enabled` kinds on.
pub fn failpoint_rates(faults: &Faults, enabled: &[FaultKind]) -> Rates {
    let on = |kind, rates: &BTreeMap<String, f64>| match enabled.contains(&kind) {
        true => rates.clone(),
        false => BTreeMap::new(),
    };
    Rates {
        crash: on(FaultKind::Failpoint, &faults.rates.failpoint),
        stall: on(FaultKind::Stall, &faults.rates.stall),
        stall_ms_min: faults.duration_ms_min,
        stall_ms_max: faults.duration_ms_max,
    }
}

/// The checkers' options for a scenario.
pub fn check_options(scenario: &Scenario) -> CheckOptions {
    CheckOptions {
        reorder_gates: scenario.reorder_gates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::coverage;
    use crate::pipeline::failpoint;
    use crate::scenario::vocabulary;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn the_scenario_names_the_pipelines_failpoints() {
        assert_eq!(sorted(&vocabulary::FAILPOINTS), sorted(&failpoint::ALL));
    }

    #[test]
    fn the_scenario_names_the_checkers_windows_and_the_recorded_fault_kinds() {
        assert_eq!(vocabulary::WINDOWS, coverage::WINDOWS);
        assert_eq!(vocabulary::RECORDED_FAULT_KINDS, coverage::fault_kind::ALL);
        assert_eq!(
            [
                vocabulary::FAILPOINT_CRASH_PREFIX,
                vocabulary::FAILPOINT_PREFIX,
                vocabulary::FAULT_PREFIX
            ],
            [
                coverage::FAILPOINT_CRASH_PREFIX,
                coverage::FAILPOINT_PREFIX,
                coverage::FAULT_PREFIX
            ]
        );
    }

    #[test]
    fn every_violation_kind_has_one_expectation_with_the_same_name() {
        let mapped: Vec<ViolationKind> = ExpectedViolation::ALL.map(ViolationKind::from).to_vec();
        assert_eq!(mapped, ViolationKind::ALL.to_vec());
        for kind in ExpectedViolation::ALL {
            assert_eq!(kind.name(), ViolationKind::from(kind).name());
            let expectation = Expectation::Violation(kind);
            assert_eq!(
                expectation.to_string(),
                Expect::from(expectation).to_string()
            );
        }
        assert_eq!(Expect::from(Expectation::Pass), Expect::Pass);
    }

    #[test]
    fn the_scenarios_pipeline_knobs_have_the_pipelines_bounds() {
        use crate::pipeline::config::{APPLY_BATCH_MAX, IN_FLIGHT_MAX};
        use crate::scenario::PIPELINE_KNOB_MAX;
        assert_eq!(u64::from(PIPELINE_KNOB_MAX), APPLY_BATCH_MAX);
        assert_eq!(u64::from(PIPELINE_KNOB_MAX), IN_FLIGHT_MAX);
    }

    #[test]
    fn sinks_and_variants_keep_their_names() {
        let json = |v: serde_json::Value| v.as_str().unwrap().to_string();
        for sink in [Sink::Atomic, Sink::IdempotentApi] {
            let theirs: SinkKind = sink.into();
            assert_eq!(
                json(serde_json::json!(sink)),
                json(serde_json::json!(theirs))
            );
        }
        let variants = [
            PipelineVariant::Correct,
            PipelineVariant::Naive,
            PipelineVariant::AckFirst,
            PipelineVariant::DualWrite,
            PipelineVariant::NoReclaim,
            PipelineVariant::UnsafeTrim,
            PipelineVariant::NonIdempotentApi,
        ];
        for variant in variants {
            let theirs: Variant = variant.into();
            assert_eq!(
                json(serde_json::json!(variant)),
                json(serde_json::json!(theirs))
            );
        }
    }
}
