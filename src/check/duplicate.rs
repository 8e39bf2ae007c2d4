//! Duplicate: an effect applied more than once for one (concern, event), and still there.
//!
//! With a final state, the final state decides: the effects log in Redis (atomic sink) or the
//! downstream's ledger (API sink) counts the applications that survived. An application the
//! history saw but the final state does not hold was undone by Redis (a failover discarded the
//! primary's write, a restart lost it): that is `rolled-back` (`rolled_back.rs`), not a
//! duplicate. Without a final state the history (the worker's `Effect` or the downstream's
//! `ApiRequest`, two views of one application) can prove a duplicate; it cannot prove there was
//! none, since a worker may crash between applying and recording, so with no duplicate in the
//! history the answer is undecided.

use super::facts::join;
use super::{Findings, Input, ViolationKind};
use std::collections::BTreeSet;

pub fn check(input: &Input) -> Findings {
    let mut findings = Findings::default();
    for &((concern, event), (ledger, history)) in input.effect_counts() {
        let surviving = match input.state {
            Some(_) => ledger,
            None => history,
        };
        if surviving > 1 {
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

/// Applications of one (concern, event): in the final state and in the history.
pub(crate) type Count<'a> = ((&'a str, &'a str), (u64, u64));

/// Per (concern, event) that either side names, in (concern, event) order: applications in the
/// final state and in the history. `duplicate` and `rolled_back` both read it, through
/// [`Input::effect_counts`], which computes it once.
pub(crate) fn counts<'a>(input: &Input<'a>) -> Vec<Count<'a>> {
    let mut concerns: BTreeSet<&str> = input.facts.concern_names.iter().copied().collect();
    for d in input
        .state
        .map(|s| s.decisions.values())
        .into_iter()
        .flatten()
    {
        for concern in d.effects.keys() {
            if !concerns.contains(concern.as_str()) {
                concerns.insert(concern);
            }
        }
    }
    // Both sides joined once, then read once per concern.
    let in_state = input
        .state
        .into_iter()
        .flat_map(|s| s.decisions.iter().map(|(e, d)| (e.as_str(), d)));
    let joined: Vec<_> = join(input.facts.decisions.iter(), in_state).collect();
    let mut counts = Vec::with_capacity(joined.len() * concerns.len());
    for concern in concerns {
        for &(event, seen, found) in &joined {
            let history = seen
                .and_then(|d| d.concern(concern))
                .map(|c| c.applied_max());
            let ledger = found.and_then(|d| d.effects.get(concern)).copied();
            if history.is_some() || ledger.is_some() {
                counts.push((
                    (concern, event),
                    (ledger.unwrap_or(0), history.unwrap_or(0)),
                ));
            }
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

    /// An atomic-sink effect applied on a primary whose write a failover then discarded, and
    /// applied again on the new primary: once in the final state, so no duplicate.
    #[test]
    fn an_application_the_final_state_lost_is_no_duplicate() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.effect("crm", "d1", "1-0", "w0", true);
        h.effect("crm", "d1", "1-0", "w1", true);
        let state = state_for(&["d1"], &["crm"]);
        assert_eq!(
            check(&Input::new(&h.records, Some(&state))),
            Findings::default()
        );
        assert_eq!(check(&Input::new(&h.records, None)).violations.len(), 1);
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
