//! The scenario's own words for what it asks of the pipeline and the checkers: the sink, the
//! planted bug, the expected verdict, and the names a file may use (failpoints, coverage
//! windows, recorded fault kinds).
//!
//! The scenario module is upstream of every other stage, so it must never import the pipeline
//! or a checker: these are plain mirrors, spelled exactly as the files spell them and as the
//! reports print them. `crate::mapping` turns them into the pipeline's and the checkers' types
//! with exhaustive matches, and its tests fail when a list here and its counterpart differ.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How the consumers apply an effect (`[pipeline] sink`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sink {
    /// One Lua script: dedupe, effect, XACK.
    #[default]
    Atomic,
    /// A downstream API called with the event id as idempotency key, then XACK.
    IdempotentApi,
}

/// The pipeline as it should be, or one planted bug (`[pipeline] variant`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PipelineVariant {
    /// No planted bug: named `none`, as scenario files say it (`correct` is accepted too).
    #[default]
    #[serde(rename = "none", alias = "correct")]
    Correct,
    Naive,
    AckFirst,
    DualWrite,
    NoReclaim,
    UnsafeTrim,
    NonIdempotentApi,
}

/// A kind of violation a scenario may expect, by the name the checkers report it under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExpectedViolation {
    Duplicate,
    DuplicateEvent,
    Lost,
    Phantom,
    Reorder,
    RolledBack,
    Stuck,
    Torn,
}

impl ExpectedViolation {
    pub const ALL: [ExpectedViolation; 8] = [
        ExpectedViolation::Duplicate,
        ExpectedViolation::DuplicateEvent,
        ExpectedViolation::Lost,
        ExpectedViolation::Phantom,
        ExpectedViolation::Reorder,
        ExpectedViolation::RolledBack,
        ExpectedViolation::Stuck,
        ExpectedViolation::Torn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExpectedViolation::Duplicate => "duplicate",
            ExpectedViolation::DuplicateEvent => "duplicate-event",
            ExpectedViolation::Lost => "lost",
            ExpectedViolation::Phantom => "phantom",
            ExpectedViolation::Reorder => "reorder",
            ExpectedViolation::RolledBack => "rolled-back",
            ExpectedViolation::Stuck => "stuck",
            ExpectedViolation::Torn => "torn",
        }
    }
}

/// What a scenario expects of a run: no violation, or (for a planted bug) a given kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Expectation {
    Pass,
    Violation(ExpectedViolation),
}

impl TryFrom<String> for Expectation {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s == "pass" {
            return Ok(Expectation::Pass);
        }
        ExpectedViolation::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .map(Expectation::Violation)
            .ok_or_else(|| {
                format!("expected `pass` or a violation kind (duplicate, duplicate-event, lost, phantom, reorder, rolled-back, stuck, torn), found `{s}`")
            })
    }
}

impl From<Expectation> for String {
    fn from(e: Expectation) -> String {
        e.to_string()
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Pass => f.write_str("pass"),
            Expectation::Violation(k) => f.write_str(k.name()),
        }
    }
}

/// Every failpoint a scenario may name: the pipeline's points.
pub const FAILPOINTS: [&str; 5] = [
    "producer.before_commit",
    "producer.after_state",
    "consumer.after_read",
    "consumer.after_effect_before_ack",
    "consumer.after_ack",
];

/// The fixed coverage windows a scenario may list in `must_reach`.
pub const WINDOWS: [&str; 14] = [
    "failpoint-crash",
    "redelivered-after-effect",
    "commit-unknown",
    "partition-in-flight",
    "dedupe-hit",
    "reclaim",
    "dead-letter",
    "already-committed",
    "claimed-deleted",
    "trim",
    "acked-unsynced",
    "split-brain-ack",
    "noreplicas",
    "recommitted",
];

/// Prefixes of the per-name windows.
pub const FAILPOINT_CRASH_PREFIX: &str = "failpoint-crash:";
pub const FAILPOINT_PREFIX: &str = "failpoint:";
pub const FAULT_PREFIX: &str = "fault:";

/// The kinds of fault the history records, as `fault:<kind>` windows name them.
pub const RECORDED_FAULT_KINDS: [&str; 10] = [
    "crash",
    "restart",
    "power-loss",
    "partition",
    "heal",
    "hold",
    "release",
    "loss",
    "latency",
    "failover",
];

/// Whether `name` is a window a scenario may list in `must_reach`.
pub fn is_window_name(name: &str) -> bool {
    if WINDOWS.contains(&name) {
        return true;
    }
    if let Some(kind) = name.strip_prefix(FAULT_PREFIX) {
        return RECORDED_FAULT_KINDS.contains(&kind);
    }
    [FAILPOINT_CRASH_PREFIX, FAILPOINT_PREFIX]
        .iter()
        .any(|p| name.strip_prefix(p).is_some_and(|n| !n.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_names() {
        assert!(is_window_name("dedupe-hit"));
        assert!(is_window_name("failpoint-crash:consumer.after_read"));
        assert!(is_window_name("fault:partition"));
        assert!(!is_window_name("fault:meteor"));
        assert!(!is_window_name("failpoint-crash:"));
        assert!(!is_window_name("dedupe"));
    }
}
