//! Rolled back: an effect applied more often than the final state holds it, where the final
//! state still holds it once or more.
//!
//! With the atomic sink the effect lives in Redis, in the same transaction as its dedupe
//! marker. When a failover promotes a replica that never received that transaction (or a
//! restart loses it), the effect and its marker vanish together, the entry is delivered again
//! and the effect is applied again on the new primary: the history saw two applications, the
//! final state holds one. Nothing was applied twice in the state that survived, so this kind
//! never gates (`CheckOptions::gates`); it is reported, with the event's timeline, because the
//! first application may have had consequences outside Redis. An effect the final state does
//! not hold at all is the `lost` checker's; one it holds twice is a `duplicate`.

use super::{Findings, Input, ViolationKind};

pub fn check(input: &Input) -> Findings {
    if input.state.is_none() {
        return Findings::undecided("no final state: which applications survived is unknown");
    }
    let mut findings = Findings::default();
    for &((concern, event), (kept, applied)) in input.effect_counts() {
        if kept >= 1 && applied > kept {
            let message = format!(
                "effect applied {applied} times, {} of them undone by Redis (final state: {kept})",
                applied - kept
            );
            findings.violations.push(input.violation(
                ViolationKind::RolledBack,
                event,
                Some(concern),
                message,
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckOptions;
    use crate::history::testkit::*;
    use crate::history::Phase;

    #[test]
    fn an_application_the_final_state_lost_is_rolled_back_and_never_gates() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.effect("crm", "d1", "1-0", "w0", true);
        h.effect("crm", "d1", "1-0", "w1", true);
        let state = state_for(&["d1"], &["crm"]);
        let f = check(&Input::new(&h.records, Some(&state)));
        assert_eq!(f.violations.len(), 1);
        assert_eq!(
            f.violations[0].message,
            "effect applied 2 times, 1 of them undone by Redis (final state: 1)"
        );
        assert!(!CheckOptions::default().gates(ViolationKind::RolledBack));
    }

    #[test]
    fn a_surviving_duplicate_or_a_clean_run_is_not_rolled_back() {
        let (h, state) = duplicated_run();
        assert!(check(&Input::new(&h, Some(&state))).violations.is_empty());
        let (h, state) = clean_run();
        assert_eq!(check(&Input::new(&h, Some(&state))), Findings::default());
        assert_eq!(check(&Input::new(&h, None)).undecided.len(), 1);
    }
}
