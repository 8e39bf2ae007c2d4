//! An index of the history, built once per run and shared by the checkers: what the history says
//! about each decision and each (concern, event) pair.
//!
//! It only summarises; it never judges (that is the checkers' job) and never reads the final
//! state. Positions are indexes into the history slice, and every string it holds is borrowed
//! from the history (a million records would otherwise mean a million small allocations).
//! Everything it hands out is in key order: the decisions are a vector sorted by event id, and
//! its hash maps are only looked up, never iterated into anything order-dependent.

use super::fast_hash::FastMap;
use crate::history::{CommitOutcome, Op, Phase, Record};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::iter::Peekable;

/// How a decision's commit ended, over all its attempts (a retry reuses the decision id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CommitStatus {
    /// Some attempt definitely committed (or found it already committed).
    Committed,
    /// No attempt definitely committed, and some may have: a timeout, or an attempt that never
    /// completed (its producer crashed).
    Unknown,
    /// Every attempt definitely failed.
    Failed,
    /// The history has no commit for this decision at all.
    Absent,
}

/// What the history says about one decision.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecisionFacts<'h> {
    pub tenant: &'h str,
    pub object: &'h str,
    pub version: Option<u64>,
    pub invokes: u64,
    pub oks: u64,
    pub fails: u64,
    pub unknowns: u64,
    pub state_written: bool,
    /// Stream ids a commit completion reported for this decision, ascending, each once.
    pub commit_entry_ids: Vec<&'h str>,
    /// Stream ids of the outbox entries that carried this event to a consumer (any concern),
    /// ascending, each once.
    pub delivered_entry_ids: Vec<&'h str>,
    /// Positions of every record naming this event, ascending.
    pub records: Vec<usize>,
    /// What each concern's records say about this event, in the order the concerns first
    /// appear in the history (a run has a handful of concerns: a scan beats a map).
    pub concerns: Vec<(&'h str, ConcernFacts)>,
}

impl<'h> DecisionFacts<'h> {
    pub fn status(&self) -> CommitStatus {
        let completions = self.oks + self.fails + self.unknowns;
        if self.oks > 0 {
            CommitStatus::Committed
        } else if self.unknowns > 0 || self.invokes > completions {
            CommitStatus::Unknown
        } else if self.fails > 0 {
            CommitStatus::Failed
        } else {
            CommitStatus::Absent
        }
    }

    /// Whether a consumer or the downstream saw this event at all.
    pub fn seen_downstream(&self) -> bool {
        !self.delivered_entry_ids.is_empty()
    }

    /// This event's facts in one concern, if the history has any record of it there.
    pub fn concern(&self, concern: &str) -> Option<&ConcernFacts> {
        self.concerns
            .iter()
            .find(|(c, _)| *c == concern)
            .map(|(_, f)| f)
    }

    fn concern_mut(&mut self, concern: &'h str) -> &mut ConcernFacts {
        let i = match self.concerns.iter().position(|(c, _)| *c == concern) {
            Some(i) => i,
            None => {
                self.concerns.push((concern, ConcernFacts::default()));
                self.concerns.len() - 1
            }
        };
        &mut self.concerns[i].1
    }
}

/// What the history says about one event in one concern (consumer group).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConcernFacts {
    pub deliveries: u64,
    pub reclaims: u64,
    /// Sink effects recorded as applied / recognised as duplicates.
    pub applied: u64,
    pub deduped: u64,
    /// Downstream API requests that applied / deduplicated.
    pub api_applied: u64,
    pub api_deduped: u64,
    pub acks: u64,
    pub dead_letters: u64,
}

impl ConcernFacts {
    /// How many times the history saw the effect applied. The worker's `Effect` and the
    /// downstream's `ApiRequest` are two views of one application, so they are not added.
    pub fn applied_max(&self) -> u64 {
        self.applied.max(self.api_applied)
    }
}

/// Every decision the history names, sorted by event id, with an index for lookups.
#[derive(Clone, Debug, Default)]
pub struct Decisions<'h> {
    sorted: Vec<(&'h str, DecisionFacts<'h>)>,
    /// Event id -> position in `sorted`; only looked up.
    index: FastMap<&'h str, usize>,
}

impl<'h> Decisions<'h> {
    pub fn get(&self, event: &str) -> Option<&DecisionFacts<'h>> {
        self.index.get(event).map(|i| &self.sorted[*i].1)
    }

    /// Every decision, in event-id order.
    pub fn iter(&self) -> impl Iterator<Item = (&'h str, &DecisionFacts<'h>)> + '_ {
        self.sorted.iter().map(|(e, d)| (*e, d))
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

/// The index.
#[derive(Clone, Debug, Default)]
pub struct Facts<'h> {
    pub decisions: Decisions<'h>,
    /// Every concern the history names, sorted.
    pub concern_names: Vec<&'h str>,
    /// The one event a stream id was seen carrying, or `None` when it was seen carrying
    /// several (ids are per tenant stream); only looked up.
    entry_events: FastMap<&'h str, Option<&'h str>>,
    /// Positions of `Fault` and `Failpoint` records.
    pub incidents: Vec<usize>,
    /// Positions of `Trim` records.
    pub trims: Vec<usize>,
    /// Positions of `ClaimedDeleted` records.
    pub claims: Vec<usize>,
    /// Number of `Commit` records (any phase).
    pub commit_records: u64,
}

impl<'h> Facts<'h> {
    pub fn build(history: &'h [Record]) -> Facts<'h> {
        let mut b = Builder::default();
        for (pos, record) in history.iter().enumerate() {
            b.add(pos, record);
        }
        b.finish()
    }

    pub fn concern(&self, concern: &str, event: &str) -> Option<&ConcernFacts> {
        self.decisions.get(event)?.concern(concern)
    }

    /// The one event a stream id carried, if the history names exactly one.
    pub fn event_of_entry(&self, entry_id: &str) -> Option<&'h str> {
        self.entry_events.get(entry_id).copied().flatten()
    }

    /// Whether the history shows a trim of `tenant`'s stream that removed something.
    pub fn trimmed_any(&self, history: &[Record], tenant: &str) -> bool {
        self.trims.iter().any(|p| matches!(&history[*p].op, Op::Trim { tenant: t, removed, .. } if t == tenant && *removed > 0))
    }

    /// Whether some trim of `tenant`'s stream removed everything below an id above `entry_id`.
    pub fn trimmed_past(&self, history: &[Record], tenant: &str, entry_id: &str) -> bool {
        self.trims.iter().any(|p| {
            matches!(&history[*p].op, Op::Trim { tenant: t, min_id, removed }
                if t == tenant && *removed > 0 && compare_stream_ids(entry_id, min_id) == Ordering::Less)
        })
    }
}

/// Two iterators of (key, value), each in strictly ascending key order, walked together: every
/// key of either, in order, with the value each side has for it. Lets a checker read the
/// history's decisions beside the final state's without a lookup per decision.
pub fn join<'k, A, B>(
    a: impl IntoIterator<Item = (&'k str, A)>,
    b: impl IntoIterator<Item = (&'k str, B)>,
) -> impl Iterator<Item = (&'k str, Option<A>, Option<B>)> {
    Join {
        a: a.into_iter().peekable(),
        b: b.into_iter().peekable(),
    }
}

struct Join<I: Iterator, J: Iterator> {
    a: Peekable<I>,
    b: Peekable<J>,
}

impl<'k, A, B, I, J> Iterator for Join<I, J>
where
    I: Iterator<Item = (&'k str, A)>,
    J: Iterator<Item = (&'k str, B)>,
{
    type Item = (&'k str, Option<A>, Option<B>);

    fn next(&mut self) -> Option<Self::Item> {
        let order = match (self.a.peek(), self.b.peek()) {
            (None, None) => return None,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((x, _)), Some((y, _))) => x.cmp(y),
        };
        Some(match order {
            Ordering::Less => {
                let (k, v) = self.a.next()?;
                (k, Some(v), None)
            }
            Ordering::Greater => {
                let (k, w) = self.b.next()?;
                (k, None, Some(w))
            }
            Ordering::Equal => {
                let (k, v) = self.a.next()?;
                let (_, w) = self.b.next()?;
                (k, Some(v), Some(w))
            }
        })
    }
}

/// The index while it is built: decisions in order of first appearance, found through a hash
/// map that is only looked up. [`Builder::finish`] sorts them by event id, so nothing of the
/// hash order or of the insertion order reaches a checker or a report.
#[derive(Default)]
struct Builder<'h> {
    decisions: Vec<(&'h str, DecisionFacts<'h>)>,
    index: FastMap<&'h str, usize>,
    concern_names: BTreeSet<&'h str>,
    entry_events: FastMap<&'h str, Option<&'h str>>,
    incidents: Vec<usize>,
    trims: Vec<usize>,
    claims: Vec<usize>,
    commit_records: u64,
}

impl<'h> Builder<'h> {
    fn add(&mut self, pos: usize, record: &'h Record) {
        match &record.op {
            Op::Fault { .. } | Op::Failpoint { .. } => self.incidents.push(pos),
            Op::Trim { .. } => self.trims.push(pos),
            Op::ClaimedDeleted { .. } => self.claims.push(pos),
            op => self.add_event_op(pos, record.phase, op),
        }
    }

    fn decision(&mut self, event: &'h str) -> &mut DecisionFacts<'h> {
        let next = self.decisions.len();
        let i = *self.index.entry(event).or_insert(next);
        if i == next {
            self.decisions.push((event, DecisionFacts::default()));
        }
        &mut self.decisions[i].1
    }

    fn add_event_op(&mut self, pos: usize, phase: Phase, op: &'h Op) {
        let Some(event) = op.event() else { return };
        match op {
            Op::Commit {
                tenant,
                object,
                version,
                outcome,
                entry_id,
                ..
            } => {
                self.commit_records += 1;
                if let Some(id) = entry_id {
                    note_entry(&mut self.entry_events, id, event);
                }
                let d = self.decision(event);
                d.records.push(pos);
                describe(d, tenant, object, *version);
                count_commit(d, phase, *outcome);
                if let Some(id) = entry_id {
                    insert_sorted(&mut d.commit_entry_ids, id);
                }
            }
            Op::StateWritten {
                tenant,
                object,
                version,
                ..
            } => {
                let d = self.decision(event);
                d.records.push(pos);
                describe(d, tenant, object, *version);
                d.state_written = true;
            }
            _ => {
                let (concern, entry_id) = match op {
                    Op::Deliver {
                        concern, entry_id, ..
                    }
                    | Op::Effect {
                        concern, entry_id, ..
                    }
                    | Op::Ack {
                        concern, entry_id, ..
                    }
                    | Op::DeadLetter {
                        concern, entry_id, ..
                    } => (concern.as_str(), Some(entry_id.as_str())),
                    Op::ApiRequest { concern, .. } => (concern.as_str(), None),
                    _ => {
                        self.decision(event).records.push(pos);
                        return;
                    }
                };
                if let Some(id) = entry_id {
                    note_entry(&mut self.entry_events, id, event);
                }
                if !self.concern_names.contains(concern) {
                    self.concern_names.insert(concern);
                }
                let d = self.decision(event);
                d.records.push(pos);
                if let Some(id) = entry_id {
                    insert_sorted(&mut d.delivered_entry_ids, id);
                }
                let c = d.concern_mut(concern);
                match op {
                    Op::Deliver { reclaimed, .. } => {
                        c.deliveries += 1;
                        c.reclaims += u64::from(*reclaimed);
                    }
                    Op::Effect { applied: true, .. } => c.applied += 1,
                    Op::Effect { applied: false, .. } => c.deduped += 1,
                    Op::ApiRequest { applied: true, .. } => c.api_applied += 1,
                    Op::ApiRequest { applied: false, .. } => c.api_deduped += 1,
                    Op::Ack { .. } => c.acks += 1,
                    Op::DeadLetter { .. } => c.dead_letters += 1,
                    _ => {}
                }
            }
        }
    }

    fn finish(self) -> Facts<'h> {
        let mut sorted = self.decisions;
        // Each event id is there once, so the unstable sort gives the one sorted order.
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut index = self.index;
        for (i, (event, _)) in sorted.iter().enumerate() {
            *index.get_mut(event).expect("every decision is indexed") = i;
        }
        Facts {
            decisions: Decisions { sorted, index },
            concern_names: self.concern_names.into_iter().collect(),
            entry_events: self.entry_events,
            incidents: self.incidents,
            trims: self.trims,
            claims: self.claims,
            commit_records: self.commit_records,
        }
    }
}

/// Notes that stream id `id` carried `event`: an id seen with two events carries no one event.
fn note_entry<'h>(entries: &mut FastMap<&'h str, Option<&'h str>>, id: &'h str, event: &'h str) {
    entries
        .entry(id)
        .and_modify(|known| {
            if *known != Some(event) {
                *known = None;
            }
        })
        .or_insert(Some(event));
}

/// Inserts `value` into an ascending vector of distinct strings (a decision has one or two).
fn insert_sorted<'h>(set: &mut Vec<&'h str>, value: &'h str) {
    if let Err(at) = set.binary_search(&value) {
        set.insert(at, value);
    }
}

fn describe<'h>(d: &mut DecisionFacts<'h>, tenant: &'h str, object: &'h str, version: u64) {
    if d.tenant.is_empty() {
        d.tenant = tenant;
        d.object = object;
        d.version = Some(version);
    }
}

/// One commit record into the attempt counts. The outcome, when present, is the authority;
/// otherwise the phase says it.
fn count_commit(d: &mut DecisionFacts, phase: Phase, outcome: Option<CommitOutcome>) {
    match (outcome, phase) {
        (Some(CommitOutcome::Committed | CommitOutcome::AlreadyCommitted), _) => d.oks += 1,
        (Some(CommitOutcome::Failed), _) => d.fails += 1,
        (Some(CommitOutcome::Unknown), _) => d.unknowns += 1,
        (None, Phase::Invoke) => d.invokes += 1,
        (None, Phase::Ok) => d.oks += 1,
        (None, Phase::Fail) => d.fails += 1,
        (None, Phase::Info) => d.unknowns += 1,
        (None, Phase::Event) => {}
    }
}

/// Orders Redis stream ids (`ms-seq`) numerically; anything unparsable compares as text.
pub fn compare_stream_ids(a: &str, b: &str) -> Ordering {
    match (parse_stream_id(a), parse_stream_id(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

fn parse_stream_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;

    #[test]
    fn status_over_attempts() {
        let mut h = Hist::new();
        h.commit("a", 1, Phase::Ok);
        h.commit("b", 1, Phase::Fail);
        h.commit("c", 1, Phase::Info);
        h.invoke("d", 1);
        h.commit("e", 1, Phase::Fail);
        h.commit("e", 1, Phase::Ok);
        h.deliver("billing", "f", "9-0", "w", false);
        let f = Facts::build(&h.records);
        let status = |e: &str| f.decisions.get(e).unwrap().status();
        assert_eq!(status("a"), CommitStatus::Committed);
        assert_eq!(status("b"), CommitStatus::Failed);
        assert_eq!(status("c"), CommitStatus::Unknown);
        assert_eq!(status("d"), CommitStatus::Unknown);
        assert_eq!(status("e"), CommitStatus::Committed);
        assert_eq!(status("f"), CommitStatus::Absent);
    }

    #[test]
    fn stream_ids_compare_numerically() {
        assert_eq!(compare_stream_ids("9-0", "10-0"), Ordering::Less);
        assert_eq!(compare_stream_ids("10-2", "10-10"), Ordering::Less);
        assert_eq!(compare_stream_ids("10", "10-0"), Ordering::Equal);
    }
}
