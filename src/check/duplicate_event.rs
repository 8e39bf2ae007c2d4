//! Duplicate-event: more than one outbox entry for one decision, e.g. a retried commit that
//! wrote a second XADD instead of finding its idempotency marker.
//!
//! Stream ids come from the final state (entries still in the stream) and from the history
//! (ids a commit reported, ids delivered in any concern), since the trimmer removes
//! acknowledged entries. A reclaim redelivers the same id and is no second entry. Without a
//! final state and with no duplicate in the history, undecided: a second entry never delivered
//! would be invisible.

use super::facts::join;
use super::{Findings, Input, ViolationKind};

pub fn check(input: &Input) -> Findings {
    let mut findings = Findings::default();
    let in_state = input
        .state
        .into_iter()
        .flat_map(|s| s.decisions.iter().map(|(e, d)| (e.as_str(), d)));
    // One buffer for every decision's ids: a clean run has a million records and one id each.
    let mut ids: Vec<&str> = Vec::new();
    for (event, seen, found) in join(input.facts.decisions.iter(), in_state) {
        ids.clear();
        if let Some(d) = seen {
            ids.extend(d.commit_entry_ids.iter().chain(&d.delivered_entry_ids));
        }
        if let Some(d) = found {
            ids.extend(d.outbox_entries.iter().map(String::as_str));
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > 1 {
            let message = format!(
                "{} outbox entries for one decision: {}",
                ids.len(),
                ids.join(", ")
            );
            findings.violations.push(input.violation(
                ViolationKind::DuplicateEvent,
                event,
                None,
                message,
            ));
        }
    }
    if input.state.is_none() && findings.violations.is_empty() {
        findings
            .undecided
            .push("no final state: a second outbox entry never delivered would go unseen".into());
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;
    use crate::history::Phase;

    #[test]
    fn two_entries_delivered_for_one_decision() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Info);
        h.commit("d1", 1, Phase::Ok);
        h.process("billing", "d1", "1-0");
        h.process("billing", "d1", "2-0");
        let state = state_for(&["d1"], &["billing"]);
        let f = check(&Input::new(&h.records, Some(&state)));
        assert_eq!(f.violations.len(), 1);
        assert_eq!(
            f.violations[0].message,
            "2 outbox entries for one decision: 1-0, 2-0"
        );
    }

    #[test]
    fn second_entry_still_in_the_stream() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.process("billing", "d1", "1-0");
        let mut state = state_for(&["d1"], &["billing"]);
        state.decisions.get_mut("d1").unwrap().outbox_entries = vec!["1-0".into(), "3-0".into()];
        assert_eq!(
            check(&Input::new(&h.records, Some(&state)))
                .violations
                .len(),
            1
        );
    }

    #[test]
    fn reclaim_is_the_same_entry() {
        let (h, state) = duplicated_run();
        assert_eq!(check(&Input::new(&h, Some(&state))), Findings::default());
        assert_eq!(check(&Input::new(&h, None)).undecided.len(), 1);
    }
}
