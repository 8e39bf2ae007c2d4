//! Duplicate-event: more than one outbox entry for one decision, e.g. a retried commit that
//! wrote a second XADD instead of finding its idempotency marker.
//!
//! Stream ids come from the final state (entries still in the stream) and from the history
//! (ids a commit reported, ids delivered in any concern), since the trimmer removes
//! acknowledged entries. A reclaim redelivers the same id and is no second entry. Without a
//! final state and with no duplicate in the history, undecided: a second entry never delivered
//! would be invisible.

use super::{Findings, Input, ViolationKind};
use std::collections::{BTreeMap, BTreeSet};

pub fn check(input: &Input) -> Findings {
    let mut findings = Findings::default();
    for (event, ids) in entry_ids(input) {
        if ids.len() > 1 {
            let list: Vec<&str> = ids.into_iter().collect();
            let message = format!(
                "{} outbox entries for one decision: {}",
                list.len(),
                list.join(", ")
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

/// Every stream id known to carry each event.
fn entry_ids<'a>(input: &'a Input) -> BTreeMap<&'a str, BTreeSet<&'a str>> {
    let mut ids: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (event, d) in &input.facts.decisions {
        let known = d.commit_entry_ids.iter().chain(&d.delivered_entry_ids);
        ids.entry(event)
            .or_default()
            .extend(known.map(String::as_str));
    }
    for (event, d) in input.state.map(|s| &s.decisions).into_iter().flatten() {
        ids.entry(event)
            .or_default()
            .extend(d.outbox_entries.iter().map(String::as_str));
    }
    ids
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
