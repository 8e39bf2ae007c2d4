//! The stated upper bound of every size a scenario sets, checked when the file is read, before
//! anything runs: a typo such as `decisions = 1000000000000` is refused naming the key and the
//! bound (exit 2), instead of an allocation of terabytes or a run that grows for minutes.
//!
//! The bounds are generous for what a simulated seed or a container run can do on one machine;
//! each is a named constant so the README and the error say the same number.

use super::locate::Seg;
use super::validate::Invalid;
use super::Scenario;

/// Decisions per run (all producers, all tenants).
pub const DECISIONS_MAX: u64 = 100_000;
pub const TENANTS_MAX: u32 = 1_000;
pub const OBJECTS_PER_TENANT_MAX: u32 = 100_000;
pub const CONCERNS_MAX: usize = 32;
pub const PRODUCERS_MAX: u32 = 64;
pub const WORKERS_PER_CONCERN_MAX: u32 = 64;
pub const READ_COUNT_MAX: u32 = 10_000;
pub const MAX_DELIVERIES_MAX: u32 = 1_000;
pub const REPLICAS_MAX: u32 = 8;
pub const SENTINELS_MAX: u32 = 9;
pub const SCRIPTED_FAULTS_MAX: usize = 10_000;
/// Any duration a scenario sets (windows, drain, timeouts, intervals): one hour.
pub const DURATION_MS_MAX: u64 = 3_600_000;
/// Commits are spread over `decisions / rate_per_s` seconds: at most an hour of them.
pub const COMMIT_SPAN_S_MAX: f64 = 3_600.0;
/// Faults a rate may draw over the window, on average, per kind.
pub const DRAWN_FAULTS_MAX: f64 = 100_000.0;

/// The first size above its bound, by key.
pub fn check(s: &Scenario) -> Result<(), Invalid> {
    let (w, p, t, f) = (&s.workload, &s.pipeline, &s.topology, &s.faults);
    let counts: [(&[&str], u64, u64); 11] = [
        (&["workload", "decisions"], w.decisions, DECISIONS_MAX),
        (
            &["workload", "tenants"],
            w.tenants.into(),
            TENANTS_MAX.into(),
        ),
        (
            &["workload", "objects_per_tenant"],
            w.objects_per_tenant.into(),
            OBJECTS_PER_TENANT_MAX.into(),
        ),
        (
            &["workload", "concerns"],
            w.concerns.len() as u64,
            CONCERNS_MAX as u64,
        ),
        (
            &["pipeline", "producers"],
            p.producers.into(),
            PRODUCERS_MAX.into(),
        ),
        (
            &["pipeline", "workers_per_concern"],
            p.workers_per_concern.into(),
            WORKERS_PER_CONCERN_MAX.into(),
        ),
        (
            &["pipeline", "read_count"],
            p.read_count.into(),
            READ_COUNT_MAX.into(),
        ),
        (
            &["pipeline", "max_deliveries"],
            p.max_deliveries.into(),
            MAX_DELIVERIES_MAX.into(),
        ),
        (
            &["topology", "replicas"],
            t.replicas.into(),
            REPLICAS_MAX.into(),
        ),
        (
            &["topology", "sentinels"],
            t.sentinels.into(),
            SENTINELS_MAX.into(),
        ),
        (
            &["faults", "script"],
            f.script.len() as u64,
            SCRIPTED_FAULTS_MAX as u64,
        ),
    ];
    for (key, value, max) in counts {
        at_most(key, value, max, "")?;
    }
    let durations: [(&[&str], u64); 10] = [
        (&["drain_ms"], s.drain_ms),
        (&["faults", "window_ms"], f.window_ms),
        (&["faults", "duration_ms_max"], f.duration_ms_max),
        (&["faults", "latency_ms_max"], f.latency_ms_max),
        (&["pipeline", "block_ms"], p.block_ms),
        (&["pipeline", "min_idle_ms"], p.min_idle_ms),
        (&["pipeline", "reclaim_interval_ms"], p.reclaim_interval_ms),
        (&["pipeline", "trim_interval_ms"], p.trim_interval_ms),
        (&["pipeline", "commit_timeout_ms"], p.commit_timeout_ms),
        (&["pipeline", "wait_timeout_ms"], p.wait_timeout_ms),
    ];
    for (key, value) in durations {
        at_most(key, value, DURATION_MS_MAX, " ms (one hour)")?;
    }
    for (i, fault) in f.script.iter().enumerate() {
        if let Some(d) = fault.duration_ms {
            let key = [
                Seg::key("faults"),
                Seg::key("script"),
                Seg::Index(i),
                Seg::key("duration_ms"),
            ];
            bound(&key, d, DURATION_MS_MAX, " ms (one hour)")?;
        }
    }
    let span_s = w.decisions as f64 / w.rate_per_s;
    if span_s > COMMIT_SPAN_S_MAX {
        return Err(Invalid {
            path: vec![Seg::key("workload"), Seg::key("rate_per_s")],
            message: format!(
                "{} decisions at {} per second take {span_s:.0} s to commit; the bound is {COMMIT_SPAN_S_MAX:.0} s: raise the rate or lower the decisions",
                w.decisions, w.rate_per_s
            ),
        });
    }
    check_rates(s)
}

/// A rate times the window is the faults it draws on average: bounded per kind.
fn check_rates(s: &Scenario) -> Result<(), Invalid> {
    let f = &s.faults;
    let window_s = f.window_ms as f64 / 1_000.0;
    for kind in f.rates.kinds() {
        if matches!(kind, super::FaultKind::Failpoint | super::FaultKind::Stall) {
            continue;
        }
        let drawn = f.rates.of(kind) * window_s;
        if drawn > DRAWN_FAULTS_MAX {
            let name = serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            return Err(Invalid {
                path: vec![Seg::key("faults"), Seg::key("rates"), Seg::key(&name)],
                message: format!(
                    "{} per second over a {window_s} s window draws {drawn:.0} faults; the bound is {DRAWN_FAULTS_MAX:.0}",
                    f.rates.of(kind)
                ),
            });
        }
    }
    Ok(())
}

fn at_most(key: &[&str], value: u64, max: u64, unit: &str) -> Result<(), Invalid> {
    let path: Vec<Seg> = key.iter().map(|k| Seg::key(k)).collect();
    bound(&path, value, max, unit)
}

fn bound(path: &[Seg], value: u64, max: u64, unit: &str) -> Result<(), Invalid> {
    match value <= max {
        true => Ok(()),
        false => Err(Invalid {
            path: path.to_vec(),
            message: format!("{value} is above the bound of {max}{unit}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse;
    use std::path::Path;

    const MINIMAL: &str = "name = \"t\"\ndescription = \"d\"\ndrain_ms = 1000\nexpect = \"pass\"\n[workload]\ntenants = 1\nconcerns = [\"billing\"]\n";

    fn error(extra_workload: &str, rest: &str) -> String {
        let text = format!("{MINIMAL}{extra_workload}\n{rest}");
        match parse(Path::new("scenarios/t.toml"), &text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    /// `decisions = 1000000000000` once aborted on a 136 TB allocation: now it is refused
    /// when the file is read, naming the file, line, key and bound.
    #[test]
    fn sizes_above_their_bounds_are_refused_naming_key_and_bound() {
        let e = error("decisions = 1000000000000", "");
        assert_eq!(
            e,
            "scenarios/t.toml:8:1: key `workload.decisions`: 1000000000000 is above the bound of 100000"
        );
        let e = error("decisions = 10", "[pipeline]\nworkers_per_concern = 1000\n");
        assert!(
            e.contains("key `pipeline.workers_per_concern`: 1000 is above the bound of 64"),
            "{e}"
        );
        let e = error("decisions = 10", "[faults]\nwindow_ms = 86400000\n");
        assert!(
            e.contains(
                "key `faults.window_ms`: 86400000 is above the bound of 3600000 ms (one hour)"
            ),
            "{e}"
        );
        let e = error("decisions = 100000\nrate_per_s = 1.0", "");
        assert!(
            e.contains("key `workload.rate_per_s`: 100000 decisions at 1 per second take 100000 s to commit"),
            "{e}"
        );
        let e = error(
            "decisions = 10",
            "[faults]\nwindow_ms = 3600000\n[faults.rates]\ncrash-worker = 1000.0\n",
        );
        assert!(e.contains("key `faults.rates.crash-worker`"), "{e}");
        let ok = format!("{MINIMAL}decisions = 100000\nrate_per_s = 100.0\n");
        assert!(
            parse(Path::new("scenarios/t.toml"), &ok).is_ok(),
            "at the bound is fine"
        );
    }
}
