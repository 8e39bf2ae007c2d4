//! The history stage: the Jepsen-style history of one run (every operation the pipeline, the
//! downstream and the nemesis performed, in the order they happened), the final state the run
//! left, and the history hash.
//!
//! The pipeline writes it through a [`Recorder`] and its audit fills a [`state::FinalState`];
//! the checkers (`check`) and the reports read both as plain data. This module imports neither
//! a world, nor the pipeline, nor a checker. It must never hold wall-clock time in the simulation
//! (times come from `tokio::time`, which turmoil drives), and its serialisation is the input of
//! the history hash ([`hash`]), so field order and content are part of the determinism
//! contract: never put a std `HashMap` in an event.

pub mod hash;
pub mod state;

#[cfg(test)]
pub(crate) mod testkit;

use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// How an operation ended, in Jepsen's vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// The operation was sent.
    Invoke,
    /// It definitely happened.
    Ok,
    /// It definitely did not happen.
    Fail,
    /// Its outcome is unknown (a timeout, a lost reply, too few WAIT acknowledgements).
    Info,
    /// Something that happened at one instant, with no invocation (a delivery, a crash).
    Event,
}

/// What a producer's commit came to; the history needs all four.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitOutcome {
    Committed,
    /// The idempotency marker already existed: an earlier attempt of this decision committed.
    AlreadyCommitted,
    /// Definitely not applied.
    Failed,
    /// Sent, no answer (or too few replicas acknowledged): it may or may not be in Redis.
    Unknown,
}

/// One operation. `event` is always the decision id, which is also the outbox event id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    /// A producer commits a decision (state + outbox entry, atomically unless dual-write).
    Commit {
        event: String,
        tenant: String,
        object: String,
        version: u64,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        outcome: Option<CommitOutcome>,
        /// Replicas that acknowledged a WAIT, when the producer waited.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        acked_replicas: Option<u64>,
        /// The stream id XADD returned, on a completion that knows it. The torn checker needs it
        /// to tell an event trimmed from the stream from one never written.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        entry_id: Option<String>,
        /// On a `Failed` completion the server refused before running anything: its error code
        /// (`NOREPLICAS` under `min-replicas-to-write`, `READONLY` from a replica).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        refused: Option<String>,
    },
    /// The dual-write producer's first write (state) landed; the event is not written yet.
    StateWritten {
        event: String,
        tenant: String,
        object: String,
        version: u64,
    },
    /// A consumer received an entry: a first delivery by XREADGROUP (`reclaimed = false`), or a
    /// redelivery of a pending entry (`reclaimed = true`): XAUTOCLAIM, or XREADGROUP re-reading
    /// the consumer's own pending entries after a restart or a lost connection.
    Deliver {
        concern: String,
        event: String,
        entry_id: String,
        consumer: String,
        reclaimed: bool,
    },
    /// A sink applied an effect (`applied = true`) or recognised a duplicate and skipped it.
    Effect {
        concern: String,
        event: String,
        entry_id: String,
        consumer: String,
        applied: bool,
    },
    /// XACK of one entry; `acked` is what Redis answered (0 when it was no longer pending).
    Ack {
        concern: String,
        event: String,
        entry_id: String,
        consumer: String,
        acked: u64,
    },
    /// An entry moved to the dead-letter stream after too many deliveries (and was acked).
    DeadLetter {
        concern: String,
        event: String,
        entry_id: String,
        deliveries: u64,
    },
    /// XAUTOCLAIM reported ids that are pending but no longer in the stream.
    ClaimedDeleted {
        concern: String,
        entry_ids: Vec<String>,
    },
    /// The trimmer ran XTRIM MINID.
    Trim {
        tenant: String,
        min_id: String,
        removed: u64,
    },
    /// The downstream API received a request with this idempotency key.
    ApiRequest {
        concern: String,
        event: String,
        applied: bool,
    },
    /// A named failpoint fired in `process`.
    Failpoint { name: String },
    /// The nemesis did something (crash, restart, partition, heal, ...).
    Fault {
        kind: String,
        target: String,
        detail: String,
    },
}

impl Op {
    /// The event (= decision) id this operation concerns, if it concerns one.
    pub fn event(&self) -> Option<&str> {
        match self {
            Op::Commit { event, .. }
            | Op::StateWritten { event, .. }
            | Op::Deliver { event, .. }
            | Op::Effect { event, .. }
            | Op::Ack { event, .. }
            | Op::DeadLetter { event, .. }
            | Op::ApiRequest { event, .. } => Some(event),
            Op::ClaimedDeleted { .. }
            | Op::Trim { .. }
            | Op::Failpoint { .. }
            | Op::Fault { .. } => None,
        }
    }

    /// The short name of the operation, as serialised in the `op` field.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Commit { .. } => "commit",
            Op::StateWritten { .. } => "state-written",
            Op::Deliver { .. } => "deliver",
            Op::Effect { .. } => "effect",
            Op::Ack { .. } => "ack",
            Op::DeadLetter { .. } => "dead-letter",
            Op::ClaimedDeleted { .. } => "claimed-deleted",
            Op::Trim { .. } => "trim",
            Op::ApiRequest { .. } => "api-request",
            Op::Failpoint { .. } => "failpoint",
            Op::Fault { .. } => "fault",
        }
    }
}

/// One line of the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the history, from 0.
    pub index: u64,
    /// Milliseconds since the run started (simulated time in the simulation).
    pub time_ms: u64,
    /// Who did it: `producer-0`, `worker-billing-1`, `downstream`, `nemesis`, ...
    pub process: String,
    pub phase: Phase,
    #[serde(flatten)]
    pub op: Op,
}

/// Where the pipeline writes its history. Cheap to clone; shared by every task of a run.
///
/// The production default, [`Recorder::disabled`], records nothing and costs one branch.
#[derive(Clone, Default)]
pub struct Recorder {
    inner: Option<Arc<Mutex<Inner>>>,
}

/// Where a recorder reads the time of a record.
enum Clock {
    /// Milliseconds since this `tokio::time` instant (simulated time under paused tokio).
    Tokio(tokio::time::Instant),
    /// A caller's clock in milliseconds since the run started (the simulation's: turmoil's
    /// simulated time, which hosts share and a restarted host keeps counting).
    Custom(ClockFn),
}

/// A clock for [`Recorder::with_clock`]: milliseconds since the run started.
pub type ClockFn = Arc<dyn Fn() -> u64 + Send + Sync>;

struct Inner {
    clock: Clock,
    /// Full chunks of [`CHUNK`] records each, then the one being filled: a run of a million
    /// records in one vector stopped every task of a container run for seconds while the vector
    /// doubled (a copy of hundreds of megabytes under the recorder's lock, at 2^18, 2^19 and
    /// 2^20 records); a chunk is never moved once allocated.
    full: Vec<Vec<Record>>,
    current: Vec<Record>,
}

/// Records per chunk of [`Inner`].
const CHUNK: usize = 1 << 14;

impl Inner {
    fn len(&self) -> usize {
        self.full.len() * CHUNK + self.current.len()
    }

    fn iter(&self) -> impl Iterator<Item = &Record> {
        self.full.iter().flatten().chain(&self.current)
    }
}

impl Recorder {
    /// A recorder that keeps nothing.
    pub fn disabled() -> Recorder {
        Recorder { inner: None }
    }

    /// A recorder whose times count from now (`tokio::time`, so simulated time in turmoil).
    pub fn new() -> Recorder {
        Recorder::with(Clock::Tokio(tokio::time::Instant::now()))
    }

    /// A recorder that asks `clock` for each record's time. The simulation passes turmoil's
    /// simulated time here: a `tokio::time` instant taken outside a host would be the wall clock.
    pub fn with_clock(clock: ClockFn) -> Recorder {
        Recorder::with(Clock::Custom(clock))
    }

    fn with(clock: Clock) -> Recorder {
        let inner = Inner {
            clock,
            full: Vec::new(),
            current: Vec::new(),
        };
        Recorder {
            inner: Some(Arc::new(Mutex::new(inner))),
        }
    }

    pub fn record(&self, process: &str, phase: Phase, op: Op) {
        let Some(inner) = &self.inner else { return };
        let mut inner = inner.lock().expect("history recorder poisoned");
        let time_ms = match &inner.clock {
            Clock::Tokio(start) => start.elapsed().as_millis() as u64,
            Clock::Custom(clock) => clock(),
        };
        push(&mut inner, time_ms, process, phase, op);
    }

    /// Records at a time the caller read itself: the simulation's driver loop, which runs
    /// between steps, outside every host, where only the simulation handle knows the time.
    pub fn record_at(&self, time_ms: u64, process: &str, phase: Phase, op: Op) {
        let Some(inner) = &self.inner else { return };
        let mut inner = inner.lock().expect("history recorder poisoned");
        push(&mut inner, time_ms, process, phase, op);
    }

    /// A copy of everything recorded so far.
    pub fn snapshot(&self) -> Vec<Record> {
        match &self.inner {
            Some(inner) => {
                let inner = inner.lock().expect("history recorder poisoned");
                let mut out = Vec::with_capacity(inner.len());
                out.extend(inner.iter().cloned());
                out
            }
            None => Vec::new(),
        }
    }

    /// Everything recorded so far, moved out: the recorder is left empty. For the end of a run,
    /// when nothing records any more (a copy of a whole history costs a copy of every string).
    pub fn take(&self) -> Vec<Record> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let mut inner = inner.lock().expect("history recorder poisoned");
        let len = inner.len();
        let full = std::mem::take(&mut inner.full);
        let current = std::mem::take(&mut inner.current);
        if full.is_empty() {
            return current;
        }
        let mut out = Vec::with_capacity(len);
        for chunk in full {
            out.extend(chunk);
        }
        out.extend(current);
        out
    }

    /// How many records so far.
    pub fn len(&self) -> usize {
        match &self.inner {
            Some(inner) => inner.lock().expect("history recorder poisoned").len(),
            None => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn push(inner: &mut Inner, time_ms: u64, process: &str, phase: Phase, op: Op) {
    let index = inner.len() as u64;
    if inner.current.len() == CHUNK {
        let full = std::mem::replace(&mut inner.current, Vec::with_capacity(CHUNK));
        inner.full.push(full);
    }
    inner.current.push(Record {
        index,
        time_ms,
        process: process.to_string(),
        phase,
        op,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn records_in_order_with_tokio_time() {
        let rec = Recorder::new();
        rec.record("p", Phase::Event, Op::Failpoint { name: "a".into() });
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        rec.record("p", Phase::Event, Op::Failpoint { name: "b".into() });
        let h = rec.snapshot();
        assert_eq!(h.len(), 2);
        assert_eq!((h[0].index, h[0].time_ms), (0, 0));
        assert_eq!((h[1].index, h[1].time_ms), (1, 5));
        let line = serde_json::to_string(&h[1]).unwrap();
        assert_eq!(
            line,
            r#"{"index":1,"time_ms":5,"process":"p","phase":"event","op":"failpoint","name":"b"}"#
        );
        assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), h[1]);
    }

    #[test]
    fn op_name_is_the_serialised_tag() {
        let s = |v: &str| v.to_string();
        let ops = [
            Op::Commit {
                event: s("e"),
                tenant: s("t"),
                object: s("o"),
                version: 1,
                outcome: None,
                acked_replicas: None,
                entry_id: None,
                refused: None,
            },
            Op::StateWritten {
                event: s("e"),
                tenant: s("t"),
                object: s("o"),
                version: 1,
            },
            Op::Deliver {
                concern: s("c"),
                event: s("e"),
                entry_id: s("1-0"),
                consumer: s("w"),
                reclaimed: false,
            },
            Op::Effect {
                concern: s("c"),
                event: s("e"),
                entry_id: s("1-0"),
                consumer: s("w"),
                applied: true,
            },
            Op::Ack {
                concern: s("c"),
                event: s("e"),
                entry_id: s("1-0"),
                consumer: s("w"),
                acked: 1,
            },
            Op::DeadLetter {
                concern: s("c"),
                event: s("e"),
                entry_id: s("1-0"),
                deliveries: 5,
            },
            Op::ClaimedDeleted {
                concern: s("c"),
                entry_ids: vec![],
            },
            Op::Trim {
                tenant: s("t"),
                min_id: s("1-0"),
                removed: 0,
            },
            Op::ApiRequest {
                concern: s("c"),
                event: s("e"),
                applied: true,
            },
            Op::Failpoint { name: s("f") },
            Op::Fault {
                kind: s("crash"),
                target: s("h"),
                detail: s(""),
            },
        ];
        for op in ops {
            let v = serde_json::to_value(&op).unwrap();
            assert_eq!(v["op"], op.name());
            assert_eq!(op.event().is_some(), v.get("event").is_some());
        }
    }

    #[test]
    fn records_across_chunks_keep_their_order_in_snapshot_and_take() {
        let rec = Recorder::with_clock(Arc::new(|| 3));
        let n = 2 * CHUNK + 5;
        for i in 0..n {
            rec.record(
                "p",
                Phase::Event,
                Op::Failpoint {
                    name: i.to_string(),
                },
            );
        }
        assert_eq!(rec.len(), n);
        let copy = rec.snapshot();
        let taken = rec.take();
        assert_eq!(copy, taken);
        assert_eq!(taken.len(), n);
        for (i, r) in taken.iter().enumerate() {
            assert_eq!(r.index, i as u64);
            assert_eq!(
                r.op,
                Op::Failpoint {
                    name: i.to_string()
                }
            );
        }
        assert!(rec.is_empty());
        rec.record(
            "p",
            Phase::Event,
            Op::Failpoint {
                name: "again".into(),
            },
        );
        assert_eq!(rec.take()[0].index, 0);
    }

    #[test]
    fn an_injected_clock_times_records_and_record_at_takes_the_callers_time() {
        let now = Arc::new(std::sync::atomic::AtomicU64::new(40));
        let read = now.clone();
        let rec = Recorder::with_clock(Arc::new(move || {
            read.load(std::sync::atomic::Ordering::SeqCst)
        }));
        rec.record("p", Phase::Event, Op::Failpoint { name: "a".into() });
        now.store(45, std::sync::atomic::Ordering::SeqCst);
        rec.record_at(
            7,
            "nemesis",
            Phase::Event,
            Op::Fault {
                kind: "crash".into(),
                target: "h".into(),
                detail: String::new(),
            },
        );
        rec.record("p", Phase::Event, Op::Failpoint { name: "b".into() });
        let times: Vec<(u64, u64)> = rec
            .snapshot()
            .iter()
            .map(|r| (r.index, r.time_ms))
            .collect();
        assert_eq!(times, vec![(0, 40), (1, 7), (2, 45)]);
        assert_eq!(rec.len(), 3);
    }

    #[test]
    fn disabled_records_nothing() {
        let rec = Recorder::disabled();
        rec.record("p", Phase::Event, Op::Failpoint { name: "a".into() });
        assert!(rec.snapshot().is_empty());
    }
}
