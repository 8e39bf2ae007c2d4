//! Phantom: an effect or event for a decision whose commit definitely failed, or that no
//! producer ever committed.
//!
//! "Definitely failed" means every attempt ended `fail`; one unknown or unfinished attempt may
//! have landed, so it is not a phantom. A history that records no commit at all cannot tell
//! which decisions failed: undecided. The history alone can prove a phantom; without a final
//! state and with none in the history, undecided.

use super::facts::{join, CommitStatus, DecisionFacts};
use super::{Findings, Input, ViolationKind};
use crate::history::state::DecisionState;

pub fn check(input: &Input) -> Findings {
    if input.facts.commit_records == 0 {
        return Findings::undecided(
            "the history records no commit: cannot tell which decisions failed",
        );
    }
    let mut findings = Findings::default();
    let empty_facts = DecisionFacts::default();
    let in_state = input
        .state
        .into_iter()
        .flat_map(|s| s.decisions.iter().map(|(e, d)| (e.as_str(), d)));
    for (event, seen, found) in join(input.facts.decisions.iter(), in_state) {
        let seen = seen.unwrap_or(&empty_facts);
        let why = match seen.status() {
            CommitStatus::Failed => "every commit attempt failed",
            CommitStatus::Absent => "no commit of it was ever recorded",
            CommitStatus::Committed | CommitStatus::Unknown => continue,
        };
        if let Some(trace) = trace(seen, found) {
            let message = format!("{why}, yet {trace}");
            findings
                .violations
                .push(input.violation(ViolationKind::Phantom, event, None, message));
        }
    }
    if input.state.is_none() && findings.violations.is_empty() {
        findings
            .undecided
            .push("no final state: an unrecorded outbox entry or effect would go unseen".into());
    }
    findings
}

/// Every decision the history or the final state names, once, in order.
fn trace(seen: &DecisionFacts, found: Option<&DecisionState>) -> Option<&'static str> {
    if seen.seen_downstream() {
        return Some("a consumer received its event");
    }
    let found = found?;
    if !found.outbox_entries.is_empty() {
        Some("its event is in the outbox")
    } else if found.effects.values().any(|n| *n > 0) {
        Some("an effect of it was applied")
    } else if found.dead_lettered.values().any(|n| *n > 0) {
        Some("its event was dead-lettered")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;
    use crate::history::Phase;

    #[test]
    fn failed_commit_with_delivered_event_is_phantom() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Fail);
        h.process("billing", "d1", "1-0");
        let f = check(&Input::new(&h.records, None));
        assert_eq!(f.violations.len(), 1);
        assert_eq!(
            f.violations[0].message,
            "every commit attempt failed, yet a consumer received its event"
        );
    }

    #[test]
    fn failed_commit_with_outbox_entry_in_redis_is_phantom() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Fail);
        let mut state = state_for(&["d1"], &["billing"]);
        let d = state.decisions.get_mut("d1").unwrap();
        d.effects.clear();
        d.outbox_entries.push("1-0".into());
        assert_eq!(
            check(&Input::new(&h.records, Some(&state)))
                .violations
                .len(),
            1
        );
    }

    #[test]
    fn never_committed_effect_is_phantom() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        let state = state_for(&["d1", "ghost"], &["billing"]);
        let f = check(&Input::new(&h.records, Some(&state)));
        assert_eq!(f.violations.len(), 1);
        assert_eq!(f.violations[0].event.as_deref(), Some("ghost"));
    }

    #[test]
    fn unknown_or_retried_commits_are_not_phantoms() {
        let mut h = Hist::new();
        h.commit("u", 1, Phase::Info);
        h.process("billing", "u", "1-0");
        h.commit("r", 2, Phase::Fail);
        h.commit("r", 2, Phase::Ok);
        h.process("billing", "r", "2-0");
        let state = state_for(&["u", "r"], &["billing"]);
        assert_eq!(
            check(&Input::new(&h.records, Some(&state))),
            Findings::default()
        );
    }

    #[test]
    fn no_commits_recorded_is_undecided() {
        let mut h = Hist::new();
        h.process("billing", "d1", "1-0");
        let state = state_for(&["d1"], &["billing"]);
        let f = check(&Input::new(&h.records, Some(&state)));
        assert!(f.violations.is_empty());
        assert_eq!(f.undecided.len(), 1);
    }
}
