//! One event's timeline: every history record that names it, the failpoints and faults of the
//! processes that touched it, and the trim or XAUTOCLAIM that made its entry disappear; then
//! the same records formatted for a human.
//!
//! Selection is by rule, never by judgement: from the event's first record to its last, every
//! failpoint of a touching process and every fault that reached one (on its host, on a Redis
//! server or a whole group; not another worker's crash); after its last record, for each
//! touching process, its failpoints up to and including the first fault that names its host
//! (usually the crash that explains the story's end).

use super::coverage::{runs_on, target_hosts};
use super::facts::compare_stream_ids;
use super::Input;
use crate::history::{Op, Phase, Record};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// `Record::index` of every record in `event`'s timeline, ascending.
pub fn for_event(input: &Input, event: &str) -> Vec<u64> {
    let Some(decision) = input.facts.decisions.get(event) else {
        return Vec::new();
    };
    let own = &decision.records;
    let (Some(&first), Some(&last)) = (own.first(), own.last()) else {
        return Vec::new();
    };
    let history = input.history;
    let touching: BTreeSet<&str> = own.iter().map(|p| history[*p].process.as_str()).collect();
    let mut picked: BTreeSet<usize> = own.iter().copied().collect();
    picked.extend(incidents_during(input, &touching, first, last));
    picked.extend(incidents_after(input, &touching, last));
    let entry_ids: BTreeSet<&str> = decision
        .delivered_entry_ids
        .iter()
        .chain(&decision.commit_entry_ids)
        .copied()
        .collect();
    picked.extend(disappearances(input, decision.tenant, &entry_ids));
    picked.into_iter().map(|p| history[p].index).collect()
}

/// Positions of every record naming the stream id `entry_id` (for an entry whose event is not
/// known), with the faults during their span.
pub fn for_entry(input: &Input, entry_id: &str) -> Vec<u64> {
    let own: Vec<usize> = input
        .history
        .iter()
        .enumerate()
        .filter(|(_, r)| names_entry(&r.op, entry_id))
        .map(|(p, _)| p)
        .collect();
    let (Some(&first), Some(&last)) = (own.first(), own.last()) else {
        return Vec::new();
    };
    let touching: BTreeSet<&str> = own
        .iter()
        .map(|p| input.history[*p].process.as_str())
        .collect();
    let mut picked: BTreeSet<usize> = own.iter().copied().collect();
    picked.extend(incidents_during(input, &touching, first, last));
    picked.extend(incidents_after(input, &touching, last));
    picked.into_iter().map(|p| input.history[p].index).collect()
}

fn names_entry(op: &Op, id: &str) -> bool {
    match op {
        Op::Deliver { entry_id, .. }
        | Op::Effect { entry_id, .. }
        | Op::Ack { entry_id, .. }
        | Op::DeadLetter { entry_id, .. } => entry_id == id,
        Op::Commit {
            entry_id: Some(e), ..
        } => e == id,
        Op::ClaimedDeleted { entry_ids, .. } => entry_ids.iter().any(|e| e == id),
        _ => false,
    }
}

/// A failpoint of one of the event's processes, or a fault that reached them while it was in
/// flight: one on a host that runs one of them, or on a Redis server or a whole group (every
/// process talks to Redis), never a crash or pause of another worker or producer.
fn touches(record: &Record, touching: &BTreeSet<&str>) -> bool {
    match &record.op {
        Op::Fault { target, .. } => target_hosts(target)
            .any(|h| !is_process_host(h) || touching.iter().any(|p| runs_on(p, h))),
        _ => touches_host(record, touching),
    }
}

/// A failpoint of one of the processes, or a fault on a host that runs one of them.
fn touches_host(record: &Record, touching: &BTreeSet<&str>) -> bool {
    match &record.op {
        Op::Failpoint { .. } => touching.contains(record.process.as_str()),
        Op::Fault { target, .. } => {
            target_hosts(target).any(|h| touching.iter().any(|p| runs_on(p, h)))
        }
        _ => false,
    }
}

/// A host that runs one pipeline process (a worker, a producer, the trimmer, the downstream),
/// as opposed to a Redis server, a Sentinel or a group of hosts.
fn is_process_host(host: &str) -> bool {
    host.starts_with("worker-")
        || host.starts_with("producer-")
        || host == "trimmer"
        || host == "downstream"
}

fn incidents_during(
    input: &Input,
    touching: &BTreeSet<&str>,
    first: usize,
    last: usize,
) -> Vec<usize> {
    let history = input.history;
    let in_span = |p: &&usize| (first..=last).contains(*p);
    input
        .facts
        .incidents
        .iter()
        .filter(in_span)
        .filter(|p| touches(&history[**p], touching))
        .copied()
        .collect()
}

fn incidents_after(input: &Input, touching: &BTreeSet<&str>, last: usize) -> Vec<usize> {
    let history = input.history;
    let mut picked = Vec::new();
    for process in touching {
        let one: BTreeSet<&str> = [*process].into();
        for &p in input.facts.incidents.iter().filter(|p| **p > last) {
            if !touches_host(&history[p], &one) {
                continue;
            }
            picked.push(p);
            if matches!(history[p].op, Op::Fault { .. }) {
                break;
            }
        }
    }
    picked
}

/// The first trim that removed one of the entries, and every XAUTOCLAIM that found one deleted.
fn disappearances(input: &Input, tenant: &str, entry_ids: &BTreeSet<&str>) -> Vec<usize> {
    let mut picked = Vec::new();
    let mut trimmed = false;
    let mut positions: Vec<usize> = input
        .facts
        .trims
        .iter()
        .chain(&input.facts.claims)
        .copied()
        .collect();
    positions.sort_unstable();
    for p in positions {
        match &input.history[p].op {
            Op::Trim {
                tenant: t,
                min_id,
                removed,
            } if !trimmed
                && t == tenant
                && *removed > 0
                && entry_ids
                    .iter()
                    .any(|id| compare_stream_ids(id, min_id) == Ordering::Less) =>
            {
                picked.push(p);
                trimmed = true;
            }
            Op::ClaimedDeleted { entry_ids: ids, .. }
                if ids.iter().any(|id| entry_ids.contains(id.as_str())) =>
            {
                picked.push(p)
            }
            _ => {}
        }
    }
    picked
}

/// The records with these indexes, one line each:
/// `     1234ms #56     worker-billing-1     ok     effect billing entry=1-0 applied`.
pub fn render(history: &[Record], indexes: &[u64]) -> String {
    let by_index: BTreeMap<u64, &Record> = history.iter().map(|r| (r.index, r)).collect();
    let mut out = String::new();
    for i in indexes {
        if let Some(r) = by_index.get(i) {
            let _ = writeln!(out, "{}", render_record(r));
        }
    }
    out
}

pub fn render_record(r: &Record) -> String {
    format!(
        "{:>9}ms #{:<6} {:<22} {:<6} {}",
        r.time_ms,
        r.index,
        r.process,
        phase_name(r.phase),
        describe(&r.op)
    )
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Invoke => "invoke",
        Phase::Ok => "ok",
        Phase::Fail => "fail",
        Phase::Info => "info",
        Phase::Event => "event",
    }
}

fn describe_commit(op: &Op) -> String {
    let Op::Commit {
        event,
        tenant,
        object,
        version,
        outcome,
        acked_replicas,
        entry_id,
    } = op
    else {
        return String::new();
    };
    let mut s = format!("commit {event} {tenant}/{object} v{version}");
    if let Some(o) = outcome.and_then(|o| serde_json::to_value(o).ok()) {
        let _ = write!(s, " {}", o.as_str().unwrap_or_default());
    }
    if let Some(e) = entry_id {
        let _ = write!(s, " entry={e}");
    }
    if let Some(n) = acked_replicas {
        let _ = write!(s, " acked-replicas={n}");
    }
    s
}

fn describe(op: &Op) -> String {
    let applied = |a: &bool| if *a { "applied" } else { "deduped" };
    match op {
        Op::Commit { .. } => describe_commit(op),
        Op::StateWritten {
            event,
            tenant,
            object,
            version,
        } => format!("state-written {event} {tenant}/{object} v{version}"),
        Op::Deliver {
            concern,
            event,
            entry_id,
            consumer,
            reclaimed,
        } => {
            let how = if *reclaimed { "reclaimed by" } else { "to" };
            format!("deliver {concern} {event} entry={entry_id} {how} {consumer}")
        }
        Op::Effect {
            concern,
            event,
            entry_id,
            consumer,
            applied: a,
        } => format!(
            "effect {concern} {event} entry={entry_id} by {consumer} {}",
            applied(a)
        ),
        Op::Ack {
            concern,
            event,
            entry_id,
            consumer,
            acked,
        } => format!("ack {concern} {event} entry={entry_id} by {consumer} acked={acked}"),
        Op::DeadLetter {
            concern,
            event,
            entry_id,
            deliveries,
        } => {
            format!("dead-letter {concern} {event} entry={entry_id} after {deliveries} deliveries")
        }
        Op::ClaimedDeleted { concern, entry_ids } => {
            format!("claimed-deleted {concern} entries={}", entry_ids.join(","))
        }
        Op::Trim {
            tenant,
            min_id,
            removed,
        } => format!("trim {tenant} minid={min_id} removed={removed}"),
        Op::ApiRequest {
            concern,
            event,
            applied: a,
        } => format!("api-request {concern} {event} {}", applied(a)),
        Op::Failpoint { name } => format!("failpoint {name}"),
        Op::Fault {
            kind,
            target,
            detail,
        } if detail.is_empty() => format!("fault {kind} {target}"),
        Op::Fault {
            kind,
            target,
            detail,
        } => format!("fault {kind} {target} ({detail})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Input;
    use crate::history::testkit::*;

    fn story() -> Hist {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok); // 0, 1
        h.commit("d2", 1, Phase::Ok); // 2, 3
        h.deliver("billing", "d1", "1-0", "worker-billing-0", false); // 4
        h.fault("partition", "app-9|redis", ""); // 5: during d1's span, any fault
        h.failpoint("worker-crm-0", "consumer.after_read"); // 6: not a touching process
        h.effect("billing", "d1", "1-0", "worker-billing-0", true); // 7
        h.failpoint("worker-billing-0", "consumer.after_effect_before_ack"); // 8
        h.fault(
            "crash",
            "worker-billing-0",
            "failpoint=consumer.after_effect_before_ack",
        ); // 9
        h.fault("restart", "worker-billing-0", ""); // 10: after the first fault, left out
        h
    }

    #[test]
    fn selects_own_records_faults_and_the_crash_that_ended_it() {
        let h = story();
        let input = Input::new(&h.records, None);
        assert_eq!(for_event(&input, "d1"), vec![0, 1, 4, 5, 7, 8, 9]);
        assert_eq!(for_event(&input, "nope"), Vec::<u64>::new());
    }

    #[test]
    fn renders_one_line_per_record() {
        let h = story();
        let input = Input::new(&h.records, None);
        let text = render(&h.records, &for_event(&input, "d1"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 7);
        assert!(
            lines[1].contains("commit d1 t1/o1 v1 committed"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].contains("deliver billing d1 entry=1-0 to worker-billing-0"),
            "{}",
            lines[2]
        );
        assert!(
            lines[6].contains(
                "fault crash worker-billing-0 (failpoint=consumer.after_effect_before_ack)"
            ),
            "{}",
            lines[6]
        );
    }

    #[test]
    fn includes_the_trim_that_removed_the_entry() {
        let mut h = Hist::new();
        h.commit_entry("d1", "5-0"); // 0, 1
        h.trim("t1", "3-0", 2); // 2: below the entry, not it
        h.trim("t1", "6-0", 1); // 3: removed it
        let input = Input::new(&h.records, None);
        assert_eq!(for_event(&input, "d1"), vec![0, 1, 3]);
    }
}
