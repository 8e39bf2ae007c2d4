//! Duplicate: an effect applied more than once for one (concern, event).
//!
//! The count is the largest of the final state's (effects log or downstream ledger) and the
//! history's (the worker's `Effect` or the downstream's `ApiRequest`, two views of one
//! application). The history alone can prove a duplicate; it cannot prove there was none,
//! since a worker may crash between applying and recording, so without a final state and with
//! no duplicate in the history the answer is undecided.

use super::{Findings, Input, ViolationKind};
use std::collections::BTreeMap;

pub fn check(input: &Input) -> Findings {
    let mut findings = Findings::default();
    for ((concern, event), (ledger, history)) in counts(input) {
        if ledger.max(history) > 1 {
            let message = format!(
                "effect applied {} times (final state: {ledger}, history: {history})",
                ledger.max(history)
            );
            findings.violations.push(input.violation(
                ViolationKind::Duplicate,
                event,
                Some(concern),
                message,
            ));
        }
    }
    if input.state.is_none() && findings.violations.is_empty() {
        findings.undecided.push("no final state, and a crash between applying and recording hides an effect from the history".into());
    }
    findings
}

/// Per (concern, event): applications in the final state and in the history.
fn counts<'a>(input: &'a Input) -> BTreeMap<(&'a str, &'a str), (u64, u64)> {
    let mut counts: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
    for ((concern, event), c) in input.facts.concern_pairs() {
        counts.entry((concern, event)).or_default().1 = c.applied_max();
    }
    for (event, d) in input.state.map(|s| &s.decisions).into_iter().flatten() {
        for (concern, n) in &d.effects {
            counts.entry((concern, event)).or_default().0 = *n;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;
    use crate::history::Phase;

    #[test]
    fn naive_sink_applies_twice() {
        let (h, state) = duplicated_run();
        let f = check(&Input::new(&h, Some(&state)));
        assert_eq!(f.violations.len(), 1);
        let v = &f.violations[0];
        assert_eq!(
            (v.event.as_deref(), v.concern.as_deref()),
            (Some("d1"), Some("billing"))
        );
        assert_eq!(
            v.message,
            "effect applied 2 times (final state: 2, history: 2)"
        );
        assert_eq!(
            v.timeline.len(),
            h.len(),
            "every record of the run belongs to d1's story"
        );
    }

    #[test]
    fn ledger_alone_shows_a_duplicate_the_history_missed() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.process("crm", "d1", "1-0");
        let mut state = state_for(&["d1"], &["crm"]);
        state
            .decisions
            .get_mut("d1")
            .unwrap()
            .effects
            .insert("crm".into(), 3);
        let f = check(&Input::new(&h.records, Some(&state)));
        assert_eq!(f.violations.len(), 1);
    }

    #[test]
    fn non_idempotent_api_is_a_duplicate_from_the_history_alone() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.api("crm", "d1", true);
        h.api("crm", "d1", true);
        let f = check(&Input::new(&h.records, None));
        assert_eq!(f.violations.len(), 1);
        assert!(f.undecided.is_empty());
    }

    #[test]
    fn a_dedupe_hit_is_not_a_duplicate_and_two_views_are_one_effect() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.effect("crm", "d1", "1-0", "w0", true);
        h.api("crm", "d1", true);
        h.effect("crm", "d1", "1-0", "w1", false);
        h.api("crm", "d1", false);
        let state = state_for(&["d1"], &["crm"]);
        assert_eq!(
            check(&Input::new(&h.records, Some(&state))),
            Findings::default()
        );
        assert_eq!(check(&Input::new(&h.records, None)).undecided.len(), 1);
    }
}
