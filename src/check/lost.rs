//! Lost: a decision whose commit returned ok (or was unknown and is in the final state) has no
//! effect in some concern and is not dead-lettered there.
//!
//! Effects are counted in the final state (the effects log or the downstream ledger), because a
//! worker can crash after its sink applied an effect and before it recorded it. An entry the
//! group still owes (pending or undelivered) is not lost yet: the stuck checker reports it. The
//! trimmer removes acknowledged entries, so a missing outbox entry is never evidence here.
//! Without a final state this checker cannot decide; it never passes for want of evidence.

use super::facts::{join, CommitStatus, DecisionFacts};
use super::{Findings, Input, ViolationKind};
use crate::history::state::{DecisionState, FinalState};
use std::collections::BTreeSet;

pub fn check(input: &Input) -> Findings {
    let Some(state) = input.state else {
        return Findings::undecided(
            "no final state: effects cannot be counted from the history alone",
        );
    };
    if state.concerns.is_empty() {
        return Findings::undecided(
            "the final state names no concern: cannot tell where effects were due",
        );
    }
    let owed = owed(input, state);
    let mut findings = Findings::default();
    let in_state = state.decisions.iter().map(|(e, d)| (e.as_str(), d));
    for (event, decision, found) in join(input.facts.decisions.iter(), in_state) {
        let Some(decision) = decision else { continue };
        if !committed(decision, found) {
            continue;
        }
        for concern in &state.concerns {
            if owed.contains(&(concern.as_str(), event)) || delivered(found, concern) {
                continue;
            }
            let message = message(input, decision, concern, event);
            findings.violations.push(input.violation(
                ViolationKind::Lost,
                event,
                Some(concern),
                message,
            ));
        }
    }
    findings
}

/// A commit that returned ok, or whose outcome is unknown and whose traces are in Redis.
fn committed(decision: &DecisionFacts, found: Option<&DecisionState>) -> bool {
    match decision.status() {
        CommitStatus::Committed => true,
        CommitStatus::Unknown => found.is_some_and(in_final_state),
        CommitStatus::Failed | CommitStatus::Absent => false,
    }
}

fn in_final_state(d: &DecisionState) -> bool {
    d.marker
        || d.state
        || !d.outbox_entries.is_empty()
        || d.effects.values().any(|n| *n > 0)
        || d.dead_lettered.values().any(|n| *n > 0)
}

/// The effect is in the final state, or the entry went to the dead-letter stream.
fn delivered(found: Option<&DecisionState>, concern: &str) -> bool {
    let Some(d) = found else { return false };
    d.effects.get(concern).is_some_and(|n| *n > 0)
        || d.dead_lettered.get(concern).is_some_and(|n| *n > 0)
}

/// (concern, event) pairs whose entry a group still owes after the drain.
fn owed<'a>(input: &'a Input, state: &'a FinalState) -> BTreeSet<(&'a str, &'a str)> {
    let mut owed = BTreeSet::new();
    for (concern, group) in &state.groups {
        for entry in group.pending.iter().chain(&group.undelivered) {
            let event = entry
                .event
                .as_deref()
                .or_else(|| input.facts.event_of_entry(&entry.entry_id));
            if let Some(event) = event {
                owed.insert((concern.as_str(), event));
            }
        }
    }
    owed
}

fn message(input: &Input, decision: &DecisionFacts, concern: &str, event: &str) -> String {
    let how = match decision.status() {
        CommitStatus::Committed => "committed",
        _ => "commit unknown but found in Redis,",
    };
    let seen = input
        .facts
        .concern(concern, event)
        .cloned()
        .unwrap_or_default();
    format!(
        "{how} yet no effect in `{concern}` and no dead letter (history: {} deliveries, {} applied, {} acks)",
        seen.deliveries,
        seen.applied_max(),
        seen.acks
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Input, Verdict};
    use crate::history::state::{GroupState, OwedEntry};
    use crate::history::testkit::*;
    use crate::history::Phase;

    fn run(h: &Hist, state: &FinalState) -> Findings {
        check(&Input::new(&h.records, Some(state)))
    }

    #[test]
    fn ack_before_effect_then_crash_is_lost() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.deliver("billing", "d1", "1-0", "worker-billing-0", false);
        h.ack("billing", "d1", "1-0", "worker-billing-0");
        h.failpoint("worker-billing-0", "consumer.after_ack_before_effect");
        h.fault("crash", "worker-billing-0", "");
        let mut state = state_for(&["d1"], &["billing"]);
        state
            .decisions
            .get_mut("d1")
            .unwrap()
            .effects
            .insert("billing".into(), 0);
        let f = run(&h, &state);
        assert_eq!(f.violations.len(), 1);
        let v = &f.violations[0];
        assert_eq!(
            (v.event.as_deref(), v.concern.as_deref()),
            (Some("d1"), Some("billing"))
        );
        // The timeline shows the crash that followed the ack.
        assert_eq!(v.timeline, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn committed_decision_missing_from_redis_is_lost_in_every_concern() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        let mut state = state_for(&[], &["billing", "crm"]);
        state.concerns = vec!["billing".into(), "crm".into()];
        assert_eq!(run(&h, &state).violations.len(), 2);
    }

    #[test]
    fn unknown_commit_counts_only_when_in_redis() {
        let mut h = Hist::new();
        h.commit("in", 1, Phase::Info);
        h.invoke("gone", 2);
        let mut state = state_for(&["in"], &["billing"]);
        state.decisions.get_mut("in").unwrap().effects.clear();
        let f = run(&h, &state);
        assert_eq!(f.violations.len(), 1);
        assert_eq!(f.violations[0].event.as_deref(), Some("in"));
    }

    #[test]
    fn dead_lettered_or_owed_is_not_lost() {
        let mut h = Hist::new();
        h.commit("dl", 1, Phase::Ok);
        h.deliver("billing", "dl", "1-0", "w", false);
        h.dead_letter("billing", "dl", "1-0", "w");
        h.commit("pending", 2, Phase::Ok);
        h.deliver("billing", "pending", "2-0", "w", false);
        let mut state = state_for(&["dl", "pending"], &["billing"]);
        for d in state.decisions.values_mut() {
            d.effects.clear();
        }
        state
            .decisions
            .get_mut("dl")
            .unwrap()
            .dead_lettered
            .insert("billing".into(), 1);
        let owed = OwedEntry {
            tenant: "t1".into(),
            entry_id: "2-0".into(),
            event: None,
            consumer: Some("w".into()),
        };
        state.groups.insert(
            "billing".into(),
            GroupState {
                pending: vec![owed],
                undelivered: vec![],
            },
        );
        assert_eq!(run(&h, &state), Findings::default());
    }

    #[test]
    fn failed_commit_is_never_lost() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Fail);
        let state = state_for(&[], &["billing"]);
        assert_eq!(run(&h, &state), Findings::default());
    }

    #[test]
    fn undecided_without_final_state() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        let f = check(&Input::new(&h.records, None));
        let r = crate::check::CheckResult {
            kind: ViolationKind::Lost,
            gating: true,
            findings: f,
        };
        assert_eq!(r.verdict(), Verdict::Undecided);
    }
}
