//! Reorder: a stale redelivery. An effect of one business object applied in one concern after
//! a newer version of that object had already taken effect there, although the older version
//! was delivered only after the newer one took effect.
//!
//! Why this and not "any two versions applied out of order": a consumer group with several
//! workers runs them side by side, and a stream promises no order across them, so two versions
//! delivered to two workers at once may take effect in either order; that is the design, and
//! reporting it made a clean run print a hundred findings nobody could act on. What a user can
//! fix is the other case: the older version reached a worker only once the newer one had taken
//! effect (a reclaim or a retry of an entry left pending), so a last-writer-wins sink ends on
//! the stale version unless it fences on the version. Concurrent deliveries are allowed;
//! stale ones are reported.
//!
//! Reported, and gating only when the scenario says (`reorder_gates`). The apply order is the
//! history's: for a concern served by the downstream API, its `ApiRequest` records (the
//! downstream applies in that order); otherwise the sink's `Effect` records; the delivery is
//! the event's latest `Deliver` record in the concern before the effect. Versions come from the
//! commits. A run that recorded no applied effect at all cannot show an order: undecided.

use super::{Findings, Input, ViolationKind};
use crate::history::{Op, Record};
use std::collections::{BTreeMap, BTreeSet};

/// The newest version applied so far of one (concern, tenant, object): version, its event,
/// and the position of the record that applied it.
type Newest<'a> = (u64, &'a str, usize);

pub fn check(input: &Input) -> Findings {
    let api_concerns = api_concerns(input.history);
    let mut highest: BTreeMap<(&str, &str, &str), Newest> = BTreeMap::new(); // (concern, tenant, object)
    let mut delivered_at: BTreeMap<(&str, &str), usize> = BTreeMap::new(); // (concern, event)
    let mut findings = Findings::default();
    let mut applied_any = false;
    for (pos, r) in input.history.iter().enumerate() {
        if let Op::Deliver { concern, event, .. } = &r.op {
            delivered_at.insert((concern, event), pos);
            continue;
        }
        let Some((concern, event)) = applied(r, &api_concerns) else {
            continue;
        };
        applied_any = true;
        let Some(d) = input.facts.decisions.get(event) else {
            continue;
        };
        let Some(version) = d.version else { continue };
        let key = (concern, d.tenant.as_str(), d.object.as_str());
        match highest.get(&key) {
            Some(&(top, top_event, top_pos)) if version < top => {
                let delivered = delivered_at.get(&(concern, event)).copied();
                // Delivered while the newer version was still in flight: workers of a group
                // run side by side, and that order is theirs to choose.
                if delivered.is_some_and(|at| at < top_pos) {
                    continue;
                }
                let message = format!(
                    "version {version} of {}/{} applied after version {top} ({top_event}); it was delivered after version {top} took effect (a stale redelivery)",
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
                highest.insert(key, (version, event, pos));
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
            "version 1 of t1/o1 applied after version 2 (d2); it was delivered after version 2 took effect (a stale redelivery)"
        );
    }

    /// Two workers of one group given versions 1 and 2 side by side may apply them in either
    /// order: not a finding. Only a delivery after the newer version took effect is.
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
        h.api("crm", "d2", true);
        h.api("crm", "d1", true);
        // The workers recorded their effects in version order, but the downstream applied d2 first.
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
