//! Stuck: after the drain, entries a consumer group still owes, pending (delivered, never
//! acked) or never delivered. Liveness: every fault was healed and the pipeline had its drain
//! time, so anything owed now would be owed forever (a worker that never reclaims, say).
//!
//! Read from the final state only; without it, undecided. A concern with no group state while
//! decisions exist is undecided too (the group itself vanished, e.g. Redis lost it).

use super::{Findings, Input, Violation, ViolationKind};
use crate::history::state::{FinalState, OwedEntry};

pub fn check(input: &Input) -> Findings {
    let Some(state) = input.state else {
        return Findings::undecided("no final state: what the groups still owe is only in Redis");
    };
    let mut findings = Findings::default();
    for concern in &state.concerns {
        let Some(group) = state.groups.get(concern) else {
            if !state.decisions.is_empty() {
                findings
                    .undecided
                    .push(format!("no group state for concern `{concern}`"));
            }
            continue;
        };
        for entry in &group.pending {
            let holder = entry.consumer.as_deref().unwrap_or("?");
            findings.violations.push(violation(
                input,
                concern,
                entry,
                format!("still pending at {holder} after the drain"),
            ));
        }
        for entry in &group.undelivered {
            findings.violations.push(violation(
                input,
                concern,
                entry,
                "never delivered to the group".into(),
            ));
        }
    }
    groups_outside_concerns(state, &mut findings);
    findings
}

fn violation(input: &Input, concern: &str, entry: &OwedEntry, message: String) -> Violation {
    let event = entry
        .event
        .as_deref()
        .or_else(|| input.facts.event_of_entry(&entry.entry_id));
    let message = format!("{message} (entry {}:{})", entry.tenant, entry.entry_id);
    match event {
        Some(event) => input.violation(ViolationKind::Stuck, event, Some(concern), message),
        None => Violation {
            kind: ViolationKind::Stuck,
            event: None,
            concern: Some(concern.to_string()),
            entry: Some(format!("{}:{}", entry.tenant, entry.entry_id)),
            message,
            timeline: super::timeline::for_entry(input, &entry.entry_id),
        },
    }
}

/// A group the audit found for a concern the run did not configure is an audit bug, not a
/// pipeline bug; it is flagged as undecided so nobody trusts a pass built on it.
fn groups_outside_concerns(state: &FinalState, findings: &mut Findings) {
    for concern in state.groups.keys() {
        if !state.concerns.contains(concern) {
            findings.undecided.push(format!(
                "group state for `{concern}`, which is not a concern of the run"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::state::GroupState;
    use crate::history::testkit::*;
    use crate::history::Phase;

    fn owed(entry: &str, event: Option<&str>, consumer: Option<&str>) -> OwedEntry {
        OwedEntry {
            tenant: "t1".into(),
            entry_id: entry.into(),
            event: event.map(str::to_string),
            consumer: consumer.map(str::to_string),
        }
    }

    #[test]
    fn pending_and_undelivered_entries_are_stuck() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.commit("d2", 2, Phase::Ok);
        h.deliver("billing", "d1", "1-0", "worker-billing-0", false);
        h.fault("crash", "worker-billing-0", "");
        let mut state = state_for(&["d1", "d2"], &["billing"]);
        let group = GroupState {
            pending: vec![owed("1-0", None, Some("worker-billing-0"))],
            undelivered: vec![owed("2-0", Some("d2"), None)],
        };
        state.groups.insert("billing".into(), group);
        let f = check(&Input::new(&h.records, Some(&state)));
        assert_eq!(f.violations.len(), 2);
        assert_eq!(
            f.violations[0].event.as_deref(),
            Some("d1"),
            "event found through the history"
        );
        assert_eq!(
            f.violations[0].message,
            "still pending at worker-billing-0 after the drain (entry t1:1-0)"
        );
        assert_eq!(f.violations[0].timeline, vec![0, 1, 4, 5]);
        assert_eq!(f.violations[1].event.as_deref(), Some("d2"));
    }

    #[test]
    fn an_entry_with_no_known_event_is_named_by_id() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        let mut state = state_for(&["d1"], &["billing"]);
        state.groups.insert(
            "billing".into(),
            GroupState {
                pending: vec![owed("9-0", None, Some("w"))],
                undelivered: vec![],
            },
        );
        let f = check(&Input::new(&h.records, Some(&state)));
        assert_eq!(f.violations[0].entry.as_deref(), Some("t1:9-0"));
        assert_eq!(f.violations[0].event, None);
    }

    #[test]
    fn missing_group_is_undecided() {
        let (h, mut state) = clean_run();
        state.groups.remove("crm");
        let f = check(&Input::new(&h, Some(&state)));
        assert!(f.violations.is_empty());
        assert_eq!(
            f.undecided,
            vec!["no group state for concern `crm`".to_string()]
        );
    }
}
