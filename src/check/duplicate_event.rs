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
//! WAIT after it answered too few, the commit was unknown and the retry wrote afresh). So when
//! the history records that Redis may have forgotten writes (a `failover`, a `power-loss`, or a
//! crash of a Redis server) and there is a final state, a superseded entry (every id seen for
//! the decision but the highest: the later write has the later id) counts only if the stream
//! still holds it. The ids seen include those only a delivery names: with commits in flight, a
//! commit's reply can time out behind other commits' WAITs while the script still runs, and the
//! entry is delivered and applied on the old primary before the failover discards it (that
//! effect is `rolled-back`'s). Such an entry was never in the surviving stream beside the second.
//! In a run where Redis forgot nothing, every id seen counts, trimmed or not.

use super::coverage::{fault_kind, FIRST_PRIMARY, REPLICA_HOST_PREFIX as REPLICA_PREFIX};
use super::facts::join;
use super::{Findings, Input, ViolationKind};
use crate::history::Op;

pub fn check(input: &Input) -> Findings {
    let mut findings = Findings::default();
    let in_state = input
        .state
        .into_iter()
        .flat_map(|s| s.decisions.iter().map(|(e, d)| (e.as_str(), d)));
    let may_discard = input.state.is_some() && redis_may_have_forgotten(input);
    // One buffer for every decision's ids: a clean run has a million records and one id each.
    let mut ids: Vec<&str> = Vec::new();
    for (event, seen, found) in join(input.facts.decisions.iter(), in_state) {
        ids.clear();
        let kept = found.map_or(&[][..], |d| d.outbox_entries.as_slice());
        if let Some(d) = seen {
            ids.extend(d.commit_entry_ids.iter().chain(&d.delivered_entry_ids));
            ids.sort_unstable();
            ids.dedup();
            if may_discard {
                // Every id but the latest, unless the final stream still holds it.
                if let Some(at) = (0..ids.len()).max_by_key(|&i| stream_id(ids[i])) {
                    let latest = ids.swap_remove(at);
                    ids.retain(|id| kept.iter().any(|k| k == id));
                    ids.push(latest);
                }
            }
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

/// A stream id's order: (ms, seq); an id that does not parse sorts first.
fn stream_id(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

/// Whether the history records an incident after which Redis may have lost writes: a
/// promotion, a power loss, or a crash of a Redis server (a restart without persistence comes
/// back empty).
fn redis_may_have_forgotten(input: &Input) -> bool {
    input.facts.incidents.iter().any(|&pos| {
        let Op::Fault { kind, target, .. } = &input.history[pos].op else {
            return false;
        };
        match kind.as_str() {
            fault_kind::FAILOVER | fault_kind::POWER_LOSS => true,
            fault_kind::CRASH => target == FIRST_PRIMARY || target.starts_with(REPLICA_PREFIX),
            _ => false,
        }
    })
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
        h.fault("failover", "replica-1", "from=redis");
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

    /// The batched `failover-wait` sweep (8 commits in flight): the first attempt's reply timed
    /// out behind other commits' WAITs while its script still ran on the isolated primary, so
    /// only a delivery names the first entry; the failover discarded it and the retry wrote
    /// afresh. The id is as superseded as one a commit reported: one entry.
    #[test]
    fn an_entry_only_a_delivery_named_is_superseded_too() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Info);
        h.process("billing", "d1", "1700000002057-0");
        h.fault("failover", "replica-1", "from=redis");
        h.commit_entry("d1", "1700000003838-0");
        h.process("billing", "d1", "1700000003838-0");
        let mut state = state_for(&["d1"], &["billing"]);
        state.decisions.get_mut("d1").unwrap().outbox_entries = vec!["1700000003838-0".into()];
        assert_eq!(
            check(&Input::new(&h.records, Some(&state))),
            Findings::default()
        );
        // The latest by stream order, not by text: `-10` comes after `-9`.
        let mut h = Hist::new();
        h.process("billing", "d1", "5-10");
        h.fault("failover", "replica-1", "from=redis");
        h.process("billing", "d1", "5-9");
        state.decisions.get_mut("d1").unwrap().outbox_entries = vec!["5-9".into()];
        let f = check(&Input::new(&h.records, Some(&state)));
        assert_eq!(
            f.violations[0].message,
            "2 outbox entries for one decision: 5-10, 5-9"
        );
    }

    /// In a run where Redis forgot nothing (no failover, power loss or Redis crash), a second
    /// entry is a duplicate even when the first was trimmed before the audit.
    #[test]
    fn without_an_incident_a_trimmed_first_entry_still_counts() {
        let mut h = Hist::new();
        h.commit_entry("d1", "1-0");
        h.process("billing", "d1", "1-0");
        h.fault("crash", "worker-billing-0", "");
        h.commit_entry("d1", "9-0");
        let mut state = state_for(&["d1"], &["billing"]);
        state.decisions.get_mut("d1").unwrap().outbox_entries = vec!["9-0".into()];
        let f = check(&Input::new(&h.records, Some(&state)));
        assert_eq!(
            f.violations[0].message,
            "2 outbox entries for one decision: 1-0, 9-0"
        );
        // A crash of the primary may have lost the first (no persistence): superseded.
        h.fault("crash", "redis", "");
        assert!(check(&Input::new(&h.records, Some(&state)))
            .violations
            .is_empty());
    }

    #[test]
    fn reclaim_is_the_same_entry() {
        let (h, state) = duplicated_run();
        assert_eq!(check(&Input::new(&h, Some(&state))), Findings::default());
        assert_eq!(check(&Input::new(&h, None)).undecided.len(), 1);
    }
}
