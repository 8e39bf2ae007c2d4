//! Duplicate-event: more than one outbox entry for one decision, e.g. a retried commit that
//! wrote a second XADD instead of finding its idempotency marker.
//!
//! Stream ids come from the final state (entries still in the stream) and from the history
//! (ids a commit reported, ids delivered in any concern), since the trimmer removes
//! acknowledged entries. A reclaim redelivers the same id and is no second entry. Without a
//! final state and with no duplicate in the history, undecided: a second entry never delivered
//! would be invisible.
//!
//! An entry Redis discarded is no second entry. The commit script writes the marker and the
//! entry in one step, only when the marker is absent, and nothing deletes a marker: when a
//! decision's commits wrote several entries, the marker of each earlier write had vanished
//! before the next (a failover promoted a replica that never had it, or a restart lost it; the
//! WAIT after it answered too few, the commit was unknown and the retry wrote afresh). With a
//! final state, such a superseded entry (every written id but the highest: the later write has
//! the later id) counts only if the stream still holds it. The history saw it, possibly
//! delivered and applied on the server that lost it (that effect is `rolled-back`'s), but the
//! surviving stream never held two entries of the decision.

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
        let kept = found.map_or(&[][..], |d| d.outbox_entries.as_slice());
        if let Some(d) = seen {
            let discarded = match (input.state, d.commit_entry_ids.split_last()) {
                (Some(_), Some((_, earlier))) => earlier,
                _ => &[],
            };
            let survived = |id: &&str| !discarded.contains(id) || kept.iter().any(|k| k == id);
            let known = d.commit_entry_ids.iter().chain(&d.delivered_entry_ids);
            ids.extend(known.copied().filter(survived));
        }
        ids.extend(kept.iter().map(String::as_str));
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

    /// Issue 14 item 7: a commit written on a primary a failover then discarded (WAIT answered
    /// 0, so unknown), delivered and applied there, and written afresh by the retry on the new
    /// primary. The history saw two entries; the surviving stream only ever held the second.
    #[test]
    fn an_entry_redis_discarded_before_the_retry_wrote_again_is_no_second_entry() {
        let mut h = Hist::new();
        h.commit_entry("d1", "1-0");
        h.process("billing", "d1", "1-0");
        h.commit_entry("d1", "9-0");
        h.process("billing", "d1", "9-0");
        let mut state = state_for(&["d1"], &["billing"]);
        let kept = |ids: &[&str]| ids.iter().map(|i| i.to_string()).collect::<Vec<_>>();
        state.decisions.get_mut("d1").unwrap().outbox_entries = kept(&["9-0"]);
        assert_eq!(
            check(&Input::new(&h.records, Some(&state))),
            Findings::default()
        );
        // Trimmed after it was applied: still one entry.
        state.decisions.get_mut("d1").unwrap().outbox_entries = kept(&[]);
        assert!(check(&Input::new(&h.records, Some(&state)))
            .violations
            .is_empty());
        // Still in the stream beside the second: Redis kept both, a duplicate.
        state.decisions.get_mut("d1").unwrap().outbox_entries = kept(&["1-0", "9-0"]);
        let f = check(&Input::new(&h.records, Some(&state)));
        assert_eq!(
            f.violations[0].message,
            "2 outbox entries for one decision: 1-0, 9-0"
        );
        // Without a final state the history alone cannot tell a discarded entry from a kept one.
        assert_eq!(check(&Input::new(&h.records, None)).violations.len(), 1);
    }

    #[test]
    fn reclaim_is_the_same_entry() {
        let (h, state) = duplicated_run();
        assert_eq!(check(&Input::new(&h, Some(&state))), Findings::default());
        assert_eq!(check(&Input::new(&h, None)).undecided.len(), 1);
    }
}
