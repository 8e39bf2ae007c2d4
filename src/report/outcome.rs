//! What one run produced, in either world, and the text every command prints about it: the
//! header line, the parameters drawn before it started, and its ending (violations with
//! timelines, coverage, the world's figures, where the report went, `history-hash:` and
//! `verdict:`).
//!
//! Both worlds fill one [`RunOutcome`]; only [`Figures`] tells them apart. This module formats;
//! it never runs anything, judges or reads a clock.

use super::summary::Summary;
use super::sweep::SeedOutcome;
use super::{replay_command, run_text_with, shrink_command, RunId};
use crate::check::{Report, ViolationKind};
use crate::history::hash::history_hash;
use crate::history::state::FinalState;
use crate::history::{CommitOutcome, Op, Phase, Record};
use crate::scenario::Scenario;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

/// When a run's phases ended, in ms after its start (simulated or wall clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phases {
    /// When the fault window ended and everything healed.
    pub healed_at_ms: u64,
    /// Every producer done and every group drained (and, with Sentinels, the servers agreeing
    /// with them) before `drain_ms` ran out.
    pub drained: bool,
    /// When the pipeline was stopped for the audit.
    pub stopped_at_ms: u64,
}

impl Phases {
    pub fn parameters(&self) -> BTreeMap<String, serde_json::Value> {
        BTreeMap::from([
            ("run.healed_at_ms".to_string(), json!(self.healed_at_ms)),
            ("run.drained".to_string(), json!(self.drained)),
            ("run.stopped_at_ms".to_string(), json!(self.stopped_at_ms)),
        ])
    }
}

/// What only one world measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figures {
    /// Commands the simulated Redis executed (every incarnation).
    Simulated { redis_commands: u64 },
    /// From connecting to Docker to the last container removed.
    WallClock { wall_ms: u64 },
}

/// Everything one run produced.
pub struct RunOutcome {
    pub scenario: Scenario,
    /// The seed in the simulation, the run id in the container world.
    pub run: RunId,
    pub seed: u64,
    pub history: Vec<Record>,
    /// `None` when the audit could not read Redis (`audit_error` says why).
    pub state: Option<FinalState>,
    pub audit_error: Option<String>,
    pub report: Report,
    pub parameters: BTreeMap<String, serde_json::Value>,
    pub phases: Phases,
    pub figures: Figures,
}

impl RunOutcome {
    pub fn history_hash(&self) -> u64 {
        history_hash(&self.history)
    }

    pub fn is_clean(&self) -> bool {
        self.report.is_clean()
    }

    pub fn summary(&self) -> Summary {
        Summary::build(
            &self.scenario,
            &self.run,
            &self.history,
            &self.report,
            self.parameters.clone(),
        )
    }

    pub fn seed_outcome(&self) -> SeedOutcome {
        SeedOutcome::new(self.seed, &self.history, &self.report)
    }

    /// Decisions whose commit returned ok and that the `lost` checker reports lost.
    pub fn lost_acknowledged(&self) -> BTreeSet<String> {
        lost_acknowledged(&self.history, &self.report)
    }
}

/// Decisions whose commit returned ok and that the `lost` checker reports lost.
pub fn lost_acknowledged(history: &[Record], report: &Report) -> BTreeSet<String> {
    let Some(lost) = report.result(ViolationKind::Lost) else {
        return BTreeSet::new();
    };
    let acknowledged = acknowledged_commits(history);
    lost.findings
        .violations
        .iter()
        .filter_map(|v| v.event.clone())
        .filter(|e| acknowledged.contains(e))
        .collect()
}

/// `lost N of M acknowledged commits (x%)`: what a reader of a lost finding asks first (Jepsen's
/// figure for Redis Sentinel in 2013 was such a fraction).
pub fn lost_fraction_line(lost: u64, acknowledged: u64) -> String {
    let percent = match acknowledged {
        0 => 0.0,
        n => lost as f64 * 100.0 / n as f64,
    };
    format!("lost {lost} of {acknowledged} acknowledged commits ({percent:.1}%)")
}

/// Decisions with a commit that returned ok (committed, or found committed by a retry).
pub fn acknowledged_commits(history: &[Record]) -> BTreeSet<String> {
    history
        .iter()
        .filter_map(|r| match &r.op {
            Op::Commit {
                event,
                outcome: Some(CommitOutcome::Committed | CommitOutcome::AlreadyCommitted),
                ..
            } if r.phase == Phase::Ok => Some(event.clone()),
            _ => None,
        })
        .collect()
}

/// `sim baseline --seed 7: <description>` (the scenario as the command line named it, so the
/// line reruns it), or `real partition (run <id>): ...` for a run known by its id only.
pub fn header_line(command: &str, scenario: &Scenario, run: &RunId) -> String {
    let target = scenario.command_target();
    match run {
        RunId::Seed(seed) => format!("{command} {target} --seed {seed}: {}", scenario.description),
        RunId::Id(id) => format!("{command} {target} (run {id}): {}", scenario.description),
    }
}

/// `parameters:` and one line per parameter; the fault schedule one fault per line.
pub fn parameters_text(parameters: &BTreeMap<String, serde_json::Value>) -> String {
    let mut out = String::from("parameters:\n");
    for (key, value) in parameters {
        match value {
            serde_json::Value::Array(items) if key == "faults.schedule" => {
                let _ = writeln!(out, "  {key}: {} faults", items.len());
                for f in items {
                    let _ = writeln!(out, "    {}", f.as_str().unwrap_or_default());
                }
            }
            _ => {
                let _ = writeln!(out, "  {key}: {value}");
            }
        }
    }
    out
}

/// The run's text: violations with timelines, the audit's error if any, the world's figures,
/// where the report went, the replay (and, simulated, shrink) command of a failing seed, `extra` lines; last
/// `history-hash:` and `verdict:`.
pub fn outcome_text(outcome: &RunOutcome, report_dir: &Path, extra: &[String]) -> String {
    outcome_text_with(outcome, report_dir, extra, false)
}

/// [`outcome_text`]; `verbose` lists the non-gating findings with their timelines too.
pub fn outcome_text_with(
    outcome: &RunOutcome,
    report_dir: &Path,
    extra: &[String],
    verbose: bool,
) -> String {
    let text = run_text_with(&outcome.history, &outcome.report, verbose);
    let lines: Vec<&str> = text.lines().collect();
    let (body, tail) = lines.split_at(lines.len().saturating_sub(2));
    let mut out: Vec<String> = body.iter().map(|l| l.to_string()).collect();
    if let Some(e) = &outcome.audit_error {
        out.push(format!("audit failed: {e}"));
    }
    let p = &outcome.phases;
    out.push(match outcome.figures {
        Figures::Simulated { redis_commands } => format!(
            "simulated: {} ms, {redis_commands} Redis commands, drained: {}",
            p.stopped_at_ms, p.drained
        ),
        Figures::WallClock { wall_ms } => format!(
            "wall clock: {wall_ms} ms (healed at {} ms, stopped at {} ms), drained: {}, acknowledged commits lost: {}",
            p.healed_at_ms,
            p.stopped_at_ms,
            p.drained,
            outcome.lost_acknowledged().len()
        ),
    });
    if outcome.report.counts().contains_key(&ViolationKind::Lost) {
        out.push(lost_fraction_line(
            outcome.lost_acknowledged().len() as u64,
            acknowledged_commits(&outcome.history).len() as u64,
        ));
    }
    out.push(format!("report: {}", report_dir.display()));
    if let (false, RunId::Seed(seed)) = (outcome.is_clean(), &outcome.run) {
        out.push(format!(
            "replay: {}",
            replay_command(&outcome.scenario.command_target(), *seed)
        ));
        // Only a simulated seed replays exactly, so only it can be shrunk.
        if let Figures::Simulated { .. } = outcome.figures {
            out.push(format!(
                "shrink: {}",
                shrink_command(&outcome.scenario.command_target(), *seed)
            ));
        }
    }
    out.extend(extra.iter().cloned());
    out.extend(tail.iter().map(|l| l.to_string()));
    out.iter().map(|l| format!("{l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lost_fraction_reads_as_jepsen_would_print_it() {
        assert_eq!(
            lost_fraction_line(56, 100),
            "lost 56 of 100 acknowledged commits (56.0%)"
        );
        assert_eq!(
            lost_fraction_line(1, 3),
            "lost 1 of 3 acknowledged commits (33.3%)"
        );
        assert_eq!(
            lost_fraction_line(0, 0),
            "lost 0 of 0 acknowledged commits (0.0%)"
        );
    }

    /// The header is a command that runs the seed again; a real run, known by its id, names no
    /// flag that does not exist (`--run` never did).
    #[test]
    fn headers_name_only_flags_that_exist() {
        let mut s = crate::report::sweep::tests::scenario("pass", "");
        s.invoked_as = Some("dir/s.toml".into());
        assert_eq!(
            header_line("sim", &s, &RunId::Seed(7)),
            "sim dir/s.toml --seed 7: d"
        );
        let real = header_line("real", &s, &RunId::Id("20261202T010203Z-3fa9".into()));
        assert_eq!(real, "real dir/s.toml (run 20261202T010203Z-3fa9): d");
    }
}
