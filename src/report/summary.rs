//! `summary.json` of one run: which run, the history hash, the verdict and counts per
//! violation kind, the coverage, the parameters the seed drew, and throughput in simulated time.
//!
//! Built from the history, the check report and the scenario only, so a simulated run's summary
//! is as deterministic as its history. Violation details are capped per kind; counts never are.

use super::{verdict_text, RunId};
use crate::check::coverage::Coverage;
use crate::check::{timeline, Report, Violation, ViolationKind};
use crate::history::hash::{format_hash, history_hash};
use crate::history::{CommitOutcome, Op, Phase, Record};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Violations per kind whose details (and timelines) go into the summary.
pub const DETAILS_PER_KIND_MAX: usize = 20;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub scenario: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_id: Option<String>,
    pub history_hash: String,
    pub records: u64,
    /// The verdict, `clean` or `violations duplicate=3` (the text after `verdict: `).
    pub verdict: String,
    pub expect: String,
    pub expectation_met: bool,
    /// Every kind, in kind order, zero when none was found (gating or not).
    pub violations: BTreeMap<String, u64>,
    /// Kinds found that do not fail the run.
    pub not_gating: Vec<String>,
    /// Per kind, why its checker could not decide.
    pub undecided: BTreeMap<String, Vec<String>>,
    pub coverage: Coverage,
    pub must_reach: Vec<String>,
    pub never_reached: Vec<String>,
    /// What the seed drew (fault kinds turned on, rates, ...), as the world reports it.
    pub parameters: BTreeMap<String, serde_json::Value>,
    pub throughput: Throughput,
    /// The first violations of each kind, with their timelines as text lines.
    pub details: Vec<Detail>,
}

/// Work done per second of (simulated) run time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// From the first record to the last.
    pub duration_ms: u64,
    pub commits_ok: u64,
    pub effects_applied: u64,
    pub commits_per_s: f64,
    pub effects_per_s: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    #[serde(flatten)]
    pub violation: Violation,
    pub timeline_text: Vec<String>,
}

impl Summary {
    pub fn build(
        scenario: &Scenario,
        run: &RunId,
        history: &[Record],
        report: &Report,
        parameters: BTreeMap<String, serde_json::Value>,
    ) -> Summary {
        let (seed, run_id) = match run {
            RunId::Seed(s) => (Some(*s), None),
            RunId::Id(id) => (None, Some(id.clone())),
        };
        let counts = report.counts();
        Summary {
            scenario: scenario.name.clone(),
            seed,
            run_id,
            history_hash: format_hash(history_hash(history)),
            records: history.len() as u64,
            verdict: verdict_text(report),
            expect: scenario.expect.to_string(),
            expectation_met: report.meets(scenario.expect.into()),
            violations: ViolationKind::ALL
                .iter()
                .map(|k| (k.name().to_string(), counts.get(k).copied().unwrap_or(0)))
                .collect(),
            not_gating: report
                .reported_counts()
                .keys()
                .map(|k| k.name().to_string())
                .collect(),
            undecided: undecided(report),
            coverage: report.coverage.clone(),
            must_reach: scenario.must_reach.clone(),
            never_reached: report
                .coverage
                .never_reached(&scenario.must_reach)
                .into_iter()
                .map(str::to_string)
                .collect(),
            parameters,
            throughput: Throughput::of(history),
            details: details(history, report),
        }
    }
}

fn undecided(report: &Report) -> BTreeMap<String, Vec<String>> {
    report
        .results
        .iter()
        .filter(|r| !r.findings.undecided.is_empty())
        .map(|r| (r.kind.name().to_string(), r.findings.undecided.clone()))
        .collect()
}

fn details(history: &[Record], report: &Report) -> Vec<Detail> {
    let per_kind = report
        .results
        .iter()
        .flat_map(|r| r.findings.violations.iter().take(DETAILS_PER_KIND_MAX));
    per_kind
        .map(|v| Detail {
            violation: v.clone(),
            timeline_text: timeline::render(history, &v.timeline)
                .lines()
                .map(str::to_string)
                .collect(),
        })
        .collect()
}

impl Throughput {
    pub fn of(history: &[Record]) -> Throughput {
        let duration_ms = match (history.first(), history.last()) {
            (Some(a), Some(b)) => b.time_ms.saturating_sub(a.time_ms),
            _ => 0,
        };
        let commits_ok = history.iter().filter(|r| committed(r)).count() as u64;
        let effects_applied = history
            .iter()
            .filter(|r| matches!(r.op, Op::Effect { applied: true, .. }))
            .count() as u64;
        Throughput {
            duration_ms,
            commits_ok,
            effects_applied,
            commits_per_s: per_s(commits_ok, duration_ms),
            effects_per_s: per_s(effects_applied, duration_ms),
        }
    }
}

fn committed(r: &Record) -> bool {
    match &r.op {
        Op::Commit {
            outcome: Some(o), ..
        } => *o == CommitOutcome::Committed,
        Op::Commit { outcome: None, .. } => r.phase == Phase::Ok,
        _ => false,
    }
}

/// Rounded to 3 decimals so the JSON stays readable.
fn per_s(n: u64, duration_ms: u64) -> f64 {
    if duration_ms == 0 {
        return 0.0;
    }
    (n as f64 * 1000.0 / duration_ms as f64 * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{check_all, CheckOptions};
    use crate::history::testkit::*;
    use crate::scenario::parse;
    use std::path::Path;

    fn scenario() -> Scenario {
        let text = "name = \"naive-sink\"\ndescription = \"d\"\ndrain_ms = 1\nexpect = \"duplicate\"\nmust_reach = [\"dedupe-hit\", \"failpoint-crash\"]\n[workload]\ntenants = 1\ndecisions = 1\nconcerns = [\"billing\"]\n";
        parse(Path::new("naive-sink.toml"), text).unwrap()
    }

    #[test]
    fn summary_of_a_planted_bug_run() {
        let (h, s) = duplicated_run();
        let report = check_all(&h, Some(&s), CheckOptions::default());
        let params = BTreeMap::from([("faults".to_string(), serde_json::json!(["failpoint"]))]);
        let sum = Summary::build(&scenario(), &RunId::Seed(17), &h, &report, params);
        assert_eq!(sum.seed, Some(17));
        assert_eq!(sum.verdict, "violations duplicate=1");
        assert!(sum.expectation_met);
        assert_eq!(sum.violations.len(), 8);
        assert_eq!(sum.violations["duplicate"], 1);
        assert_eq!(sum.never_reached, vec!["dedupe-hit".to_string()]);
        assert_eq!(sum.details.len(), 1);
        assert_eq!(sum.details[0].timeline_text.len(), h.len());
        assert_eq!(sum.throughput.commits_ok, 1);
        assert_eq!(sum.throughput.effects_applied, 2);
        assert_eq!(sum.throughput.duration_ms, 80);
        assert_eq!(sum.throughput.effects_per_s, 25.0);
        assert_eq!(sum.throughput.commits_per_s, 12.5);
        let json = serde_json::to_string_pretty(&sum).unwrap();
        assert!(
            json.contains("\"seed\": 17") && !json.contains("run_id"),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Summary>(&json).unwrap(), sum);
    }

    #[test]
    fn writes_the_run_directory() {
        let (h, s) = clean_run();
        let report = check_all(&h, Some(&s), CheckOptions::default());
        let sum = Summary::build(&scenario(), &RunId::Seed(3), &h, &report, BTreeMap::new());
        let base = tempfile::tempdir().unwrap();
        let dir = super::super::run_dir(base.path(), "naive-sink", &RunId::Seed(3));
        super::super::write_run(&dir, &h, &sum).unwrap();
        let back = super::super::jsonl::read_history_file(&dir.join("history.jsonl")).unwrap();
        assert_eq!(format_hash(history_hash(&back)), sum.history_hash);
        let json = std::fs::read_to_string(dir.join("summary.json")).unwrap();
        assert_eq!(serde_json::from_str::<Summary>(&json).unwrap(), sum);
    }
}
