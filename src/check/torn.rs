//! Torn: state and outbox disagree. Either a decision's state is in Redis with no trace of its
//! event anywhere (no outbox entry, no delivery, no effect, no dead letter), or an event exists
//! with no state.
//!
//! The trimmer removes acknowledged entries, so a missing outbox entry alone proves nothing: an
//! event trimmed after delivery left deliveries and effects behind. An entry trimmed before any
//! delivery (the unsafe trimmer) left nothing; when the commit recorded its stream id, the trim
//! that passed it is the evidence, and when it did not, that decision is undecided rather than
//! called torn. Needs the final state; without it, undecided.

use super::facts::{join, DecisionFacts};
use super::{Findings, Input, ViolationKind};
use crate::history::state::DecisionState;

pub fn check(input: &Input) -> Findings {
    let Some(state) = input.state else {
        return Findings::undecided(
            "no final state: the business state cannot be read from the history",
        );
    };
    let mut findings = Findings::default();
    let empty = DecisionFacts::default();
    let in_state = state.decisions.iter().map(|(e, d)| (e.as_str(), d));
    for (event, seen, found) in join(input.facts.decisions.iter(), in_state) {
        let Some(found) = found else { continue };
        let seen = seen.unwrap_or(&empty);
        let evidence = event_evidence(found, seen);
        if found.state && !evidence {
            state_without_event(input, event, found, seen, &mut findings);
        } else if !found.state && evidence {
            let message = "an event exists but the decision's state is not in Redis".to_string();
            findings
                .violations
                .push(input.violation(ViolationKind::Torn, event, None, message));
        }
    }
    findings
}

/// Any trace of the event, in Redis or in the history.
fn event_evidence(found: &DecisionState, seen: &DecisionFacts) -> bool {
    !found.outbox_entries.is_empty()
        || found.effects.values().any(|n| *n > 0)
        || found.dead_lettered.values().any(|n| *n > 0)
        || seen.seen_downstream()
}

fn state_without_event(
    input: &Input,
    event: &str,
    found: &DecisionState,
    seen: &DecisionFacts,
    findings: &mut Findings,
) {
    let tenant = if seen.tenant.is_empty() {
        found.tenant.as_str()
    } else {
        seen.tenant
    };
    let trimmed = seen
        .commit_entry_ids
        .iter()
        .any(|id| input.facts.trimmed_past(input.history, tenant, id));
    if trimmed {
        return; // the event existed; losing it is the lost checker's finding
    }
    if seen.commit_entry_ids.is_empty() && input.facts.trimmed_any(input.history, tenant) {
        findings.undecided.push(format!(
            "{event}: state without a visible event, but tenant {tenant}'s stream was trimmed and the commit recorded no entry id"
        ));
        return;
    }
    let message = "the decision's state is in Redis but its event is nowhere: no outbox entry, delivery, effect or dead letter".to_string();
    findings
        .violations
        .push(input.violation(ViolationKind::Torn, event, None, message));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;
    use crate::history::Phase;

    #[test]
    fn dual_write_crash_after_state_is_torn() {
        let mut h = Hist::new();
        h.invoke("d1", 1);
        h.state_written("d1");
        h.failpoint("producer-0", "producer.after_state");
        h.fault("crash", "producer-0", "");
        let mut state = state_for(&["d1"], &["billing"]);
        state.decisions.get_mut("d1").unwrap().effects.clear();
        let f = check(&Input::new(&h.records, Some(&state)));
        assert_eq!(f.violations.len(), 1);
        assert_eq!(f.violations[0].timeline, vec![0, 1, 2, 3]);
    }

    #[test]
    fn event_without_state_is_torn() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.process("billing", "d1", "1-0");
        let mut state = state_for(&["d1"], &["billing"]);
        state.decisions.get_mut("d1").unwrap().state = false;
        assert_eq!(
            check(&Input::new(&h.records, Some(&state)))
                .violations
                .len(),
            1
        );
    }

    #[test]
    fn trimmed_after_delivery_is_not_torn() {
        let (h, state) = clean_run();
        assert_eq!(check(&Input::new(&h, Some(&state))), Findings::default());
    }

    #[test]
    fn trimmed_before_delivery_is_not_torn_or_is_undecided() {
        let mut known = Hist::new();
        known.commit_entry("d1", "1-0");
        known.trim("t1", "2-0", 1);
        let mut state = state_for(&["d1"], &["billing"]);
        state.decisions.get_mut("d1").unwrap().effects.clear();
        assert_eq!(
            check(&Input::new(&known.records, Some(&state))),
            Findings::default()
        );

        let mut unknown = Hist::new();
        unknown.commit("d1", 1, Phase::Ok);
        unknown.trim("t1", "2-0", 1);
        let f = check(&Input::new(&unknown.records, Some(&state)));
        assert!(f.violations.is_empty());
        assert_eq!(f.undecided.len(), 1);
    }

    #[test]
    fn undecided_without_final_state() {
        let (h, _) = clean_run();
        assert_eq!(check(&Input::new(&h, None)).undecided.len(), 1);
    }
}
