//! Reorder: a stale redelivery. An effect of one business object applied in one concern after
//! the effect of a later outbox entry of that object (a higher stream id in its tenant's
//! stream), although the earlier entry reached a worker only once the later one had taken
//! effect.
//!
//! Why this and not "any two versions applied out of version order": two producers may commit
//! versions of one object in either order, and the outbox then carries them in that order; the
//! pipeline's promise starts at the stream. And a consumer group with several workers runs them
//! side by side, with no order across them, so two entries delivered at once may take effect in
//! either order: that is the design, and reporting it made a clean seed print hundreds of
//! findings nobody could act on. What a pipeline owner can fix is the other case: the earlier
//! entry was delivered only after the later one took effect (a reclaim or a retry of an entry
//! left pending), so a last-writer-wins sink ends on the stale entry unless it fences on the
//! stream id or the version. Concurrent deliveries are allowed; stale ones are reported.
//!
//! Reported, and gating only when the scenario says (`reorder_gates`). The apply order is the
//! history's: for a concern served by the downstream API, its `ApiRequest` records (the
//! downstream applies in that order); otherwise the sink's `Effect` records. An effect's entry
//! and its delivery are the event's latest `Deliver` record in the concern before it (an
//! `Effect` names its entry itself). A run that recorded no applied effect at all cannot show
//! an order: undecided.

use super::facts::compare_stream_ids;
use super::fast_hash::FastMap;
use super::{Findings, Input, ViolationKind};
use crate::history::{Op, Record};
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// The latest outbox entry applied so far of one (concern, tenant, object): its stream id, its
/// event, and the position of the record that applied it.
type Latest<'a> = (&'a str, &'a str, usize);

pub fn check(input: &Input) -> Findings {
    let api_concerns = api_concerns(input.history);
    let facts = &input.facts;
    // Keyed by (concern, tenant, object); only looked up: findings come out in history order.
    let mut latest: FastMap<(&str, &str, &str), Latest> = FastMap::default();
    // The latest delivery (position, entry) of each (decision, concern), by their indexes in the
    // history's index: no hashing per record.
    let concerns = facts.concern_names.len();
    let mut delivered: Vec<Option<(usize, &str)>> = vec![None; facts.decisions.len() * concerns];
    let slot = |pos: usize| -> Option<usize> {
        Some(facts.decision_at(pos)? as usize * concerns + facts.concern_at(pos)?)
    };
    let mut findings = Findings::default();
    let mut applied_any = false;
    for (pos, r) in input.history.iter().enumerate() {
        if let Op::Deliver { entry_id, .. } = &r.op {
            if let Some(at) = slot(pos) {
                delivered[at] = Some((pos, entry_id));
            }
            continue;
        }
        let Some((concern, event)) = applied(r, &api_concerns) else {
            continue;
        };
        applied_any = true;
        let delivery = slot(pos).and_then(|at| delivered[at]);
        let entry = match &r.op {
            Op::Effect { entry_id, .. } => Some(entry_id.as_str()),
            _ => delivery.map(|(_, e)| e),
        };
        let (Some(d), Some(entry)) = (
            facts.decision_at(pos).map(|i| facts.decisions.at(i).1),
            entry,
        ) else {
            continue;
        };
        let key = (concern, d.tenant, d.object);
        match latest.get(&key) {
            Some(&(top, top_event, top_pos))
                if compare_stream_ids(entry, top) == Ordering::Less =>
            {
                // Delivered while the later entry was still in flight: workers of a group run
                // side by side, and that order is theirs to choose.
                if delivery.is_some_and(|(at, _)| at < top_pos) {
                    continue;
                }
                let message = format!(
                    "entry {entry} of {}/{} applied after the later entry {top} ({top_event}) had taken effect, and delivered only then (a stale redelivery)",
                    d.tenant, d.object
                );
                findings.violations.push(input.violation(
                    ViolationKind::Reorder,
                    event,
                    Some(concern),
                    message,
                ));
            }
            _ => {
                latest.insert(key, (entry, event, pos));
            }
        }
    }
    if !applied_any {
        findings
            .undecided
            .push("no applied effect in the history: no order to check".into());
    }
    findings
}

fn api_concerns(history: &[Record]) -> BTreeSet<&str> {
    history
        .iter()
        .filter_map(|r| {
            if let Op::ApiRequest { concern, .. } = &r.op {
                Some(concern.as_str())
            } else {
                None
            }
        })
        .collect()
}

/// The (concern, event) an applied effect record stands for, from the source of its concern.
fn applied<'a>(r: &'a Record, api_concerns: &BTreeSet<&str>) -> Option<(&'a str, &'a str)> {
    match &r.op {
        Op::ApiRequest {
            concern,
            event,
            applied: true,
        } => Some((concern, event)),
        Op::Effect {
            concern,
            event,
            applied: true,
            ..
        } if !api_concerns.contains(concern.as_str()) => Some((concern, event)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;
    use crate::history::Phase;

    #[test]
    fn version_two_before_one_is_reordered() {
        let (h, state) = reordered_run();
        let f = check(&Input::new(&h, Some(&state)));
        assert_eq!(f.violations.len(), 1);
        assert_eq!(f.violations[0].event.as_deref(), Some("d1"));
        assert_eq!(
            f.violations[0].message,
            "entry 1-0 of t1/o1 applied after the later entry 2-0 (d2) had taken effect, and delivered only then (a stale redelivery)"
        );
    }

    /// Two workers of one group given entries 1-0 and 2-0 side by side may apply them in either
    /// order: not a finding. Only a delivery after the later entry took effect is. Versions
    /// committed out of order by two producers are not the pipeline's to keep.
    #[test]
    fn concurrent_deliveries_to_two_workers_are_allowed() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.commit("d2", 2, Phase::Ok);
        h.deliver("billing", "d1", "1-0", "worker-billing-0", false);
        h.deliver("billing", "d2", "2-0", "worker-billing-1", false);
        h.effect("billing", "d2", "2-0", "worker-billing-1", true);
        h.effect("billing", "d1", "1-0", "worker-billing-0", true);
        assert_eq!(check(&Input::new(&h.records, None)), Findings::default());
        // The same, but version 1 reaches a worker again (a reclaim) after version 2 took effect.
        h.deliver("billing", "d1", "1-0", "worker-billing-1", true);
        h.effect("billing", "d1", "1-0", "worker-billing-1", true);
        assert_eq!(check(&Input::new(&h.records, None)).violations.len(), 1);
    }

    #[test]
    fn other_objects_and_concerns_are_independent() {
        let mut h = Hist::new();
        h.commit_obj("a2", "a", 2, Phase::Ok);
        h.commit_obj("b1", "b", 1, Phase::Ok);
        h.process("billing", "a2", "1-0");
        h.process("billing", "b1", "2-0");
        h.process("crm", "b1", "2-0");
        h.process("crm", "a2", "1-0");
        assert_eq!(check(&Input::new(&h.records, None)), Findings::default());
    }

    #[test]
    fn downstream_order_wins_for_api_concerns() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        h.commit("d2", 2, Phase::Ok);
        h.deliver("crm", "d1", "1-0", "w0", false);
        h.api("crm", "d1", false);
        h.deliver("crm", "d2", "2-0", "w1", false);
        h.api("crm", "d2", true);
        h.deliver("crm", "d1", "1-0", "w0", true);
        h.api("crm", "d1", true);
        // d1's first request was refused; its retry came after d2 took effect downstream.
        h.effect("crm", "d1", "1-0", "w0", true);
        h.effect("crm", "d2", "2-0", "w1", true);
        assert_eq!(check(&Input::new(&h.records, None)).violations.len(), 1);
    }

    #[test]
    fn no_effects_is_undecided() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        assert_eq!(check(&Input::new(&h.records, None)).undecided.len(), 1);
    }
}
