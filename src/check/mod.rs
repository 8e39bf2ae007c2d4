//! The checkers that judge a run's history and the final state it left (both from `history`).
//!
//! Every checker (ARCHITECTURE.md#srccheck) lives in its own file and is a plain function of an
//! [`Input`] (the history, the final state when there is one, and an index built once from the
//! history). [`check_all`] runs them all in a fixed order and adds the fault coverage.
//!
//! A checker has three answers: pass, violations (each with the records of its event's
//! timeline), or undecided (with the reason). It never passes by default: when the evidence it
//! needs is missing (no final state, an empty history) it says so.
//!
//! This module imports no world, reads no clock, and iterates only ordered maps, so the same
//! history and final state always give the same report, byte for byte.

pub(crate) mod coverage;
pub(crate) mod duplicate;
pub(crate) mod duplicate_event;
pub(crate) mod facts;
pub(crate) mod fast_hash;
pub(crate) mod lost;
pub(crate) mod phantom;
pub(crate) mod reorder;
pub(crate) mod rolled_back;
pub(crate) mod stuck;
pub mod timeline;
pub(crate) mod torn;

use crate::history::state::FinalState;
use crate::history::Record;
use coverage::Coverage;
use facts::Facts;
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The kinds of violation, declared in the fixed order every report uses (alphabetical by their
/// kebab-case name, so sorted strings and sorted kinds agree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViolationKind {
    Duplicate,
    DuplicateEvent,
    Lost,
    Phantom,
    Reorder,
    RolledBack,
    Stuck,
    Torn,
}

impl ViolationKind {
    pub const ALL: [ViolationKind; 8] = [
        ViolationKind::Duplicate,
        ViolationKind::DuplicateEvent,
        ViolationKind::Lost,
        ViolationKind::Phantom,
        ViolationKind::Reorder,
        ViolationKind::RolledBack,
        ViolationKind::Stuck,
        ViolationKind::Torn,
    ];

    /// Kinds a violation of this kind brings along by itself, which a sweep expecting it accepts:
    /// a torn write (state without its event) is also a committed decision whose effects never
    /// happen, so it is lost in every concern.
    pub fn implied(self) -> &'static [ViolationKind] {
        match self {
            ViolationKind::Torn => &[ViolationKind::Lost],
            _ => &[],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ViolationKind::Duplicate => "duplicate",
            ViolationKind::DuplicateEvent => "duplicate-event",
            ViolationKind::Lost => "lost",
            ViolationKind::Phantom => "phantom",
            ViolationKind::Reorder => "reorder",
            ViolationKind::RolledBack => "rolled-back",
            ViolationKind::Stuck => "stuck",
            ViolationKind::Torn => "torn",
        }
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown violation kind `{0}` (expected one of: duplicate, duplicate-event, lost, phantom, reorder, rolled-back, stuck, torn)")]
pub struct UnknownKind(pub String);

impl FromStr for ViolationKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ViolationKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// What a scenario expects of a run: no violation, or (for a planted bug) a given kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Expect {
    Pass,
    Violation(ViolationKind),
}

impl TryFrom<String> for Expect {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s == "pass" {
            return Ok(Expect::Pass);
        }
        s.parse().map(Expect::Violation).map_err(|_| {
            format!("expected `pass` or a violation kind (duplicate, duplicate-event, lost, phantom, reorder, rolled-back, stuck, torn), found `{s}`")
        })
    }
}

impl From<Expect> for String {
    fn from(e: Expect) -> String {
        e.to_string()
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Pass => f.write_str("pass"),
            Expect::Violation(k) => f.write_str(k.name()),
        }
    }
}

/// One violation: what went wrong, for which event, and the history records that tell its story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub kind: ViolationKind,
    /// The decision (= event) id, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub concern: Option<String>,
    /// `tenant:entry-id` of a stream entry whose event is unknown (a stuck entry already trimmed).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub entry: Option<String>,
    pub message: String,
    /// `Record::index` of every record in the event's timeline, ascending.
    pub timeline: Vec<u64>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(e) = &self.event {
            write!(f, " event={e}")?;
        }
        if let Some(c) = &self.concern {
            write!(f, " concern={c}")?;
        }
        if let Some(e) = &self.entry {
            write!(f, " entry={e}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What one checker found. Violations win over undecided parts: one proven violation is a verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    pub violations: Vec<Violation>,
    /// Why (part of) the question could not be decided; empty when it was.
    pub undecided: Vec<String>,
}

impl Findings {
    pub fn undecided(reason: impl Into<String>) -> Findings {
        Findings {
            violations: Vec::new(),
            undecided: vec![reason.into()],
        }
    }
}

/// A checker's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Undecided,
}

/// One checker's result within a [`Report`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub kind: ViolationKind,
    /// Whether a violation of this kind fails the run (reorder gates only when the scenario says).
    pub gating: bool,
    #[serde(flatten)]
    pub findings: Findings,
}

impl CheckResult {
    pub fn verdict(&self) -> Verdict {
        if !self.findings.violations.is_empty() {
            Verdict::Fail
        } else if !self.findings.undecided.is_empty() {
            Verdict::Undecided
        } else {
            Verdict::Pass
        }
    }
}

/// Options of a check, from the scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Reorder violations fail the run (otherwise they are only reported).
    pub reorder_gates: bool,
}

impl CheckOptions {
    /// A rolled-back effect never gates: the failover, not the pipeline, undid it, and the
    /// final state holds the effect once.
    pub fn gates(&self, kind: ViolationKind) -> bool {
        match kind {
            ViolationKind::Reorder => self.reorder_gates,
            ViolationKind::RolledBack => false,
            _ => true,
        }
    }
}

/// What the checkers read: the history, the final state (absent when the audit could not run),
/// and an index of the history built once for all of them.
pub struct Input<'a> {
    pub history: &'a [Record],
    pub state: Option<&'a FinalState>,
    pub facts: Facts<'a>,
    /// `duplicate::counts`, computed by the first checker that asks.
    effect_counts: OnceCell<Vec<duplicate::Count<'a>>>,
}

impl<'a> Input<'a> {
    pub fn new(history: &'a [Record], state: Option<&'a FinalState>) -> Input<'a> {
        Input {
            history,
            state,
            facts: Facts::build(history),
            effect_counts: OnceCell::new(),
        }
    }

    /// Applications per (concern, event) in the final state and in the history, in (concern,
    /// event) order (`duplicate::counts`; `duplicate` and `rolled_back` share one computation).
    pub(crate) fn effect_counts(&self) -> &[duplicate::Count<'a>] {
        self.effect_counts.get_or_init(|| duplicate::counts(self))
    }

    /// A violation with its event's timeline attached.
    pub fn violation(
        &self,
        kind: ViolationKind,
        event: &str,
        concern: Option<&str>,
        message: String,
    ) -> Violation {
        Violation {
            kind,
            event: Some(event.to_string()),
            concern: concern.map(str::to_string),
            entry: None,
            message,
            timeline: timeline::for_event(self, event),
        }
    }
}

/// A registered checker.
#[derive(Clone, Copy)]
pub struct Checker {
    pub kind: ViolationKind,
    pub check: fn(&Input) -> Findings,
}

/// Every checker, in report order.
pub const CHECKERS: [Checker; 8] = [
    Checker {
        kind: ViolationKind::Duplicate,
        check: duplicate::check,
    },
    Checker {
        kind: ViolationKind::DuplicateEvent,
        check: duplicate_event::check,
    },
    Checker {
        kind: ViolationKind::Lost,
        check: lost::check,
    },
    Checker {
        kind: ViolationKind::Phantom,
        check: phantom::check,
    },
    Checker {
        kind: ViolationKind::Reorder,
        check: reorder::check,
    },
    Checker {
        kind: ViolationKind::RolledBack,
        check: rolled_back::check,
    },
    Checker {
        kind: ViolationKind::Stuck,
        check: stuck::check,
    },
    Checker {
        kind: ViolationKind::Torn,
        check: torn::check,
    },
];

/// The verdict of every checker on one run, and the run's fault coverage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub results: Vec<CheckResult>,
    pub coverage: Coverage,
}

/// Runs every checker on one run, and counts the fault windows the run reached.
pub fn check_all(history: &[Record], state: Option<&FinalState>, opts: CheckOptions) -> Report {
    let input = Input::new(history, state);
    let results = CHECKERS
        .iter()
        .map(|c| CheckResult {
            kind: c.kind,
            gating: opts.gates(c.kind),
            findings: run_one(c, &input),
        })
        .collect();
    Report {
        results,
        coverage: coverage::count_indexed(history, &input.facts),
    }
}

/// One checker, behind the precondition every checker shares: an empty history decides nothing.
fn run_one(checker: &Checker, input: &Input) -> Findings {
    if input.history.is_empty() {
        return Findings::undecided("the history is empty: nothing was recorded for this run");
    }
    let mut findings = (checker.check)(input);
    for v in &mut findings.violations {
        debug_assert_eq!(
            v.kind, checker.kind,
            "a checker reported another checker's kind"
        );
        v.kind = checker.kind;
    }
    findings
}

impl Report {
    /// Violations per kind (every kind found, gating or not), in kind order.
    pub fn counts(&self) -> BTreeMap<ViolationKind, u64> {
        self.results
            .iter()
            .filter(|r| !r.findings.violations.is_empty())
            .map(|r| (r.kind, r.findings.violations.len() as u64))
            .collect()
    }

    /// Violations per kind, only kinds that fail the run.
    pub fn gating_counts(&self) -> BTreeMap<ViolationKind, u64> {
        self.counts()
            .into_iter()
            .filter(|(k, _)| self.result(*k).is_some_and(|r| r.gating))
            .collect()
    }

    /// Violations per kind that are reported but do not fail the run.
    pub fn reported_counts(&self) -> BTreeMap<ViolationKind, u64> {
        self.counts()
            .into_iter()
            .filter(|(k, _)| self.result(*k).is_some_and(|r| !r.gating))
            .collect()
    }

    /// Gating checkers that could not decide and found no violation.
    pub fn undecided(&self) -> Vec<ViolationKind> {
        self.results
            .iter()
            .filter(|r| r.gating && r.verdict() == Verdict::Undecided)
            .map(|r| r.kind)
            .collect()
    }

    pub fn result(&self, kind: ViolationKind) -> Option<&CheckResult> {
        self.results.iter().find(|r| r.kind == kind)
    }

    /// Every violation, in kind order, then in each checker's (deterministic) order.
    pub fn violations(&self) -> impl Iterator<Item = &Violation> {
        self.results
            .iter()
            .flat_map(|r| r.findings.violations.iter())
    }

    /// Clean: every gating checker decided and passed.
    pub fn is_clean(&self) -> bool {
        self.gating_counts().is_empty() && self.undecided().is_empty()
    }

    /// Whether this run meets the scenario's expectation: `pass` needs a clean run; a planted bug
    /// needs at least one violation of its kind (other kinds may come with it: a torn write, for
    /// instance, also loses effects).
    pub fn meets(&self, expect: Expect) -> bool {
        match expect {
            Expect::Pass => self.is_clean(),
            Expect::Violation(kind) => self.counts().get(&kind).is_some_and(|n| *n > 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;

    #[test]
    fn kinds_are_in_alphabetical_order_and_round_trip() {
        let names: Vec<&str> = ViolationKind::ALL.iter().map(|k| k.name()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        for k in ViolationKind::ALL {
            assert_eq!(k.name().parse::<ViolationKind>().unwrap(), k);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.name())
            );
        }
        assert!("dup".parse::<ViolationKind>().is_err());
    }

    #[test]
    fn expect_parses_pass_and_kinds() {
        assert_eq!(Expect::try_from("pass".to_string()), Ok(Expect::Pass));
        assert_eq!(
            Expect::try_from("duplicate-event".to_string()),
            Ok(Expect::Violation(ViolationKind::DuplicateEvent))
        );
        assert!(Expect::try_from("clean".to_string()).is_err());
    }

    #[test]
    fn clean_history_passes_every_checker() {
        let (history, state) = clean_run();
        let report = check_all(&history, Some(&state), CheckOptions::default());
        for r in &report.results {
            assert_eq!(r.verdict(), Verdict::Pass, "{:?}", r);
        }
        assert!(report.is_clean());
        assert!(report.meets(Expect::Pass));
        assert!(!report.meets(Expect::Violation(ViolationKind::Duplicate)));
    }

    #[test]
    fn empty_history_is_undecided_for_every_checker() {
        let report = check_all(&[], Some(&FinalState::default()), CheckOptions::default());
        assert!(report
            .results
            .iter()
            .all(|r| r.verdict() == Verdict::Undecided));
        assert!(!report.is_clean());
        assert!(!report.meets(Expect::Pass));
    }

    #[test]
    fn no_final_state_is_undecided_not_clean() {
        let (history, _) = clean_run();
        let report = check_all(&history, None, CheckOptions::default());
        for kind in [
            ViolationKind::Lost,
            ViolationKind::Stuck,
            ViolationKind::Torn,
            ViolationKind::Duplicate,
        ] {
            assert_eq!(
                report.result(kind).unwrap().verdict(),
                Verdict::Undecided,
                "{kind}"
            );
        }
        assert!(!report.is_clean());
    }

    #[test]
    fn reorder_reports_without_gating_unless_asked() {
        let (history, state) = reordered_run();
        let report = check_all(&history, Some(&state), CheckOptions::default());
        assert_eq!(
            report.reported_counts().get(&ViolationKind::Reorder),
            Some(&1)
        );
        assert!(report.is_clean());
        let gated = check_all(
            &history,
            Some(&state),
            CheckOptions {
                reorder_gates: true,
            },
        );
        assert!(!gated.is_clean());
        assert_eq!(gated.gating_counts().get(&ViolationKind::Reorder), Some(&1));
    }

    #[test]
    fn report_is_deterministic() {
        let (history, state) = duplicated_run();
        let a = serde_json::to_string(&check_all(&history, Some(&state), CheckOptions::default()))
            .unwrap();
        let b = serde_json::to_string(&check_all(&history, Some(&state), CheckOptions::default()))
            .unwrap();
        assert_eq!(a, b);
    }
}
