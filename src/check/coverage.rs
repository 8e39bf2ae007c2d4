//! Fault coverage, what Antithesis calls "sometimes" assertions: how often a run reached each
//! dangerous window. A clean verdict is worth something only if these windows were really hit.
//!
//! This file also fixes the vocabulary the nemesis and the pipeline must record: the `kind`
//! strings of `Op::Fault` (module [`fault_kind`]) and how targets and details are written. The
//! counts are a pure function of the history; this module never judges a run.
//!
//! Windows (always present in a [`Coverage`], zero when not reached):
//!
//! ```text
//! failpoint-crash            a failpoint fired and its host crashed before the process did anything else
//! redelivered-after-effect   an entry whose effect was applied was delivered again (reclaim, restart)
//! commit-unknown             a commit ended unknown (timeout, too few WAIT acks) or never completed
//! partition-in-flight        a partition cut an in-flight commit or ack
//! dedupe-hit                 a dedupe stopped a second effect (sink dedupe set or downstream key)
//! reclaim                    an entry was delivered by XAUTOCLAIM/XCLAIM
//! dead-letter                an entry went to the dead-letter stream
//! already-committed          a retried commit found its decision already committed
//! claimed-deleted            XAUTOCLAIM reported pending ids that were no longer in the stream
//! trim                       the trimmer removed entries
//! acked-unsynced             a commit acknowledged after the last fsync or snapshot, dropped
//!                            by a Redis crash or power loss (the restart does not have it)
//! split-brain-ack            a commit acknowledged (no replica acknowledged it) by a primary a
//!                            partition cut from most Sentinels, before they promoted another:
//!                            the majority's new primary never had it
//! noreplicas                 a commit refused with NOREPLICAS (min-replicas-to-write)
//! recommitted                a decision written afresh a second time (another outbox entry id):
//!                            Redis discarded the first write, marker and entry together (a
//!                            failover or restart), and a retry found no marker
//! failpoint-crash:<name>     failpoint-crash, per failpoint name
//! failpoint:<name>           a failpoint fired (crash or not)
//! fault:<kind>               the nemesis recorded a fault of this kind
//! ```

use super::facts::Facts;
use super::fast_hash::FastMap;
use crate::history::{CommitOutcome, Op, Phase, Record};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The `kind` of an `Op::Fault`, exactly as the nemesis must record it.
///
/// Targets: a host name for crash, restart, power-loss, hold, release; for partition, loss,
/// latency and heal, the two sides of the cut as `a|b`, each side a host or a comma-separated
/// list of hosts. `heal` with target [`HEAL_ALL`] ends every partition, loss and latency.
pub mod fault_kind {
    /// A host process crashed (memory lost). For a failpoint crash, `detail` is
    /// `failpoint=<name>` (see [`super::FAILPOINT_DETAIL_PREFIX`]).
    pub const CRASH: &str = "crash";
    /// A crashed host was started again.
    pub const RESTART: &str = "restart";
    /// A Redis host lost power: like a crash, and unsynced writes are gone. For a Redis crash
    /// or power loss that drops acknowledged writes, `detail` says what the restart keeps:
    /// [`super::KEPT_UNTIL_PREFIX`]`<ms>` or [`super::KEPT_NOTHING`]; empty when it keeps all.
    pub const POWER_LOSS: &str = "power-loss";
    /// A link or a group of links was cut.
    pub const PARTITION: &str = "partition";
    /// A cut, loss or latency ended.
    pub const HEAL: &str = "heal";
    /// A host was paused (turmoil `hold`, container pause).
    pub const HOLD: &str = "hold";
    /// A paused host resumed.
    pub const RELEASE: &str = "release";
    /// A link started dropping messages; `detail` is `p=<probability>`.
    pub const LOSS: &str = "loss";
    /// A link got slower; `detail` is `ms=<added latency>`.
    pub const LATENCY: &str = "latency";
    /// Sentinel promoted a replica; `target` is the new primary.
    pub const FAILOVER: &str = "failover";

    /// Every kind; `scenario::vocabulary::RECORDED_FAULT_KINDS` mirrors it (`mapping`'s tests).
    #[cfg(test)]
    pub const ALL: [&str; 10] = [
        CRASH, RESTART, POWER_LOSS, PARTITION, HEAL, HOLD, RELEASE, LOSS, LATENCY, FAILOVER,
    ];
}

/// The `detail` of a crash the nemesis made because a failpoint fired: `failpoint=<name>`.
pub const FAILPOINT_DETAIL_PREFIX: &str = "failpoint=";
/// The `detail` of a Redis crash or power loss after which Redis restarts with its keyspace as
/// of this simulated time (its last fsync or snapshot): `kept-until-ms=<ms>`.
pub const KEPT_UNTIL_PREFIX: &str = "kept-until-ms=";
/// The `detail` of a Redis crash or power loss after which Redis restarts empty.
pub const KEPT_NOTHING: &str = "kept=nothing";
/// The `target` of a `heal` that ends every cut.
pub const HEAL_ALL: &str = "*";

pub const FAILPOINT_CRASH: &str = "failpoint-crash";
pub const REDELIVERED_AFTER_EFFECT: &str = "redelivered-after-effect";
pub const COMMIT_UNKNOWN: &str = "commit-unknown";
pub const PARTITION_IN_FLIGHT: &str = "partition-in-flight";
pub const DEDUPE_HIT: &str = "dedupe-hit";
pub const RECLAIM: &str = "reclaim";
pub const DEAD_LETTER: &str = "dead-letter";
pub const ALREADY_COMMITTED: &str = "already-committed";
pub const CLAIMED_DELETED: &str = "claimed-deleted";
pub const TRIM: &str = "trim";
pub const ACKED_UNSYNCED: &str = "acked-unsynced";
pub const SPLIT_BRAIN_ACK: &str = "split-brain-ack";
pub const NOREPLICAS: &str = "noreplicas";
pub const RECOMMITTED: &str = "recommitted";

/// The host both worlds start as primary (the one the history names primary until a
/// `failover` record names another).
pub const FIRST_PRIMARY: &str = "redis";
/// Both worlds name their replicas `replica-<i>`.
pub const REPLICA_HOST_PREFIX: &str = "replica-";
/// Both worlds name their Sentinel hosts `sentinel-<i>`.
pub const SENTINEL_HOST_PREFIX: &str = "sentinel-";

/// Every fixed window name, in the order summaries print them.
pub const WINDOWS: [&str; 14] = [
    FAILPOINT_CRASH,
    REDELIVERED_AFTER_EFFECT,
    COMMIT_UNKNOWN,
    PARTITION_IN_FLIGHT,
    DEDUPE_HIT,
    RECLAIM,
    DEAD_LETTER,
    ALREADY_COMMITTED,
    CLAIMED_DELETED,
    TRIM,
    ACKED_UNSYNCED,
    SPLIT_BRAIN_ACK,
    NOREPLICAS,
    RECOMMITTED,
];

/// Prefixes of the per-name windows.
pub const FAILPOINT_CRASH_PREFIX: &str = "failpoint-crash:";
pub const FAILPOINT_PREFIX: &str = "failpoint:";
pub const FAULT_PREFIX: &str = "fault:";

/// How often each window was reached, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Coverage {
    pub counts: BTreeMap<String, u64>,
}

impl Default for Coverage {
    /// Every fixed window, at zero.
    fn default() -> Coverage {
        Coverage {
            counts: WINDOWS.iter().map(|w| (w.to_string(), 0)).collect(),
        }
    }
}

impl Coverage {
    pub fn get(&self, window: &str) -> u64 {
        self.counts.get(window).copied().unwrap_or(0)
    }

    /// Adds another run's counts (a sweep sums its seeds).
    pub fn merge(&mut self, other: &Coverage) {
        for (name, n) in &other.counts {
            self.bump(name, *n);
        }
    }

    /// The windows of `must_reach` that were never reached, in the order given.
    pub fn never_reached<'a>(&self, must_reach: &'a [String]) -> Vec<&'a str> {
        must_reach
            .iter()
            .filter(|w| self.get(w) == 0)
            .map(String::as_str)
            .collect()
    }

    /// The fixed windows first (in [`WINDOWS`] order), then the per-name ones (sorted).
    pub fn ordered(&self) -> Vec<(&str, u64)> {
        let fixed = WINDOWS.iter().map(|w| (*w, self.get(w)));
        let named = self
            .counts
            .iter()
            .filter(|(k, _)| !WINDOWS.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), *v));
        fixed.chain(named).collect()
    }

    fn bump(&mut self, name: &str, n: u64) {
        *self.counts.entry(name.to_string()).or_insert(0) += n;
    }
}

/// Counts every window in one run's history (the tests' way in; `check_all` has the index).
#[cfg(test)]
pub fn count(history: &[Record]) -> Coverage {
    count_indexed(history, &Facts::build(history))
}

/// [`count`], with the history's index already built (`check_all` builds it once for the
/// checkers): the passes below read each record's decision and concern from it instead of
/// hashing their ids again.
pub(crate) fn count_indexed(history: &[Record], facts: &Facts) -> Coverage {
    let mut cov = Coverage::default();
    count_simple(history, &mut cov);
    count_failpoint_crashes(history, &mut cov);
    count_redeliveries(history, facts, &mut cov);
    count_commit_unknown(history, facts, &mut cov);
    count_partition_in_flight(history, facts, &mut cov);
    count_dedupe_hits(history, &mut cov);
    count_acked_unsynced(history, &mut cov);
    count_split_brain_acks(history, &mut cov);
    count_recommitted(facts, &mut cov);
    cov
}

/// Windows that one record reaches on its own.
fn count_simple(history: &[Record], cov: &mut Coverage) {
    for r in history {
        match &r.op {
            Op::Deliver {
                reclaimed: true, ..
            } => cov.bump(RECLAIM, 1),
            Op::DeadLetter { .. } => cov.bump(DEAD_LETTER, 1),
            Op::Commit {
                outcome: Some(CommitOutcome::AlreadyCommitted),
                ..
            } => cov.bump(ALREADY_COMMITTED, 1),
            Op::ClaimedDeleted { entry_ids, .. } => {
                cov.bump(CLAIMED_DELETED, entry_ids.len() as u64)
            }
            Op::Trim { removed, .. } if *removed > 0 => cov.bump(TRIM, 1),
            Op::Commit {
                refused: Some(code),
                ..
            } if code == "NOREPLICAS" => cov.bump(NOREPLICAS, 1),
            Op::Failpoint { name } => cov.bump(&format!("{FAILPOINT_PREFIX}{name}"), 1),
            Op::Fault { kind, .. } => cov.bump(&format!("{FAULT_PREFIX}{kind}"), 1),
            _ => {}
        }
    }
}

/// The hosts a fault target names (`a|b`, `a,b|c`, `a`).
pub fn target_hosts(target: &str) -> impl Iterator<Item = &str> {
    target
        .split(['|', ','])
        .map(str::trim)
        .filter(|h| !h.is_empty())
}

/// Whether `process` runs on `host`: same name, or a task of it (`host/task`).
pub fn runs_on(process: &str, host: &str) -> bool {
    process == host
        || process
            .strip_prefix(host)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A crash counts once when its detail names a failpoint, or when a process on the crashed host
/// fired a failpoint and recorded nothing since.
fn count_failpoint_crashes(history: &[Record], cov: &mut Coverage) {
    let mut fired: BTreeMap<&str, &str> = BTreeMap::new(); // process -> failpoint
    for r in history {
        match &r.op {
            Op::Failpoint { name } => {
                fired.insert(&r.process, name);
            }
            Op::Fault {
                kind,
                target,
                detail,
            } if kind == fault_kind::CRASH => {
                let on_host: Vec<&str> = fired
                    .keys()
                    .copied()
                    .filter(|p| runs_on(p, target))
                    .collect();
                let named = detail.strip_prefix(FAILPOINT_DETAIL_PREFIX);
                let point = named.or_else(|| on_host.first().map(|p| fired[p]));
                if let Some(point) = point {
                    cov.bump(FAILPOINT_CRASH, 1);
                    cov.bump(&format!("{FAILPOINT_CRASH_PREFIX}{point}"), 1);
                }
                for p in on_host {
                    fired.remove(p);
                }
            }
            // Most records come while no failpoint is pending: no lookup then.
            _ if !fired.is_empty() => {
                fired.remove(r.process.as_str());
            }
            _ => {}
        }
    }
}

/// A delivery of an entry whose effect was already applied in that concern.
fn count_redeliveries(history: &[Record], facts: &Facts, cov: &mut Coverage) {
    // One flag per (decision, concern), by their indexes: no hashing per record.
    let concerns = facts.concern_names.len();
    let mut applied = vec![false; facts.decisions.len() * concerns];
    for (pos, r) in history.iter().enumerate() {
        let is_effect = matches!(
            r.op,
            Op::Effect { applied: true, .. } | Op::ApiRequest { applied: true, .. }
        );
        if !is_effect && !matches!(r.op, Op::Deliver { .. }) {
            continue;
        }
        let (Some(d), Some(c)) = (facts.decision_at(pos), facts.concern_at(pos)) else {
            continue;
        };
        let flag = &mut applied[d as usize * concerns + c];
        if is_effect {
            *flag = true;
        } else if *flag {
            cov.bump(REDELIVERED_AFTER_EFFECT, 1);
        }
    }
}

/// Commits that ended unknown, plus invocations that never completed (their producer crashed).
fn count_commit_unknown(history: &[Record], facts: &Facts, cov: &mut Coverage) {
    // (process, decision index) -> invocations not completed yet. Only looked up;
    // `still_open` is the sum of its counts.
    let mut open: FastMap<(&str, u32), u64> = FastMap::default();
    let mut still_open = 0;
    for (pos, r) in history.iter().enumerate() {
        let Op::Commit { outcome, .. } = &r.op else {
            continue;
        };
        let Some(decision) = facts.decision_at(pos) else {
            continue;
        };
        let key = (r.process.as_str(), decision);
        if r.phase == Phase::Invoke && outcome.is_none() {
            *open.entry(key).or_insert(0) += 1;
            still_open += 1;
            continue;
        }
        if let Some(n) = open.get_mut(&key) {
            if *n > 0 {
                *n -= 1;
                still_open -= 1;
            }
        }
        if *outcome == Some(CommitOutcome::Unknown) || (outcome.is_none() && r.phase == Phase::Info)
        {
            cov.bump(COMMIT_UNKNOWN, 1);
        }
    }
    cov.bump(COMMIT_UNKNOWN, still_open);
}

/// A commit or ack in flight when a partition began, or ending unknown or failed while one was
/// in force. Any partition counts, whichever link it cut: the history does not say which link
/// an operation used.
fn count_partition_in_flight(history: &[Record], facts: &Facts, cov: &mut Coverage) {
    // With no partition at all nothing was cut and no cut was in force.
    let partitioned = facts.incidents.iter().any(
        |p| matches!(&history[*p].op, Op::Fault { kind, .. } if kind == fault_kind::PARTITION),
    );
    if !partitioned {
        return;
    }
    // (process, op, decision index) -> the number of partitions begun before its invocation:
    // it was cut when more began before it completed. Only looked up, and counted at the end.
    let mut open: FastMap<(&str, &str, u32), u64> = FastMap::default();
    let mut partitions = 0u64;
    let mut cuts: BTreeSet<&str> = BTreeSet::new();
    for (pos, r) in history.iter().enumerate() {
        match &r.op {
            Op::Fault { kind, target, .. } if kind == fault_kind::PARTITION => {
                cuts.insert(target);
                partitions += 1;
            }
            Op::Fault { kind, target, .. } if kind == fault_kind::HEAL => heal(&mut cuts, target),
            Op::Commit { .. } | Op::Ack { .. } => {
                let Some(decision) = facts.decision_at(pos) else {
                    continue;
                };
                let key = (r.process.as_str(), r.op.name(), decision);
                if r.phase == Phase::Invoke {
                    open.insert(key, partitions);
                    continue;
                }
                let was_cut = open.remove(&key).is_some_and(|before| before < partitions);
                let failed_under_cut =
                    !cuts.is_empty() && matches!(r.phase, Phase::Info | Phase::Fail);
                if was_cut || failed_under_cut {
                    cov.bump(PARTITION_IN_FLIGHT, 1);
                }
            }
            _ => {}
        }
    }
    cov.bump(
        PARTITION_IN_FLIGHT,
        open.values().filter(|before| **before < partitions).count() as u64,
    );
}

fn heal<'a>(cuts: &mut BTreeSet<&'a str>, target: &'a str) {
    if target == HEAL_ALL || target.is_empty() {
        cuts.clear();
    } else {
        cuts.remove(target);
    }
}

/// One hit per deduplicated application; the worker's `Effect` and the downstream's
/// `ApiRequest` report the same hit, so per (concern, event) the larger count is taken.
fn count_dedupe_hits(history: &[Record], cov: &mut Coverage) {
    let mut hits: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
    for r in history {
        match &r.op {
            Op::Effect {
                concern,
                event,
                applied: false,
                ..
            } => hits.entry((concern, event)).or_default().0 += 1,
            Op::ApiRequest {
                concern,
                event,
                applied: false,
            } => hits.entry((concern, event)).or_default().1 += 1,
            _ => {}
        }
    }
    cov.bump(DEDUPE_HIT, hits.values().map(|(e, a)| *e.max(a)).sum());
}

/// Acknowledged commits a Redis crash or power loss dropped: acknowledged after what the restart
/// keeps (its detail) and after the previous such fault (which dropped or kept them already).
fn count_acked_unsynced(history: &[Record], cov: &mut Coverage) {
    let mut acked: Vec<u64> = Vec::new(); // times of acknowledged commits, in order
    let mut previous_down_ms = 0;
    for r in history {
        match &r.op {
            Op::Commit {
                outcome: Some(CommitOutcome::Committed | CommitOutcome::AlreadyCommitted),
                ..
            } if r.phase == Phase::Ok => acked.push(r.time_ms),
            Op::Fault { kind, detail, .. }
                if kind == fault_kind::CRASH || kind == fault_kind::POWER_LOSS =>
            {
                let kept_until = if detail == KEPT_NOTHING {
                    Some(0)
                } else {
                    detail
                        .strip_prefix(KEPT_UNTIL_PREFIX)
                        .and_then(|ms| ms.parse::<u64>().ok())
                };
                let Some(kept_until) = kept_until else {
                    continue;
                };
                let from = kept_until.max(previous_down_ms);
                let dropped = acked.iter().filter(|t| **t > from).count();
                cov.bump(ACKED_UNSYNCED, dropped as u64);
                previous_down_ms = r.time_ms;
                acked.clear();
            }
            _ => {}
        }
    }
}

/// Acknowledged commits no replica acknowledged, made while a partition in force had the primary
/// of the moment on a side with fewer Sentinels than the other, and before a `failover` named
/// another primary. Until that promotion the primary is the only server accepting writes, so
/// the acknowledgement is its; the Sentinels that promote another never reach it, and the
/// replicas they may promote are those on their side.
fn count_split_brain_acks(history: &[Record], cov: &mut Coverage) {
    let mut primary = FIRST_PRIMARY;
    let mut cuts: BTreeSet<&str> = BTreeSet::new();
    for r in history {
        match &r.op {
            Op::Fault { kind, target, .. } if kind == fault_kind::PARTITION => {
                cuts.insert(target);
            }
            Op::Fault { kind, target, .. } if kind == fault_kind::HEAL => heal(&mut cuts, target),
            Op::Fault { kind, target, .. } if kind == fault_kind::FAILOVER => primary = target,
            Op::Commit {
                outcome: Some(CommitOutcome::Committed | CommitOutcome::AlreadyCommitted),
                acked_replicas: None | Some(0),
                ..
            } if r.phase == Phase::Ok && cuts.iter().any(|c| minority_side(c, primary)) => {
                cov.bump(SPLIT_BRAIN_ACK, 1);
            }
            _ => {}
        }
    }
}

/// Decisions whose commits wrote two or more outbox entries. The commit script writes the
/// marker and the entry in one step and only when the marker is absent, and nothing deletes a
/// marker: a second entry id means Redis lost the first write before the retry. (The index
/// holds each decision's distinct commit entry ids.)
fn count_recommitted(facts: &Facts, cov: &mut Coverage) {
    let again = facts
        .decisions
        .iter()
        .filter(|(_, d)| d.commit_entry_ids.len() > 1)
        .count();
    cov.bump(RECOMMITTED, again as u64);
}

/// `host` is on one side of the cut `a|b` and the other side has more Sentinels.
fn minority_side<'a>(cut: &'a str, host: &str) -> bool {
    let Some((a, b)) = cut.split_once('|') else {
        return false;
    };
    let names = |side: &'a str| -> Vec<&'a str> { side.split(',').map(str::trim).collect() };
    let (a, b) = (names(a), names(b));
    let sentinels = |side: &[&str]| {
        side.iter()
            .filter(|h| h.starts_with(SENTINEL_HOST_PREFIX))
            .count()
    };
    let (mine, other) = match (a.contains(&host), b.contains(&host)) {
        (true, false) => (&a, &b),
        (false, true) => (&b, &a),
        _ => return false,
    };
    sentinels(other) > sentinels(mine)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;

    #[test]
    fn fixed_windows_are_always_present() {
        let cov = count(&[]);
        for w in WINDOWS {
            assert_eq!(cov.counts.get(w), Some(&0));
        }
    }

    #[test]
    fn failpoint_then_crash_of_its_host() {
        let mut h = Hist::new();
        h.failpoint("worker-billing-0", "consumer.after_effect_before_ack");
        h.fault("crash", "worker-billing-0", "");
        // Named by the nemesis in the detail, with no failpoint record of the process.
        h.fault("crash", "app-1", "failpoint=producer.after_state");
        // A failpoint that did not crash its host: the process went on.
        h.failpoint("worker-crm-0", "consumer.after_read");
        h.deliver("crm", "d1", "1-0", "worker-crm-0", false);
        h.fault("crash", "worker-crm-0", "");
        // A task of a host (`host/task`).
        h.failpoint("app-2/producer-0", "producer.after_state");
        h.fault("crash", "app-2", "");
        let cov = count(&h.records);
        assert_eq!(cov.get(FAILPOINT_CRASH), 3);
        assert_eq!(
            cov.get("failpoint-crash:consumer.after_effect_before_ack"),
            1
        );
        assert_eq!(cov.get("failpoint-crash:producer.after_state"), 2);
        assert_eq!(cov.get("failpoint:consumer.after_read"), 1);
        assert_eq!(cov.get("fault:crash"), 4);
    }

    #[test]
    fn redelivery_after_effect_and_dedupe() {
        let mut h = Hist::new();
        h.deliver("billing", "d1", "1-0", "w0", false);
        h.effect("billing", "d1", "1-0", "w0", true);
        h.deliver("billing", "d1", "1-0", "w1", true);
        h.effect("billing", "d1", "1-0", "w1", false);
        h.api("crm", "d2", true);
        h.deliver("crm", "d2", "2-0", "w2", true);
        h.effect("crm", "d2", "2-0", "w2", false);
        h.api("crm", "d2", false);
        let cov = count(&h.records);
        assert_eq!(cov.get(REDELIVERED_AFTER_EFFECT), 2);
        assert_eq!(cov.get(DEDUPE_HIT), 2);
        assert_eq!(cov.get(RECLAIM), 2);
    }

    #[test]
    fn commit_unknown_counts_timeouts_and_unfinished_invokes() {
        let mut h = Hist::new();
        h.commit("a", 1, Phase::Info);
        h.invoke("b", 1);
        h.commit("c", 1, Phase::Ok);
        assert_eq!(count(&h.records).get(COMMIT_UNKNOWN), 2);
    }

    #[test]
    fn partition_cuts_in_flight_commits() {
        let mut h = Hist::new();
        h.invoke("a", 1); // open when the partition starts
        h.fault("partition", "app|redis", "");
        h.complete("a", 1, Phase::Ok);
        h.commit("b", 1, Phase::Info); // times out under the partition
        h.fault("heal", "app|redis", "");
        h.commit("c", 1, Phase::Info); // unknown, but no partition
        let cov = count(&h.records);
        assert_eq!(cov.get(PARTITION_IN_FLIGHT), 2);
        assert_eq!(cov.get("fault:partition"), 1);
    }

    #[test]
    fn acked_unsynced_counts_commits_after_what_a_redis_restart_keeps() {
        let mut h = Hist::new();
        h.commit("a", 1, Phase::Ok); // acked at 10 ms, before the fsync at 15 ms
        h.commit("b", 1, Phase::Ok); // acked at 30 ms
        h.commit("c", 1, Phase::Info); // not acknowledged
        h.fault("crash", "redis", ""); // a crash that keeps everything
        h.fault("power-loss", "redis", "kept-until-ms=15");
        h.commit("d", 1, Phase::Ok);
        h.fault("crash", "redis", "kept=nothing");
        let cov = count(&h.records);
        assert_eq!(cov.get(ACKED_UNSYNCED), 2, "b, then d");
    }

    #[test]
    fn split_brain_acks_are_those_of_a_primary_cut_from_most_sentinels_before_the_promotion() {
        let mut h = Hist::new();
        h.commit("a", 1, Phase::Ok); // no cut
                                     // Jepsen's cut: the primary keeps a replica and two Sentinels of five.
        let jepsen =
            "redis,replica-1,sentinel-1,sentinel-2|replica-2,sentinel-3,sentinel-4,sentinel-5";
        h.fault("partition", jepsen, "");
        h.commit("b", 1, Phase::Ok);
        h.commit("c", 1, Phase::Info); // not acknowledged
        h.fault("failover", "replica-2", "from=redis");
        h.commit("d", 1, Phase::Ok); // the new primary is on the majority side
        h.fault("heal", jepsen, "");
        // A cut that leaves the primary (now replica-2) with the majority of the Sentinels.
        h.fault("partition", "redis|replica-2,sentinel-1,sentinel-2", "");
        h.commit("e", 1, Phase::Ok);
        h.fault("heal", "*", "");
        // The primary isolated, healed by a heal-all.
        h.fault("partition", "replica-2|redis,sentinel-1", "failover");
        h.commit("f", 1, Phase::Ok);
        h.fault("heal", "*", "");
        h.commit("g", 1, Phase::Ok);
        let cov = count(&h.records);
        assert_eq!(cov.get(SPLIT_BRAIN_ACK), 2, "b and f");
    }

    #[test]
    fn noreplicas_counts_commits_refused_for_want_of_replicas() {
        let mut h = Hist::new();
        let refused = |code: &str| Op::Commit {
            event: "a".into(),
            tenant: TENANT.into(),
            object: "o1".into(),
            version: 1,
            outcome: Some(CommitOutcome::Failed),
            acked_replicas: None,
            entry_id: None,
            refused: Some(code.into()),
        };
        h.push(PRODUCER, Phase::Fail, refused("NOREPLICAS"));
        h.push(PRODUCER, Phase::Fail, refused("READONLY"));
        h.commit("b", 1, Phase::Fail);
        assert_eq!(count(&h.records).get(NOREPLICAS), 1);
    }

    #[test]
    fn recommitted_counts_decisions_written_twice() {
        let mut h = Hist::new();
        h.commit_entry("a", "1-0");
        h.commit_entry("a", "1-0"); // the same entry reported twice is one write
        h.commit_entry("b", "2-0");
        h.commit_entry("b", "5-0"); // the first write was lost, the retry wrote again
        h.commit("c", 1, Phase::Ok);
        assert_eq!(count(&h.records).get(RECOMMITTED), 1);
    }

    #[test]
    fn merge_and_never_reached() {
        let mut a = Coverage::default();
        let mut b = Coverage::default();
        b.bump(DEDUPE_HIT, 2);
        a.merge(&b);
        a.merge(&b);
        assert_eq!(a.get(DEDUPE_HIT), 4);
        let must = vec!["dedupe-hit".to_string(), "failpoint-crash".to_string()];
        assert_eq!(a.never_reached(&must), vec!["failpoint-crash"]);
    }
}
