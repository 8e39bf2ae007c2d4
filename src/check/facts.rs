//! An index of the history, built once per run and shared by the checkers: what the history says
//! about each decision and each (concern, event) pair.
//!
//! It only summarises; it never judges (that is the checkers' job) and never reads the final
//! state. Positions are indexes into the history slice; every map it hands out is ordered (the
//! hash maps of its builder are only looked up, never iterated into anything order-dependent).

use crate::history::{CommitOutcome, Op, Phase, Record};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
pub struct DecisionFacts {
    pub tenant: String,
    pub object: String,
    pub version: Option<u64>,
    pub invokes: u64,
    pub oks: u64,
    pub fails: u64,
    pub unknowns: u64,
    pub state_written: bool,
    /// Stream ids a commit completion reported for this decision.
    pub commit_entry_ids: BTreeSet<String>,
    /// Stream ids of the outbox entries that carried this event to a consumer (any concern).
    pub delivered_entry_ids: BTreeSet<String>,
    /// Positions of every record naming this event, ascending.
    pub records: Vec<usize>,
}

impl DecisionFacts {
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

    /// Any record of this event in this concern at all.
    pub fn any(&self) -> bool {
        *self != ConcernFacts::default()
    }
}

/// The index.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub decisions: BTreeMap<String, DecisionFacts>,
    /// Keyed by concern, then event: a lookup by `&str` needs no allocation, and iterating it
    /// visits (concern, event) in the order of the pair ([`Facts::concern_pairs`]).
    pub concerns: BTreeMap<String, BTreeMap<String, ConcernFacts>>,
    /// Every event a stream id was seen carrying (ids are per tenant stream, so possibly several).
    pub entry_events: BTreeMap<String, BTreeSet<String>>,
    /// Positions of `Fault` and `Failpoint` records.
    pub incidents: Vec<usize>,
    /// Positions of `Trim` records.
    pub trims: Vec<usize>,
    /// Positions of `ClaimedDeleted` records.
    pub claims: Vec<usize>,
    /// Number of `Commit` records (any phase).
    pub commit_records: u64,
}

impl Facts {
    pub fn build(history: &[Record]) -> Facts {
        let mut b = Builder::default();
        for (pos, record) in history.iter().enumerate() {
            b.add(pos, record);
        }
        b.finish()
    }

    /// Every (concern, event) pair with its facts, in (concern, event) order.
    pub fn concern_pairs(&self) -> impl Iterator<Item = ((&str, &str), &ConcernFacts)> {
        self.concerns.iter().flat_map(|(concern, events)| {
            events
                .iter()
                .map(move |(event, c)| ((concern.as_str(), event.as_str()), c))
        })
    }

    pub fn concern(&self, concern: &str, event: &str) -> Option<&ConcernFacts> {
        self.concerns.get(concern)?.get(event)
    }

    /// The one event a stream id carried, if the history names exactly one.
    pub fn event_of_entry(&self, entry_id: &str) -> Option<&str> {
        let events = self.entry_events.get(entry_id)?;
        if events.len() == 1 {
            events.iter().next().map(String::as_str)
        } else {
            None
        }
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

/// The index while it is built: keyed by the history's own strings, in hash maps that are only
/// looked up (a million records make a million lookups, and ordered string keys cost a dozen
/// comparisons each). [`Builder::finish`] moves everything into the ordered maps of [`Facts`],
/// whose order does not depend on the order of insertion, so nothing of the hash order reaches
/// a checker or a report.
#[derive(Default)]
struct Builder<'h> {
    decisions: HashMap<&'h str, DecisionFacts>,
    concerns: HashMap<(&'h str, &'h str), ConcernFacts>,
    entry_events: HashMap<&'h str, BTreeSet<&'h str>>,
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

    fn add_event_op(&mut self, pos: usize, phase: Phase, op: &'h Op) {
        let Some(event) = op.event() else { return };
        let d = self.decisions.entry(event).or_default();
        d.records.push(pos);
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
                describe(d, tenant, object, *version);
                count_commit(d, phase, *outcome);
                if let Some(id) = entry_id {
                    insert_str(&mut d.commit_entry_ids, id);
                    self.entry_events.entry(id).or_default().insert(event);
                }
            }
            Op::StateWritten {
                tenant,
                object,
                version,
                ..
            } => {
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
                    } => (concern, Some(entry_id)),
                    Op::ApiRequest { concern, .. } => (concern, None),
                    _ => return,
                };
                if let Some(id) = entry_id {
                    self.entry_events.entry(id).or_default().insert(event);
                    insert_str(&mut d.delivered_entry_ids, id);
                }
                let c = self.concerns.entry((concern, event)).or_default();
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

    fn finish(self) -> Facts {
        let mut concerns: BTreeMap<String, BTreeMap<String, ConcernFacts>> = BTreeMap::new();
        for ((concern, event), c) in self.concerns {
            concerns
                .entry(concern.to_string())
                .or_default()
                .insert(event.to_string(), c);
        }
        Facts {
            decisions: self
                .decisions
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            concerns,
            entry_events: self
                .entry_events
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
                .collect(),
            incidents: self.incidents,
            trims: self.trims,
            claims: self.claims,
            commit_records: self.commit_records,
        }
    }
}

/// Inserts `value` into a set of strings, allocating only when it is new.
fn insert_str(set: &mut BTreeSet<String>, value: &str) {
    if !set.contains(value) {
        set.insert(value.to_string());
    }
}

fn describe(d: &mut DecisionFacts, tenant: &str, object: &str, version: u64) {
    if d.tenant.is_empty() {
        d.tenant = tenant.to_string();
        d.object = object.to_string();
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
        let status = |e: &str| f.decisions[e].status();
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
