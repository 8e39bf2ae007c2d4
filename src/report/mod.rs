//! Reports: what a run or a sweep leaves behind for people and for CI.
//!
//! - [`jsonl`]: `history.jsonl`, the history one record per line (the bytes the hash covers).
//! - [`summary`]: `summary.json` of one run.
//! - [`sweep`]: a sweep's accumulated outcome, its text summary, `summary.json` and exit code.
//! - [`junit`]: JUnit XML for a sweep.
//! - [`merge`]: the shards of a sweep (a CI matrix) judged as one.
//! - [`outcome`]: one run's outcome in either world, and the text every command prints about it.
//! - [`series`]: a run's performance over time (rates, latency, lag, faults, recovery), derived
//!   from its history for the `bench` command and the HTML report.
//! - [`html`]: `report.html` of a run or a sweep, with its SVG plots.
//! - [`table`]: the outcome table of durability settings × faults (`outbox-chaos table`).
//! - here: the verdict line, a run's text ending (`history-hash:`, `verdict:`), and the layout
//!   of `reports/<scenario>/<seed>/`.
//!
//! Reports format what the checkers found; they never judge and never read a clock: a sweep's
//! wall time comes in as an argument from `main.rs`.

pub mod html;
pub mod jsonl;
pub mod junit;
pub mod merge;
pub mod outcome;
pub mod series;
pub(crate) mod summary;
pub mod sweep;
pub mod table;

use crate::check::{timeline, Input, Report, Violation, ViolationKind};
use crate::history::hash;
use crate::history::state::FinalState;
use crate::history::Record;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use summary::Summary;

/// Violations printed with their whole timeline in a run's text; the rest get one line each.
pub const TIMELINES_SHOWN_MAX: usize = 10;
/// Violations listed at all in a run's text.
pub const VIOLATIONS_LISTED_MAX: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: not a history record: {source}", path.display())]
    Record {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    #[error("{}: cannot draw a plot: {message}", path.display())]
    Plot { path: PathBuf, message: String },
    #[error("{}: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Which run a report belongs to: a simulated seed, or a real-world run's id (a timestamp).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunId {
    Seed(u64),
    Id(String),
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunId::Seed(s) => write!(f, "{s}"),
            RunId::Id(id) => f.write_str(id),
        }
    }
}

/// `base/<scenario>/<seed or id>`.
pub fn run_dir(base: &Path, scenario: &str, run: &RunId) -> PathBuf {
    base.join(scenario).join(run.to_string())
}

/// Writes `history.jsonl` and `summary.json` into `dir` (created if missing).
pub fn write_run(dir: &Path, history: &[Record], summary: &Summary) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    jsonl::write_history_file(&dir.join("history.jsonl"), history)?;
    write_json(&dir.join("summary.json"), summary)
}

/// Pretty JSON with a final newline.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), ReportError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|source| ReportError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    text.push('\n');
    std::fs::write(path, text).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The command that replays one seed; `scenario` as the command line names it
/// ([`crate::scenario::Scenario::command_target`]), so the command works when pasted.
pub fn replay_command(scenario: &str, seed: u64) -> String {
    format!("outbox-chaos replay {scenario} --seed {seed}")
}

/// The command that shrinks one failing seed to a small reproducer.
pub fn shrink_command(scenario: &str, seed: u64) -> String {
    format!("outbox-chaos shrink {scenario} --seed {seed}")
}

/// `kind=count,...` in kind order.
pub fn kind_counts(counts: &BTreeMap<ViolationKind, u64>) -> String {
    counts
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn kind_list(kinds: &[ViolationKind]) -> String {
    kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(",")
}

/// The verdict line: `verdict: clean`, `verdict: violations duplicate=3,lost=1` (gating kinds
/// only, in kind order, then ` undecided=stuck` if some gating checker could not decide), or
/// `verdict: undecided stuck,torn` when nothing was found but something could not be decided.
pub fn verdict_line(report: &Report) -> String {
    format!("verdict: {}", verdict_text(report))
}

/// The verdict without its `verdict: ` label (`clean`, `violations duplicate=3`), as
/// `summary.json` and JUnit carry it.
pub fn verdict_text(report: &Report) -> String {
    let gating = report.gating_counts();
    let undecided = report.undecided();
    match (gating.is_empty(), undecided.is_empty()) {
        (true, true) => "clean".to_string(),
        (true, false) => format!("undecided {}", kind_list(&undecided)),
        (false, true) => format!("violations {}", kind_counts(&gating)),
        (false, false) => format!(
            "violations {} undecided={}",
            kind_counts(&gating),
            kind_list(&undecided)
        ),
    }
}

/// `reported (not gating): reorder=2`, when a non-gating kind was found.
pub fn reported_line(report: &Report) -> Option<String> {
    let reported = report.reported_counts();
    (!reported.is_empty()).then(|| format!("reported (not gating): {}", kind_counts(&reported)))
}

/// `coverage: failpoint-crash=3 redelivered-after-effect=1 ...`, fixed windows first.
pub fn coverage_line(coverage: &crate::check::coverage::Coverage) -> String {
    let parts: Vec<String> = coverage
        .ordered()
        .into_iter()
        .map(|(w, n)| format!("{w}={n}"))
        .collect();
    format!("coverage: {}", parts.join(" "))
}

/// A run's text report for people, ending with `history-hash: <16 hex>` and the verdict line
/// for scripts: the verdict first, then each gating violation (the first few with their
/// timelines), undecided reasons, one count line per non-gating kind, coverage.
pub fn run_text(history: &[Record], report: &Report) -> String {
    run_text_with(history, report, false)
}

/// [`run_text`]; `verbose` also lists the non-gating findings with their timelines (the
/// report's `summary.json` has them either way).
pub fn run_text_with(history: &[Record], report: &Report, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", verdict_line(report));
    let gating: Vec<&Violation> = report
        .results
        .iter()
        .filter(|r| r.gating)
        .flat_map(|r| r.findings.violations.iter())
        .collect();
    list_violations(&mut out, history, &gating);
    for r in report
        .results
        .iter()
        .filter(|r| r.findings.violations.is_empty())
    {
        for reason in &r.findings.undecided {
            let _ = writeln!(out, "undecided {}: {reason}", r.kind);
        }
    }
    for r in report.results.iter().filter(|r| !r.gating) {
        let n = r.findings.violations.len();
        if n == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "{}: {n} found, not gating{}",
            r.kind,
            if verbose {
                ":"
            } else {
                " (listed with --verbose, and in summary.json)"
            }
        );
        if verbose {
            let listed: Vec<&Violation> = r.findings.violations.iter().collect();
            list_violations(&mut out, history, &listed);
        }
    }
    let _ = writeln!(out, "{}", coverage_line(&report.coverage));
    let _ = writeln!(
        out,
        "history-hash: {}",
        hash::format_hash(hash::history_hash(history))
    );
    let _ = writeln!(out, "{}", verdict_line(report));
    out
}

/// Each violation (the first [`TIMELINES_SHOWN_MAX`] with their timelines), at most
/// [`VIOLATIONS_LISTED_MAX`].
fn list_violations(out: &mut String, history: &[Record], violations: &[&Violation]) {
    for (i, v) in violations.iter().take(VIOLATIONS_LISTED_MAX).enumerate() {
        let _ = writeln!(out, "{v}");
        if i < TIMELINES_SHOWN_MAX {
            for line in timeline::render(history, &v.timeline).lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    if violations.len() > VIOLATIONS_LISTED_MAX {
        let _ = writeln!(
            out,
            "... and {} more violations",
            violations.len() - VIOLATIONS_LISTED_MAX
        );
    }
}

/// One event's timeline as text (`replay --event ID`); empty when the history never names it.
pub fn event_timeline(history: &[Record], state: Option<&FinalState>, event: &str) -> String {
    let input = Input::new(history, state);
    timeline::render(history, &timeline::for_event(&input, event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{check_all, CheckOptions};
    use crate::history::testkit::*;

    #[test]
    fn verdict_lines() {
        let (h, s) = clean_run();
        assert_eq!(
            verdict_line(&check_all(&h, Some(&s), CheckOptions::default())),
            "verdict: clean"
        );
        let (mut h, mut s) = duplicated_run();
        let mut extra = Hist::new();
        extra.commit("d2", 2, crate::history::Phase::Ok);
        for mut r in extra.records {
            r.index = h.len() as u64;
            h.push(r);
        }
        // d2's event is in the outbox but took effect nowhere: lost.
        let d2 = crate::history::state::DecisionState {
            tenant: "t1".into(),
            marker: true,
            state: true,
            outbox_entries: vec!["2-0".into()],
            ..Default::default()
        };
        s.decisions.insert("d2".into(), d2);
        let report = check_all(&h, Some(&s), CheckOptions::default());
        assert_eq!(
            verdict_line(&report),
            "verdict: violations duplicate=1,lost=1"
        );
        let (h, _) = clean_run();
        let report = check_all(&h, None, CheckOptions::default());
        assert_eq!(
            verdict_line(&report),
            "verdict: undecided duplicate,duplicate-event,lost,phantom,stuck,torn"
        );
        let report = check_all(&duplicated_run().0, None, CheckOptions::default());
        assert_eq!(
            verdict_line(&report),
            "verdict: violations duplicate=1 undecided=duplicate-event,lost,phantom,stuck,torn"
        );
    }

    #[test]
    fn reorder_is_reported_apart_unless_gating() {
        let (h, s) = reordered_run();
        let report = check_all(&h, Some(&s), CheckOptions::default());
        assert_eq!(verdict_line(&report), "verdict: clean");
        assert_eq!(
            reported_line(&report).as_deref(),
            Some("reported (not gating): reorder=1")
        );
        let gated = check_all(
            &h,
            Some(&s),
            CheckOptions {
                reorder_gates: true,
            },
        );
        assert_eq!(verdict_line(&gated), "verdict: violations reorder=1");
        assert_eq!(reported_line(&gated), None);
    }

    #[test]
    fn run_text_ends_with_hash_and_verdict() {
        let (h, s) = duplicated_run();
        let report = check_all(&h, Some(&s), CheckOptions::default());
        let text = run_text(&h, &report);
        let lines: Vec<&str> = text.lines().collect();
        let n = lines.len();
        assert!(
            lines[n - 2].starts_with("history-hash: ")
                && lines[n - 2].len() == "history-hash: ".len() + 16,
            "{}",
            lines[n - 2]
        );
        assert_eq!(lines[n - 1], "verdict: violations duplicate=1");
        assert_eq!(lines[0], "verdict: violations duplicate=1", "verdict first");
        assert!(
            lines[1].starts_with("duplicate event=d1 concern=billing: effect applied 2 times"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("    ") && lines[2].contains("commit d1"),
            "{}",
            lines[2]
        );
        assert!(
            text.contains("coverage: failpoint-crash=1 redelivered-after-effect=1"),
            "{text}"
        );
    }

    /// Non-gating findings are one count line, listed with their timelines only with
    /// `verbose`; the verdict comes first.
    #[test]
    fn non_gating_findings_are_one_count_line() {
        let (h, s) = reordered_run();
        let report = check_all(&h, Some(&s), CheckOptions::default());
        let text = run_text(&h, &report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "verdict: clean");
        assert_eq!(
            lines[1],
            "reorder: 1 found, not gating (listed with --verbose, and in summary.json)"
        );
        assert!(!text.contains("reorder event=d1"), "{text}");
        assert!(!text.contains("commit d1"), "no timeline: {text}");
        let verbose = run_text_with(&h, &report, true);
        assert!(
            verbose.contains("reorder: 1 found, not gating:\nreorder event=d1"),
            "{verbose}"
        );
        assert!(verbose.contains("commit d1"), "{verbose}");
    }

    /// A timeline holds the event's own records and the faults that reached its processes: not
    /// another worker's crash, but a Redis crash (every process talks to Redis).
    #[test]
    fn a_timeline_leaves_out_other_workers_crashes() {
        let mut h = Hist::new();
        h.commit("d1", 1, crate::history::Phase::Ok);
        h.deliver("billing", "d1", "1-0", "worker-billing-0", false);
        h.fault("crash", "worker-crm-1", "");
        h.failpoint("worker-crm-1", "consumer.after_read");
        h.fault("crash", "redis", "");
        h.effect("billing", "d1", "1-0", "worker-billing-0", true);
        h.ack("billing", "d1", "1-0", "worker-billing-0");
        let text = event_timeline(&h.records, None, "d1");
        assert!(!text.contains("worker-crm-1"), "{text}");
        assert!(text.contains("fault crash redis"), "{text}");
        assert_eq!(text.lines().count(), 6, "{text}");
    }

    #[test]
    fn event_timeline_text() {
        let (h, _) = clean_run();
        let text = event_timeline(&h, None, "d2");
        // Its 8 records, and the crm worker's failpoint and crash that happened meanwhile.
        assert_eq!(text.lines().count(), 10, "{text}");
        assert!(
            text.lines()
                .nth(3)
                .unwrap()
                .contains("fault crash worker-crm-0"),
            "{text}"
        );
        assert_eq!(event_timeline(&h, None, "nope"), "");
    }

    #[test]
    fn run_dir_layout() {
        assert_eq!(
            run_dir(Path::new("reports"), "baseline", &RunId::Seed(7)),
            Path::new("reports/baseline/7")
        );
        assert_eq!(
            run_dir(Path::new("r"), "x", &RunId::Id("20261125T101500Z".into())),
            Path::new("r/x/20261125T101500Z")
        );
    }
}
