//! `merge`: the shards of one sweep, run as a CI matrix on different machines, judged as one.
//!
//! Each shard leaves a `summary.json` (and `junit.xml`); merging them gives the verdict the
//! whole sweep would have given on one machine, by the rules of [`super::sweep::Sweep`]: `pass`
//! needs no failing seed; a planted bug needs a seed that showed its kind, no gating kind it does
//! not explain and no broken run; every `must_reach` window must be reached in some seed of some
//! shard. The shards must be of one scenario, expectation and seed range, and together cover
//! every shard `1..=N` exactly once (or be a single unsharded sweep): a missing shard is not a
//! pass.
//!
//! This module reads reports and formats; it never runs a seed and never reads a clock.

use super::junit::escape;
use super::sweep::{FailingSeed, SweepSummary, FAILING_LISTED_MAX};
use super::{coverage_line, ReportError};
use crate::check::coverage::Coverage;
use crate::check::{Expect, ViolationKind};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Why shards cannot be merged (bad input: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("{}: no summary.json (give the folders `sweep` wrote, e.g. reports/<scenario>/sweep-0-1000-shard-1-of-4)", path.display())]
    Missing { path: PathBuf },
    #[error("nothing to merge: give at least one sweep folder")]
    Empty,
    #[error("{}: {what} is `{found}`, but the first shard's is `{expected}`: shards of one sweep only", path.display())]
    Mismatch {
        path: PathBuf,
        what: &'static str,
        found: String,
        expected: String,
    },
    #[error("{}: {detail}", path.display())]
    Shards { path: PathBuf, detail: String },
}

/// One shard as read.
#[derive(Clone, Debug)]
pub struct ShardSummary {
    pub dir: PathBuf,
    pub summary: SweepSummary,
}

/// The shards judged as one sweep.
#[derive(Clone, Debug)]
pub struct Merged {
    pub scenario: String,
    pub expect: Expect,
    pub seeds: String,
    pub shards: Vec<String>,
    pub seeds_run: u64,
    pub elapsed_s: f64,
    pub violations: BTreeMap<String, u64>,
    pub seeds_with: BTreeMap<String, u64>,
    pub gating_seeds_with: BTreeMap<String, u64>,
    pub undecided_seeds: Vec<u64>,
    pub broken_seeds: Vec<u64>,
    pub coverage: Coverage,
    pub must_reach: Vec<String>,
    pub failing: Vec<FailingSeed>,
    pub acknowledged_commits: u64,
    pub lost_acknowledged_commits: u64,
}

/// Reads `DIR/summary.json` of each folder.
pub fn read_shards(dirs: &[PathBuf]) -> Result<Vec<ShardSummary>, MergeError> {
    dirs.iter()
        .map(|dir| {
            let path = dir.join("summary.json");
            if !path.is_file() {
                return Err(MergeError::Missing { path: dir.clone() });
            }
            let text = std::fs::read_to_string(&path).map_err(|source| ReportError::Io {
                path: path.clone(),
                source,
            })?;
            let summary =
                serde_json::from_str(&text).map_err(|source| ReportError::Json { path, source })?;
            Ok(ShardSummary {
                dir: dir.clone(),
                summary,
            })
        })
        .collect()
}

/// Checks that the shards belong together and cover the sweep, and sums them up.
pub fn merge(shards: &[ShardSummary]) -> Result<Merged, MergeError> {
    let first = &shards.first().ok_or(MergeError::Empty)?.summary;
    for s in shards {
        same(s, "scenario", &s.summary.scenario, &first.scenario)?;
        same(s, "expect", &s.summary.expect, &first.expect)?;
        same(s, "the seed range", &s.summary.seeds, &first.seeds)?;
        same(
            s,
            "must_reach",
            &s.summary.must_reach.join(","),
            &first.must_reach.join(","),
        )?;
    }
    check_cover(shards)?;
    let expect = Expect::try_from(first.expect.clone()).map_err(|detail| MergeError::Shards {
        path: shards[0].dir.clone(),
        detail,
    })?;
    let mut m = Merged {
        scenario: first.scenario.clone(),
        expect,
        seeds: first.seeds.clone(),
        shards: shards.iter().map(|s| s.summary.shard.clone()).collect(),
        seeds_run: 0,
        elapsed_s: 0.0,
        violations: BTreeMap::new(),
        seeds_with: BTreeMap::new(),
        gating_seeds_with: BTreeMap::new(),
        undecided_seeds: Vec::new(),
        broken_seeds: Vec::new(),
        coverage: Coverage::default(),
        must_reach: first.must_reach.clone(),
        failing: Vec::new(),
        acknowledged_commits: 0,
        lost_acknowledged_commits: 0,
    };
    for s in shards.iter().map(|s| &s.summary) {
        m.seeds_run += s.seeds_run;
        // Shards run side by side: the sweep took as long as its slowest shard.
        m.elapsed_s = m.elapsed_s.max(s.elapsed_s);
        add_counts(&mut m.violations, &s.violations);
        add_counts(&mut m.seeds_with, &s.seeds_with);
        add_counts(&mut m.gating_seeds_with, &s.gating_seeds_with);
        m.undecided_seeds.extend(&s.undecided_seeds);
        m.broken_seeds.extend(&s.broken_seeds);
        m.coverage.merge(&s.coverage);
        m.failing.extend(s.failing.iter().cloned());
        m.acknowledged_commits += s.acknowledged_commits;
        m.lost_acknowledged_commits += s.lost_acknowledged_commits;
    }
    m.undecided_seeds.sort_unstable();
    m.broken_seeds.sort_unstable();
    m.failing.sort_by_key(|f| f.seed);
    Ok(m)
}

fn same(
    s: &ShardSummary,
    what: &'static str,
    found: &str,
    expected: &str,
) -> Result<(), MergeError> {
    match found == expected {
        true => Ok(()),
        false => Err(MergeError::Mismatch {
            path: s.dir.clone(),
            what,
            found: found.to_string(),
            expected: expected.to_string(),
        }),
    }
}

/// Shards `1/N..N/N` exactly once each, or one unsharded sweep (`1/1`).
fn check_cover(shards: &[ShardSummary]) -> Result<(), MergeError> {
    let mut seen: BTreeMap<u32, &Path> = BTreeMap::new();
    let mut count = None;
    for s in shards {
        let bad = |detail: String| MergeError::Shards {
            path: s.dir.clone(),
            detail,
        };
        let shard: crate::scenario::Shard = s
            .summary
            .shard
            .parse()
            .map_err(|e: crate::scenario::ShardError| bad(e.to_string()))?;
        if *count.get_or_insert(shard.count) != shard.count {
            return Err(bad(format!(
                "shard {} is of another split than the first shard's {} parts",
                s.summary.shard,
                count.unwrap_or(0)
            )));
        }
        if let Some(other) = seen.insert(shard.index, &s.dir) {
            return Err(bad(format!(
                "shard {} is given twice (also {})",
                s.summary.shard,
                other.display()
            )));
        }
    }
    let count = count.unwrap_or(1);
    let missing: Vec<String> = (1..=count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Shards {
            path: shards[0].dir.clone(),
            detail: format!(
                "shard(s) {} missing: every shard of the sweep is needed for its verdict",
                missing.join(", ")
            ),
        });
    }
    Ok(())
}

fn add_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, n) in from {
        *into.entry(k.clone()).or_insert(0) += n;
    }
}

impl Merged {
    /// A window counts as reached when any shard reached it.
    pub fn never_reached(&self) -> Vec<String> {
        self.coverage
            .never_reached(&self.must_reach)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// Gating kinds that a planted bug does not explain.
    pub fn unexpected_kinds(&self) -> Vec<String> {
        let Expect::Violation(kind) = self.expect else {
            return Vec::new();
        };
        let explains = |name: &str| {
            name == kind.name()
                || kind
                    .implied()
                    .iter()
                    .any(|k: &ViolationKind| k.name() == name)
        };
        self.gating_seeds_with
            .keys()
            .filter(|k| !explains(k))
            .cloned()
            .collect()
    }

    /// The same rules as a sweep on one machine ([`super::sweep::Sweep::expectation_met`]).
    pub fn expectation_met(&self) -> bool {
        match self.expect {
            Expect::Pass => self.failing.is_empty() && self.seeds_run > 0,
            Expect::Violation(kind) => {
                self.seeds_with.get(kind.name()).copied().unwrap_or(0) > 0
                    && self.unexpected_kinds().is_empty()
                    && self.broken_seeds.is_empty()
            }
        }
    }

    pub fn passed(&self) -> bool {
        self.expectation_met() && self.never_reached().is_empty()
    }

    /// 0 when the merged sweep passed, 1 otherwise (2, bad input, is the command's).
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.passed())
    }

    /// The text: shards and seeds, violations, coverage, failing seeds with their replay
    /// commands, why the expectation fails, windows never reached, and `result:` last.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "merge {}: {} shard(s) ({}), {} seeds of {}, slowest shard {:.2} s",
            self.scenario,
            self.shards.len(),
            self.shards.join(" "),
            self.seeds_run,
            self.seeds,
            self.elapsed_s
        );
        let _ = writeln!(out, "expect: {}", self.expect);
        let _ = writeln!(out, "{}", self.violations_line());
        if self.violations.contains_key(ViolationKind::Lost.name()) {
            let line = super::outcome::lost_fraction_line(
                self.lost_acknowledged_commits,
                self.acknowledged_commits,
            );
            let _ = writeln!(out, "{line} over {}", seeds_word(self.seeds_run));
        }
        if !self.undecided_seeds.is_empty() {
            let seeds: Vec<String> = self.undecided_seeds.iter().map(u64::to_string).collect();
            let _ = writeln!(out, "undecided seeds: {}", seeds.join(", "));
        }
        let _ = writeln!(out, "{}", coverage_line(&self.coverage));
        if !self.failing.is_empty() {
            let _ = writeln!(out, "failing seeds: {}", self.failing.len());
            for f in self.failing.iter().take(FAILING_LISTED_MAX) {
                let _ = writeln!(
                    out,
                    "  seed {}: {}  replay: {}",
                    f.seed, f.verdict, f.replay
                );
            }
            if self.failing.len() > FAILING_LISTED_MAX {
                let _ = writeln!(
                    out,
                    "  ... and {} more (see summary.json)",
                    self.failing.len() - FAILING_LISTED_MAX
                );
            }
        }
        if self.seeds_run == 0 {
            let _ = writeln!(out, "no seed was run in any shard: nothing was checked");
        }
        if let Expect::Violation(kind) = self.expect {
            if self.seeds_run > 0 && self.seeds_with.get(kind.name()).copied().unwrap_or(0) == 0 {
                let _ = writeln!(
                    out,
                    "expected violation not found: {kind} (the planted bug did not show)"
                );
            }
            for k in self.unexpected_kinds() {
                let _ = writeln!(out, "unexpected violation: {k} (expect is {kind})");
            }
            if !self.broken_seeds.is_empty() {
                let seeds: Vec<String> = self.broken_seeds.iter().map(u64::to_string).collect();
                let _ = writeln!(out, "broken seeds: {}", seeds.join(", "));
            }
        }
        for w in self.never_reached() {
            let _ = writeln!(out, "window never reached: {w} (in any shard)");
        }
        let _ = writeln!(
            out,
            "result: {}",
            if self.passed() { "pass" } else { "fail" }
        );
        out
    }

    fn violations_line(&self) -> String {
        if self.violations.is_empty() {
            return "violations: none".to_string();
        }
        let parts: Vec<String> = self
            .violations
            .iter()
            .map(|(k, n)| {
                let seeds = self.seeds_with.get(k).copied().unwrap_or(0);
                let note = match self.gating_seeds_with.contains_key(k) {
                    true => "",
                    false => ", not gating",
                };
                format!("{k}={n} ({}{note})", seeds_word(seeds))
            })
            .collect();
        format!("violations: {}", parts.join(", "))
    }

    /// The merged `summary.json`: the shards' format, over the whole sweep.
    pub fn summary(&self) -> SweepSummary {
        let seeds_per_s = match self.elapsed_s > 0.0 {
            true => (self.seeds_run as f64 / self.elapsed_s * 100.0).round() / 100.0,
            false => 0.0,
        };
        SweepSummary {
            scenario: self.scenario.clone(),
            expect: self.expect.to_string(),
            seeds: self.seeds.clone(),
            shard: format!("merged {}", self.shards.join(" ")),
            seeds_run: self.seeds_run,
            elapsed_s: self.elapsed_s,
            seeds_per_s,
            passed: self.passed(),
            violations: self.violations.clone(),
            seeds_with: self.seeds_with.clone(),
            undecided_seeds: self.undecided_seeds.clone(),
            coverage: self.coverage.clone(),
            must_reach: self.must_reach.clone(),
            never_reached: self.never_reached(),
            failing: self.failing.clone(),
            target: String::new(),
            gating_seeds_with: self.gating_seeds_with.clone(),
            broken_seeds: self.broken_seeds.clone(),
            acknowledged_commits: self.acknowledged_commits,
            lost_acknowledged_commits: self.lost_acknowledged_commits,
        }
    }

    /// JUnit XML of the whole sweep: the failing seeds (under `expect = "pass"`, or broken), the
    /// expectation of a planted bug, and each `must_reach` window judged over every shard.
    pub fn junit_xml(&self) -> String {
        let mut cases: Vec<(String, Option<JunitFailure>)> = Vec::new();
        let passing = self.seeds_run.saturating_sub(self.failing.len() as u64);
        cases.push((format!("{} passing seed(s)", passing), None));
        for f in &self.failing {
            let fails = self.expect == Expect::Pass || self.broken_seeds.contains(&f.seed);
            let failure = fails.then(|| {
                (
                    "seed".to_string(),
                    format!("verdict: {}", f.verdict),
                    format!(
                        "verdict: {}\nhistory-hash: {}\nreplay: {}\n",
                        f.verdict, f.history_hash, f.replay
                    ),
                )
            });
            cases.push((format!("seed {}", f.seed), failure));
        }
        if let Expect::Violation(kind) = self.expect {
            let failure = (!self.expectation_met()).then(|| {
                (
                    "expectation".to_string(),
                    format!(
                        "the planted bug's violation `{kind}` was not shown alone in any shard"
                    ),
                    format!("seeds run: {}", self.seeds_run),
                )
            });
            cases.push((format!("expect {kind}"), failure));
        }
        let never = self.never_reached();
        for w in &self.must_reach {
            let failure = never.contains(w).then(|| {
                (
                    "coverage".to_string(),
                    format!("window never reached: {w}"),
                    String::new(),
                )
            });
            cases.push((format!("must_reach {w}"), failure));
        }
        let failures = cases.iter().filter(|c| c.1.is_some()).count();
        let suite = escape(&self.scenario);
        let time = self.elapsed_s;
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(out, "<testsuites name=\"outbox-chaos\" tests=\"{}\" failures=\"{failures}\" time=\"{time:.3}\">", cases.len());
        let _ = writeln!(out, "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" time=\"{time:.3}\">", cases.len());
        for (name, failure) in &cases {
            let name = escape(name);
            match failure {
                None => {
                    let _ = writeln!(
                        out,
                        "    <testcase classname=\"outbox-chaos.{suite}\" name=\"{name}\"/>"
                    );
                }
                Some((kind, message, body)) => {
                    let _ = writeln!(
                        out,
                        "    <testcase classname=\"outbox-chaos.{suite}\" name=\"{name}\">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                        escape(kind),
                        escape(message),
                        escape(body)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

/// A JUnit failure: its type, message and body.
type JunitFailure = (String, String, String);

/// `1 seed`, `3 seeds`.
pub fn seeds_word(n: u64) -> String {
    match n {
        1 => "1 seed".to_string(),
        n => format!("{n} seeds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;
    use crate::report::sweep::tests::{outcome, scenario};
    use crate::report::sweep::Sweep;
    use crate::scenario::Shard;

    fn shard(expect: &str, must_reach: &str, i: u32, runs: Vec<(u64, bool)>) -> ShardSummary {
        let shard: Shard = format!("{i}/2").parse().unwrap();
        let mut s = Sweep::new(
            &scenario(expect, must_reach),
            "0..4".parse().unwrap(),
            shard,
        );
        for (seed, dup) in runs {
            let run = if dup { duplicated_run() } else { clean_run() };
            s.add(outcome(seed, run));
        }
        ShardSummary {
            dir: PathBuf::from(format!("shard-{i}")),
            summary: s.summary(1.0),
        }
    }

    /// A window reached in one shard only counts as reached, and a planted bug shown in one
    /// shard only counts as shown: each shard alone fails, the merge passes.
    #[test]
    fn a_window_reached_in_any_shard_counts() {
        // Clean runs reach `dedupe-hit` but show no duplicate; duplicated runs the reverse.
        let a = shard(
            "duplicate",
            "\"dedupe-hit\"",
            1,
            vec![(0, false), (2, false)],
        );
        let b = shard("duplicate", "\"dedupe-hit\"", 2, vec![(1, true), (3, true)]);
        assert!(!a.summary.passed && !b.summary.passed);
        assert_eq!(b.summary.never_reached, vec!["dedupe-hit".to_string()]);
        let m = merge(&[a, b]).unwrap();
        assert!(m.passed(), "{}", m.text());
        assert_eq!(m.exit_code(), 0);
        assert_eq!(m.seeds_run, 4);
        assert!(m.text().ends_with("result: pass\n"), "{}", m.text());
        assert!(m.never_reached().is_empty());
    }

    #[test]
    fn a_failing_seed_in_any_shard_fails_the_merge() {
        let a = shard("pass", "", 1, vec![(0, false), (2, false)]);
        let b = shard("pass", "", 2, vec![(1, true), (3, false)]);
        let m = merge(&[b, a]).unwrap();
        assert_eq!(m.exit_code(), 1);
        let text = m.text();
        assert!(
            text.contains("failing seeds: 1\n  seed 1: violations duplicate=1  replay: outbox-chaos replay s --seed 1\n"),
            "{text}"
        );
        assert!(
            m.junit_xml().contains("failures=\"1\""),
            "{}",
            m.junit_xml()
        );
    }

    #[test]
    fn a_planted_bug_found_in_one_shard_passes() {
        let a = shard("duplicate", "", 1, vec![(0, false), (2, false)]);
        let b = shard("duplicate", "", 2, vec![(1, true), (3, false)]);
        assert!(!a.summary.passed, "shard 1 alone does not find it");
        let m = merge(&[a, b]).unwrap();
        assert!(m.passed(), "{}", m.text());
    }

    #[test]
    fn missing_duplicate_or_foreign_shards_are_refused() {
        let a = shard("pass", "", 1, vec![(0, false)]);
        let e = merge(std::slice::from_ref(&a)).unwrap_err().to_string();
        assert!(e.contains("shard(s) 2/2 missing"), "{e}");
        let e = merge(&[a.clone(), a.clone()]).unwrap_err().to_string();
        assert!(e.contains("given twice"), "{e}");
        let other = shard("duplicate", "", 2, vec![(1, false)]);
        let e = merge(&[a, other]).unwrap_err().to_string();
        assert!(e.contains("expect is `duplicate`"), "{e}");
    }
}
