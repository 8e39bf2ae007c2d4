//! A sweep's outcome: every seed's verdict and coverage, summed up.
//!
//! A seed is *failing* when a gating checker found a violation or could not decide; its report
//! is written and its replay command listed. Whether the sweep passes depends on the scenario:
//! `expect = "pass"` needs no failing seed; a planted bug needs at least one seed that produced
//! its kind. Either way, every `must_reach` window must have been reached in some seed, or the
//! sweep fails with `window never reached: <name>`.
//!
//! Seeds may be added in any order (parallel jobs); everything printed is in seed order.

use super::{kind_counts, replay_command, shrink_command, verdict_text, write_json, ReportError};
use crate::check::coverage::Coverage;
use crate::check::{Expect, Report, ViolationKind};
use crate::history::hash::{format_hash, history_hash};
use crate::history::Record;
use crate::scenario::{Scenario, SeedRange, Shard};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Failing seeds listed in the text summary; the JSON summary and JUnit list them all.
pub const FAILING_LISTED_MAX: usize = 20;

/// What one seed of a sweep came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedOutcome {
    pub seed: u64,
    pub history_hash: String,
    pub verdict: String,
    pub gating: BTreeMap<ViolationKind, u64>,
    pub reported: BTreeMap<ViolationKind, u64>,
    pub undecided: Vec<ViolationKind>,
    pub coverage: Coverage,
    /// The run broke (a host gave up, the world failed): it has no verdict at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Decisions whose commit returned ok.
    #[serde(default)]
    pub acknowledged: u64,
    /// Of those, the decisions the lost checker reports lost.
    #[serde(default)]
    pub lost_acknowledged: u64,
}

impl SeedOutcome {
    /// A seed whose run broke before the checkers could judge it.
    pub fn broken(seed: u64, error: String) -> SeedOutcome {
        SeedOutcome {
            seed,
            history_hash: String::new(),
            verdict: format!("error: {error}"),
            gating: BTreeMap::new(),
            reported: BTreeMap::new(),
            undecided: Vec::new(),
            coverage: Coverage::default(),
            error: Some(error),
            acknowledged: 0,
            lost_acknowledged: 0,
        }
    }

    pub fn new(seed: u64, history: &[Record], report: &Report) -> SeedOutcome {
        SeedOutcome {
            seed,
            history_hash: format_hash(history_hash(history)),
            verdict: verdict_text(report),
            gating: report.gating_counts(),
            reported: report.reported_counts(),
            undecided: report.undecided(),
            coverage: report.coverage.clone(),
            error: None,
            acknowledged: super::outcome::acknowledged_commits(history).len() as u64,
            lost_acknowledged: super::outcome::lost_acknowledged(history, report).len() as u64,
        }
    }

    /// A gating violation, a gating checker that could not decide, or a broken run.
    pub fn is_failing(&self) -> bool {
        !self.gating.is_empty() || !self.undecided.is_empty() || self.error.is_some()
    }

    pub fn found(&self, kind: ViolationKind) -> bool {
        self.gating.contains_key(&kind) || self.reported.contains_key(&kind)
    }
}

/// A failing seed as the JSON summary lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailingSeed {
    pub seed: u64,
    pub verdict: String,
    pub history_hash: String,
    pub replay: String,
}

/// The sweep's `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSummary {
    pub scenario: String,
    pub expect: String,
    pub seeds: String,
    pub shard: String,
    pub seeds_run: u64,
    pub elapsed_s: f64,
    pub seeds_per_s: f64,
    pub passed: bool,
    /// Violations per kind, summed over seeds.
    pub violations: BTreeMap<String, u64>,
    /// Seeds with at least one violation, per kind.
    pub seeds_with: BTreeMap<String, u64>,
    pub undecided_seeds: Vec<u64>,
    pub coverage: Coverage,
    pub must_reach: Vec<String>,
    pub never_reached: Vec<String>,
    pub failing: Vec<FailingSeed>,
    /// The scenario as the command line named it (the replay commands use it).
    #[serde(default)]
    pub target: String,
    /// Seeds with a gating violation, per kind (what `merge` judges a planted bug by).
    #[serde(default)]
    pub gating_seeds_with: BTreeMap<String, u64>,
    /// Seeds whose run broke.
    #[serde(default)]
    pub broken_seeds: Vec<u64>,
    /// Acknowledged commits (decisions whose commit returned ok), summed over seeds.
    #[serde(default)]
    pub acknowledged_commits: u64,
    /// Of those, the ones the lost checker reports lost.
    #[serde(default)]
    pub lost_acknowledged_commits: u64,
}

/// A sweep in progress or done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sweep {
    pub scenario: String,
    /// The scenario as the command line named it, for replay commands (see
    /// [`Scenario::command_target`]).
    pub target: String,
    pub expect: Expect,
    pub must_reach: Vec<String>,
    pub range: SeedRange,
    pub shard: Shard,
    outcomes: BTreeMap<u64, SeedOutcome>,
}

impl Sweep {
    pub fn new(scenario: &Scenario, range: SeedRange, shard: Shard) -> Sweep {
        Sweep {
            scenario: scenario.name.clone(),
            target: scenario.command_target(),
            expect: scenario.expect.into(),
            must_reach: scenario.must_reach.clone(),
            range,
            shard,
            outcomes: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, outcome: SeedOutcome) {
        self.outcomes.insert(outcome.seed, outcome);
    }

    /// Every seed's outcome, in seed order.
    pub fn outcomes(&self) -> impl Iterator<Item = &SeedOutcome> {
        self.outcomes.values()
    }

    pub fn failing(&self) -> impl Iterator<Item = &SeedOutcome> {
        self.outcomes().filter(|o| o.is_failing())
    }

    pub fn coverage(&self) -> Coverage {
        let mut total = Coverage::default();
        self.outcomes().for_each(|o| total.merge(&o.coverage));
        total
    }

    pub fn never_reached(&self) -> Vec<String> {
        self.coverage()
            .never_reached(&self.must_reach)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// (lost, acknowledged) commits summed over the seeds.
    pub fn acknowledged_lost(&self) -> (u64, u64) {
        self.outcomes().fold((0, 0), |(lost, acked), o| {
            (lost + o.lost_acknowledged, acked + o.acknowledged)
        })
    }

    /// Violations per kind over all seeds (gating or not).
    pub fn totals(&self) -> BTreeMap<ViolationKind, u64> {
        let mut totals = BTreeMap::new();
        for o in self.outcomes() {
            for (k, n) in o.gating.iter().chain(&o.reported) {
                *totals.entry(*k).or_insert(0) += n;
            }
        }
        totals
    }

    /// Seeds with a gating violation of each kind.
    pub fn gating_seeds_with(&self) -> BTreeMap<ViolationKind, u64> {
        let mut seeds = BTreeMap::new();
        for o in self.outcomes() {
            for k in o.gating.keys() {
                *seeds.entry(*k).or_insert(0) += 1;
            }
        }
        seeds
    }

    /// Seeds that found each kind.
    pub fn seeds_with(&self) -> BTreeMap<ViolationKind, u64> {
        let mut seeds = BTreeMap::new();
        for o in self.outcomes() {
            for k in o.gating.keys().chain(o.reported.keys()) {
                *seeds.entry(*k).or_insert(0) += 1;
            }
        }
        seeds
    }

    /// The scenario's expectation holds over the sweep (coverage aside): `pass` needs no failing
    /// seed; a planted bug needs a seed that shows its kind, no seed showing a gating kind it
    /// does not explain ([`ViolationKind::implied`]), and no broken run.
    pub fn expectation_met(&self) -> bool {
        match self.expect {
            Expect::Pass => self.failing().next().is_none() && !self.outcomes.is_empty(),
            Expect::Violation(kind) => {
                self.outcomes().any(|o| o.found(kind))
                    && self.unexpected_kinds().is_empty()
                    && self.outcomes().all(|o| o.error.is_none())
            }
        }
    }

    /// Gating kinds found that a planted bug does not explain, with the first seed showing each.
    pub fn unexpected_kinds(&self) -> BTreeMap<ViolationKind, u64> {
        let Expect::Violation(kind) = self.expect else {
            return BTreeMap::new();
        };
        let mut found = BTreeMap::new();
        for o in self.outcomes() {
            for k in o
                .gating
                .keys()
                .filter(|k| **k != kind && !kind.implied().contains(k))
            {
                found.entry(*k).or_insert(o.seed);
            }
        }
        found
    }

    /// A shard of a CI matrix that holds no seed of the range (`--shard 3/4 --seeds 0..2`): it
    /// has nothing to check, so it passes with a note, and `merge` judges the whole sweep.
    pub fn is_empty_shard(&self) -> bool {
        self.outcomes.is_empty() && self.shard != Shard::ALL
    }

    pub fn passed(&self) -> bool {
        self.is_empty_shard() || (self.expectation_met() && self.never_reached().is_empty())
    }

    /// 0 when the sweep passed, 1 otherwise (2, bad input, is `main.rs`'s).
    pub fn exit_code(&self) -> i32 {
        if self.passed() {
            0
        } else {
            1
        }
    }

    pub fn summary(&self, elapsed_s: f64) -> SweepSummary {
        let names = |m: BTreeMap<ViolationKind, u64>| {
            m.into_iter()
                .map(|(k, n)| (k.name().to_string(), n))
                .collect()
        };
        SweepSummary {
            scenario: self.scenario.clone(),
            expect: self.expect.to_string(),
            seeds: self.range.to_string(),
            shard: self.shard.to_string(),
            seeds_run: self.outcomes.len() as u64,
            elapsed_s,
            seeds_per_s: self.rate(elapsed_s),
            passed: self.passed(),
            violations: names(self.totals()),
            seeds_with: names(self.seeds_with()),
            undecided_seeds: self
                .outcomes()
                .filter(|o| !o.undecided.is_empty())
                .map(|o| o.seed)
                .collect(),
            coverage: self.coverage(),
            must_reach: self.must_reach.clone(),
            never_reached: self.never_reached(),
            failing: self.failing().map(|o| self.failing_seed(o)).collect(),
            target: self.target.clone(),
            gating_seeds_with: names(self.gating_seeds_with()),
            broken_seeds: self
                .outcomes()
                .filter(|o| o.error.is_some())
                .map(|o| o.seed)
                .collect(),
            acknowledged_commits: self.acknowledged_lost().1,
            lost_acknowledged_commits: self.acknowledged_lost().0,
        }
    }

    pub fn failing_seed(&self, o: &SeedOutcome) -> FailingSeed {
        FailingSeed {
            seed: o.seed,
            verdict: o.verdict.clone(),
            history_hash: o.history_hash.clone(),
            replay: replay_command(&self.target, o.seed),
        }
    }

    fn rate(&self, elapsed_s: f64) -> f64 {
        if elapsed_s <= 0.0 {
            return 0.0;
        }
        (self.outcomes.len() as f64 / elapsed_s * 100.0).round() / 100.0
    }

    /// The text summary: seeds and speed, violations by kind, coverage, failing seeds with their
    /// replay commands, `window never reached: <name>` lines, and the result.
    pub fn text(&self, elapsed_s: f64) -> String {
        let mut out = String::new();
        let n = self.outcomes.len();
        let _ = writeln!(
            out,
            "sweep {}: {} ({}, shard {}) in {elapsed_s:.2} s, {:.2} seeds/s",
            self.scenario,
            super::merge::seeds_word(n as u64),
            self.range,
            self.shard,
            self.rate(elapsed_s)
        );
        let _ = writeln!(out, "expect: {}", self.expect);
        let _ = writeln!(out, "{}", self.violations_line());
        if self.totals().contains_key(&ViolationKind::Lost) {
            let (lost, acked) = self.acknowledged_lost();
            let line = super::outcome::lost_fraction_line(lost, acked);
            let _ = writeln!(out, "{line} over {}", super::merge::seeds_word(n as u64));
        }
        let undecided: Vec<String> = self
            .outcomes()
            .filter(|o| !o.undecided.is_empty())
            .map(|o| o.seed.to_string())
            .collect();
        if !undecided.is_empty() {
            let _ = writeln!(out, "undecided seeds: {}", undecided.join(", "));
        }
        let _ = writeln!(out, "{}", super::coverage_line(&self.coverage()));
        self.failing_text(&mut out);
        for line in self.judgement_lines() {
            let _ = writeln!(out, "{line}");
        }
        out
    }

    /// The sweep's last lines, which every command judging runs by the scenario prints the same
    /// way (`sweep`, and `real` for its one run): why the expectation does not hold, each window
    /// never reached, then `result: pass` or `result: fail`.
    pub fn judgement_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.is_empty_shard() {
            out.push(format!(
                "note: shard {} of seeds {} holds no seed: nothing to check here (`outbox-chaos merge` judges the whole sweep)",
                self.shard, self.range
            ));
            out.push("result: pass".to_string());
            return out;
        }
        if self.outcomes.is_empty() {
            out.push("no seed was run: nothing was checked".to_string());
        }
        if let Expect::Violation(kind) = self.expect {
            if !self.outcomes.is_empty() && !self.outcomes().any(|o| o.found(kind)) {
                out.push(format!(
                    "expected violation not found: {kind} (the planted bug did not show)"
                ));
            }
        }
        for (k, seed) in self.unexpected_kinds() {
            out.push(format!(
                "unexpected violation: {k} (first in seed {seed}; expect is {})",
                self.expect
            ));
        }
        for w in self.never_reached() {
            out.push(format!("window never reached: {w}"));
        }
        out.push(format!(
            "result: {}",
            if self.passed() { "pass" } else { "fail" }
        ));
        out
    }

    fn violations_line(&self) -> String {
        let seeds = self.seeds_with();
        let totals = self.totals();
        if totals.is_empty() {
            return "violations: none".to_string();
        }
        let gating = |k: &ViolationKind| self.outcomes().any(|o| o.gating.contains_key(k));
        let parts: Vec<String> = totals
            .iter()
            .map(|(k, n)| {
                let note = if gating(k) { "" } else { ", not gating" };
                format!(
                    "{k}={n} ({}{note})",
                    super::merge::seeds_word(seeds.get(k).copied().unwrap_or(0))
                )
            })
            .collect();
        format!("violations: {}", parts.join(", "))
    }

    fn failing_text(&self, out: &mut String) {
        let failing: Vec<&SeedOutcome> = self.failing().collect();
        if failing.is_empty() {
            return;
        }
        let _ = writeln!(out, "failing seeds: {}", failing.len());
        for o in failing.iter().take(FAILING_LISTED_MAX) {
            let found = if o.gating.is_empty() {
                String::new()
            } else {
                format!(" {}", kind_counts(&o.gating))
            };
            let error = o
                .error
                .as_ref()
                .map(|e| format!(" error: {e}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  seed {}:{found}{}{error}  replay: {}  shrink: {}",
                o.seed,
                undecided_note(o),
                replay_command(&self.target, o.seed),
                shrink_command(&self.target, o.seed)
            );
        }
        if failing.len() > FAILING_LISTED_MAX {
            let _ = writeln!(
                out,
                "  ... and {} more (see summary.json)",
                failing.len() - FAILING_LISTED_MAX
            );
        }
    }
}

/// `base/<scenario>/sweep-<start>-<end>` (with `-shard-<i>-of-<n>` when sharded), beside the
/// seeds' own report directories.
pub fn sweep_dir(base: &Path, sweep: &Sweep) -> PathBuf {
    let mut name = format!("sweep-{}-{}", sweep.range.start, sweep.range.end);
    if sweep.shard != Shard::ALL {
        name.push_str(&format!(
            "-shard-{}-of-{}",
            sweep.shard.index, sweep.shard.count
        ));
    }
    base.join(&sweep.scenario).join(name)
}

/// Writes `summary.json` and `junit.xml` into `dir` (created if missing). The failing seeds'
/// own reports are written by the caller, which holds their histories.
pub fn write_sweep(dir: &Path, sweep: &Sweep, elapsed_s: f64) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    write_json(&dir.join("summary.json"), &sweep.summary(elapsed_s))?;
    let junit = dir.join("junit.xml");
    std::fs::write(&junit, super::junit::junit_xml(sweep, elapsed_s)).map_err(|source| {
        ReportError::Io {
            path: junit,
            source,
        }
    })
}

fn undecided_note(o: &SeedOutcome) -> String {
    if o.undecided.is_empty() {
        return String::new();
    }
    let kinds: Vec<&str> = o.undecided.iter().map(|k| k.name()).collect();
    format!(" undecided={}", kinds.join(","))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::check::coverage::DEDUPE_HIT;
    use crate::check::{check_all, CheckOptions};
    use crate::history::testkit::*;
    use crate::scenario::parse;
    use std::path::Path;

    pub(crate) fn scenario(expect: &str, must_reach: &str) -> Scenario {
        let text = format!("name = \"s\"\ndescription = \"d\"\ndrain_ms = 1\nexpect = \"{expect}\"\nmust_reach = [{must_reach}]\n[workload]\ntenants = 1\ndecisions = 1\nconcerns = [\"billing\"]\n");
        parse(Path::new("s.toml"), &text).unwrap()
    }

    pub(crate) fn outcome(
        seed: u64,
        run: (Vec<Record>, crate::history::state::FinalState),
    ) -> SeedOutcome {
        let report = check_all(&run.0, Some(&run.1), CheckOptions::default());
        SeedOutcome::new(seed, &run.0, &report)
    }

    fn sweep(expect: &str, must_reach: &str) -> Sweep {
        Sweep::new(
            &scenario(expect, must_reach),
            "0..3".parse().unwrap(),
            Shard::ALL,
        )
    }

    #[test]
    fn clean_sweep_passes_and_counts_coverage() {
        let mut s = sweep("pass", "\"dedupe-hit\"");
        for seed in [2, 0, 1] {
            s.add(outcome(seed, clean_run()));
        }
        assert!(s.passed());
        assert_eq!(s.exit_code(), 0);
        assert_eq!(s.coverage().get(DEDUPE_HIT), 3);
        let text = s.text(1.5);
        assert!(
            text.starts_with("sweep s: 3 seeds (0..3, shard 1/1) in 1.50 s, 2.00 seeds/s\n"),
            "{text}"
        );
        assert!(text.contains("\nviolations: none\n"), "{text}");
        assert!(text.ends_with("result: pass\n"), "{text}");
    }

    #[test]
    fn a_window_never_reached_fails_a_clean_sweep() {
        let mut s = sweep("pass", "\"failpoint-crash\", \"partition-in-flight\"");
        s.add(outcome(0, clean_run()));
        assert_eq!(s.never_reached(), vec!["partition-in-flight".to_string()]);
        assert_eq!(s.exit_code(), 1);
        assert!(s
            .text(1.0)
            .contains("\nwindow never reached: partition-in-flight\nresult: fail\n"));
    }

    #[test]
    fn failing_seeds_are_listed_with_replay_commands() {
        let mut s = sweep("pass", "");
        s.add(outcome(1, duplicated_run()));
        s.add(outcome(0, clean_run()));
        s.add(outcome(2, duplicated_run()));
        assert!(!s.passed());
        let text = s.text(2.0);
        assert!(
            text.contains("violations: duplicate=2 (2 seeds)\n"),
            "{text}"
        );
        assert!(text.contains("failing seeds: 2\n  seed 1: duplicate=1  replay: outbox-chaos replay s --seed 1  shrink: outbox-chaos shrink s --seed 1\n  seed 2:"), "{text}");
        let sum = s.summary(2.0);
        assert_eq!(
            sum.failing.iter().map(|f| f.seed).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(sum.violations["duplicate"], 2);
        assert_eq!(sum.seeds_per_s, 1.5);
    }

    #[test]
    fn a_planted_bug_sweep_passes_when_some_seed_finds_it() {
        let mut s = sweep("duplicate", "");
        s.add(outcome(0, clean_run()));
        assert!(!s.passed(), "not found yet");
        s.add(outcome(1, duplicated_run()));
        assert!(s.passed());
        let mut other = sweep("lost", "");
        other.add(outcome(1, duplicated_run()));
        assert!(!other.passed(), "found something else");
        s.add(SeedOutcome::broken(2, "the world failed".into()));
        assert!(!s.passed(), "a broken run fails any sweep");
        assert!(
            s.text(1.0)
                .contains("  seed 2: error: the world failed  replay:"),
            "{}",
            s.text(1.0)
        );
    }

    #[test]
    fn a_planted_bug_sweep_fails_on_a_kind_it_does_not_explain() {
        let mut s = sweep("lost", "");
        let mut both = outcome(0, duplicated_run());
        both.gating.insert(ViolationKind::Lost, 1);
        s.add(both);
        assert!(!s.passed());
        assert!(
            s.text(1.0)
                .contains("unexpected violation: duplicate (first in seed 0; expect is lost)\n"),
            "{}",
            s.text(1.0)
        );
        let mut torn = sweep("torn", "");
        let mut o = outcome(0, clean_run());
        o.gating.insert(ViolationKind::Torn, 1);
        o.gating.insert(ViolationKind::Lost, 1);
        torn.add(o);
        assert!(torn.passed(), "a torn write also loses its effects");
    }

    #[test]
    fn writes_summary_and_junit() {
        let mut s = sweep("pass", "");
        s.add(outcome(0, clean_run()));
        let base = tempfile::tempdir().unwrap();
        let dir = sweep_dir(base.path(), &s);
        assert!(dir.ends_with("s/sweep-0-3"));
        write_sweep(&dir, &s, 1.0).unwrap();
        let json = std::fs::read_to_string(dir.join("summary.json")).unwrap();
        assert_eq!(
            serde_json::from_str::<SweepSummary>(&json).unwrap(),
            s.summary(1.0)
        );
        assert!(std::fs::read_to_string(dir.join("junit.xml"))
            .unwrap()
            .starts_with("<?xml"));
        let sharded = Sweep {
            shard: "2/4".parse().unwrap(),
            ..s
        };
        assert!(sweep_dir(base.path(), &sharded).ends_with("s/sweep-0-3-shard-2-of-4"));
    }

    /// Replay commands name the scenario as the command line did (a path stays a path, with
    /// `--no-faults` when it was given), in the text, `summary.json` and JUnit alike.
    #[test]
    fn replay_commands_name_the_scenario_as_given() {
        let mut scenario = scenario("pass", "");
        scenario.invoked_as = Some("tmp/s.toml --no-faults".into());
        let mut s = Sweep::new(&scenario, "0..3".parse().unwrap(), Shard::ALL);
        s.add(outcome(1, duplicated_run()));
        let replay = "outbox-chaos replay tmp/s.toml --no-faults --seed 1";
        assert!(
            s.text(1.0).contains(&format!(
                "replay: {replay}  shrink: outbox-chaos shrink tmp/s.toml --no-faults --seed 1\n"
            )),
            "{}",
            s.text(1.0)
        );
        assert_eq!(s.summary(1.0).failing[0].replay, replay);
        assert_eq!(s.summary(1.0).failing[0].verdict, "violations duplicate=1");
        assert!(super::super::junit::junit_xml(&s, 1.0).contains(&format!("replay: {replay}\n")));
    }

    /// `--shard 3/4 --seeds 0..2` holds no seed: it passes with a note (JUnit too), so a CI
    /// matrix does not fail on it; a whole sweep with no seed does not pass.
    #[test]
    fn an_empty_shard_passes_with_a_note() {
        let s = Sweep::new(
            &scenario("pass", "\"dedupe-hit\""),
            "0..2".parse().unwrap(),
            "3/4".parse().unwrap(),
        );
        assert!(s.passed());
        assert_eq!(s.exit_code(), 0);
        let text = s.text(0.0);
        assert!(
            text.ends_with("note: shard 3/4 of seeds 0..2 holds no seed: nothing to check here (`outbox-chaos merge` judges the whole sweep)\nresult: pass\n"),
            "{text}"
        );
        assert!(!text.contains("never reached"), "{text}");
        assert!(super::super::junit::junit_xml(&s, 0.0).contains("failures=\"0\""));
        assert!(text.starts_with("sweep s: 0 seeds "), "{text}");
    }

    #[test]
    fn one_seed_is_said_in_the_singular() {
        let mut s = sweep("pass", "");
        s.add(outcome(1, duplicated_run()));
        let text = s.text(1.0);
        assert!(text.starts_with("sweep s: 1 seed (0..3"), "{text}");
        assert!(text.contains("duplicate=1 (1 seed)"), "{text}");
    }

    #[test]
    fn an_undecided_seed_fails_a_pass_sweep() {
        let mut s = sweep("pass", "");
        let (h, _) = clean_run();
        let report = check_all(&h, None, CheckOptions::default());
        s.add(SeedOutcome::new(4, &h, &report));
        assert!(!s.passed());
        assert!(s.text(1.0).contains("undecided seeds: 4\n"));
    }
}
