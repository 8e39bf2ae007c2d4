//! The rules of a scenario that serde cannot check field by field: consistency across fields
//! and sections. Pure functions of a parsed [`Scenario`]; each error names its key path.

use super::locate::Seg;
use super::vocabulary::{self, FAILPOINTS};
use super::{failpoint_target, is_failpoint_name};
use super::{
    FaultKind, Faults, Pipeline, PipelineVariant, Scenario, ScriptedFault, Sink, Topology,
    TopologyKind, Workload,
};
use std::collections::BTreeSet;

/// A rule broken by a scenario that parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub path: Vec<Seg>,
    pub message: String,
}

fn invalid(keys: &[&str], message: impl Into<String>) -> Invalid {
    Invalid {
        path: keys.iter().map(|k| Seg::key(k)).collect(),
        message: message.into(),
    }
}

/// The rules serde cannot check field by field.
pub fn validate(s: &Scenario) -> Result<(), Invalid> {
    super::bounds::check(s)?;
    validate_workload(&s.workload)?;
    validate_topology(&s.topology)?;
    validate_pipeline(&s.pipeline)?;
    validate_faults(&s.faults, &s.topology)?;
    validate_hosts(&s.faults, &s.pipeline)?;
    validate_must_reach(&s.must_reach, &s.faults)
}

fn validate_workload(w: &Workload) -> Result<(), Invalid> {
    if w.concerns.is_empty() {
        return Err(invalid(
            &["workload", "concerns"],
            "at least one concern is needed",
        ));
    }
    let mut seen = BTreeSet::new();
    for c in &w.concerns {
        let ok = c.starts_with(|ch: char| ch.is_ascii_lowercase())
            && c.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
        if !ok {
            return Err(invalid(
                &["workload", "concerns"],
                format!("`{c}` is not a concern name (lowercase letters, digits, `-`)"),
            ));
        }
        if !seen.insert(c) {
            return Err(invalid(
                &["workload", "concerns"],
                format!("`{c}` is listed twice"),
            ));
        }
    }
    Ok(())
}

fn validate_topology(t: &Topology) -> Result<(), Invalid> {
    let (replicas_ok, sentinels_ok) = match t.kind {
        TopologyKind::Standalone => (t.replicas == 0, t.sentinels == 0),
        TopologyKind::Replicated => (t.replicas > 0, t.sentinels == 0),
        TopologyKind::Sentinel => (t.replicas > 0, t.sentinels > 0),
    };
    let kind = serde_json::to_value(t.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    if !replicas_ok {
        let need = if t.kind == TopologyKind::Standalone {
            "none"
        } else {
            "at least 1"
        };
        return Err(invalid(
            &["topology", "replicas"],
            format!("kind `{kind}` needs {need}, found {}", t.replicas),
        ));
    }
    if !sentinels_ok {
        let need = if t.kind == TopologyKind::Sentinel {
            "at least 1"
        } else {
            "none"
        };
        return Err(invalid(
            &["topology", "sentinels"],
            format!("kind `{kind}` needs {need}, found {}", t.sentinels),
        ));
    }
    validate_snapshot_interval(t.snapshot_interval_ms)?;
    validate_min_replicas(t)
}

/// `min-replicas-to-write` needs that many replicas to be able to write at all, and Redis counts
/// the lag in whole seconds.
fn validate_min_replicas(t: &Topology) -> Result<(), Invalid> {
    use super::{SNAPSHOT_INTERVAL_MS_MAX as MAX, SNAPSHOT_INTERVAL_MS_MIN as MIN};
    if t.min_replicas_to_write > t.replicas {
        return Err(invalid(
            &["topology", "min_replicas_to_write"],
            format!(
                "{} is more than the topology's {} replicas: no write would ever be accepted",
                t.min_replicas_to_write, t.replicas
            ),
        ));
    }
    let ms = t.min_replicas_max_lag_ms;
    if !(MIN..=MAX).contains(&ms) || !ms.is_multiple_of(1_000) {
        return Err(invalid(
            &["topology", "min_replicas_max_lag_ms"],
            format!("{ms} is not a whole number of seconds from {MIN} to {MAX} ms (Redis's min-replicas-max-lag counts seconds)"),
        ));
    }
    Ok(())
}

/// Redis's `save` counts whole seconds.
fn validate_snapshot_interval(ms: u64) -> Result<(), Invalid> {
    use super::{SNAPSHOT_INTERVAL_MS_MAX, SNAPSHOT_INTERVAL_MS_MIN};
    if !(SNAPSHOT_INTERVAL_MS_MIN..=SNAPSHOT_INTERVAL_MS_MAX).contains(&ms)
        || !ms.is_multiple_of(1_000)
    {
        return Err(invalid(
            &["topology", "snapshot_interval_ms"],
            format!("{ms} is not a whole number of seconds from {SNAPSHOT_INTERVAL_MS_MIN} to {SNAPSHOT_INTERVAL_MS_MAX} ms"),
        ));
    }
    Ok(())
}

fn validate_pipeline(p: &Pipeline) -> Result<(), Invalid> {
    if p.variant == PipelineVariant::NonIdempotentApi && p.sink != Sink::IdempotentApi {
        return Err(invalid(&["pipeline", "variant"], "`non-idempotent-api` plants its bug in the downstream: it needs sink = \"idempotent-api\""));
    }
    if p.variant == PipelineVariant::Naive && p.sink != Sink::Atomic {
        return Err(invalid(&["pipeline", "variant"], "`naive` plants its bug in the atomic sink's script: it needs sink = \"atomic\" (use `non-idempotent-api` for the API)"));
    }
    if p.wait_replicas > 0 && p.wait_timeout_ms == 0 {
        return Err(invalid(
            &["pipeline", "wait_timeout_ms"],
            "wait_replicas > 0 needs a wait timeout of at least 1 ms",
        ));
    }
    Ok(())
}

fn validate_faults(f: &Faults, topology: &Topology) -> Result<(), Invalid> {
    if f.any() && f.window_ms == 0 {
        return Err(invalid(
            &["faults", "window_ms"],
            "faults are configured, so the fault window must be at least 1 ms",
        ));
    }
    if f.duration_ms_min > f.duration_ms_max {
        return Err(invalid(
            &["faults", "duration_ms_min"],
            "must not exceed duration_ms_max",
        ));
    }
    if f.swarm && f.rates.kinds().is_empty() {
        return Err(invalid(
            &["faults", "swarm"],
            "swarm mode draws from [faults.rates], which sets no rate",
        ));
    }
    if topology.kind != TopologyKind::Sentinel && f.rates.failover > 0.0 {
        return Err(invalid(
            &["faults", "rates", "failover"],
            "failover needs topology kind `sentinel`",
        ));
    }
    for (i, s) in f.script.iter().enumerate() {
        validate_scripted(i, s, f.window_ms, topology)?;
    }
    Ok(())
}

/// Crash faults must name a host the world runs: the downstream exists only for the API sink,
/// the trimmer only when it trims.
fn validate_hosts(f: &Faults, p: &Pipeline) -> Result<(), Invalid> {
    let scripted = |kind| f.script.iter().any(|s| s.kind == kind);
    let missing = [
        (
            FaultKind::CrashDownstream,
            "crash-downstream",
            p.sink != Sink::IdempotentApi,
            "there is no downstream host: it needs sink = \"idempotent-api\"",
        ),
        (
            FaultKind::CrashTrimmer,
            "crash-trimmer",
            p.trim_interval_ms == 0,
            "there is no trimmer host: trim_interval_ms is 0",
        ),
    ];
    for (kind, name, absent, why) in missing {
        if absent && f.rates.of(kind) > 0.0 {
            return Err(invalid(&["faults", "rates", name], why));
        }
        if absent && scripted(kind) {
            return Err(invalid(&["faults", "script"], format!("`{name}`: {why}")));
        }
    }
    Ok(())
}

fn validate_scripted(
    i: usize,
    s: &ScriptedFault,
    window_ms: u64,
    topology: &Topology,
) -> Result<(), Invalid> {
    let at = |key: &str, message: String| Invalid {
        path: vec![
            Seg::key("faults"),
            Seg::key("script"),
            Seg::Index(i),
            Seg::key(key),
        ],
        message,
    };
    if s.at_ms >= window_ms {
        return Err(at(
            "at_ms",
            format!(
                "{} is not inside the fault window (window_ms = {window_ms})",
                s.at_ms
            ),
        ));
    }
    let point = s.target.as_deref().map(|t| failpoint_target(t).0);
    if s.kind == FaultKind::Failpoint && !point.is_some_and(is_failpoint_name) {
        return Err(at(
            "target",
            "a scripted failpoint needs the point's name as target (`component.place`, optionally `@host`)".into(),
        ));
    }
    if let (FaultKind::Failpoint, Some(point)) = (s.kind, point) {
        if !FAILPOINTS.contains(&point) {
            return Err(at("target", super::unknown_failpoint(point)));
        }
    }
    if s.kind == FaultKind::Stall {
        return Err(at(
            "kind",
            "stalls fire per pass of a point: give them in [faults.rates.stall]".into(),
        ));
    }
    if s.kind == FaultKind::Failover && topology.kind != TopologyKind::Sentinel {
        return Err(at("kind", "failover needs topology kind `sentinel`".into()));
    }
    if s.duration_ms == Some(0) {
        return Err(at("duration_ms", "must be at least 1".into()));
    }
    Ok(())
}

fn validate_must_reach(windows: &[String], faults: &Faults) -> Result<(), Invalid> {
    let mut seen = BTreeSet::new();
    for (i, w) in windows.iter().enumerate() {
        let at = |message: String| Invalid {
            path: vec![Seg::key("must_reach"), Seg::Index(i)],
            message,
        };
        if !vocabulary::is_window_name(w) {
            let known = vocabulary::WINDOWS.join(", ");
            return Err(at(format!("`{w}` is not a coverage window (one of {known}, or failpoint-crash:<point>, failpoint:<point>, fault:<kind>)")));
        }
        if !seen.insert(w) {
            return Err(at(format!("`{w}` is listed twice")));
        }
        if let Some(point) = w.strip_prefix(vocabulary::FAILPOINT_CRASH_PREFIX) {
            if !armed(faults).contains(point) {
                return Err(at(format!("`{w}` can never be reached: the failpoint `{point}` is in neither [faults.rates.failpoint] nor the script")));
            }
        } else if let Some(point) = named_failpoint(w) {
            if !armed(faults).contains(point) && !faults.rates.stall.contains_key(point) {
                return Err(at(format!("`{w}` can never be reached: the failpoint `{point}` is in none of [faults.rates.failpoint], [faults.rates.stall] and the script")));
            }
        }
    }
    Ok(())
}

/// The failpoint a per-point window names (`failpoint-crash:<point>`, `failpoint:<point>`).
fn named_failpoint(window: &str) -> Option<&str> {
    [
        vocabulary::FAILPOINT_CRASH_PREFIX,
        vocabulary::FAILPOINT_PREFIX,
    ]
    .iter()
    .find_map(|p| window.strip_prefix(p))
}

/// Every failpoint the scenario can fire.
fn armed(faults: &Faults) -> BTreeSet<&str> {
    let drawn = faults.rates.failpoint.keys().map(String::as_str);
    let scripted = faults
        .script
        .iter()
        .filter(|s| s.kind == FaultKind::Failpoint)
        .filter_map(|s| s.target.as_deref().map(|t| failpoint_target(t).0));
    drawn.chain(scripted).collect()
}
