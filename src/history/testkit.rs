//! Hand-written histories for the checkers' tests: a builder that numbers records and advances
//! time by one millisecond per record, and a few complete runs. Test code only.

use super::state::{DecisionState, FinalState};
use super::{CommitOutcome, Op, Phase, Record};

pub const PRODUCER: &str = "producer-0";
pub const TENANT: &str = "t1";

#[derive(Default)]
pub struct Hist {
    pub records: Vec<Record>,
}

fn outcome_of(phase: Phase) -> Option<CommitOutcome> {
    match phase {
        Phase::Ok => Some(CommitOutcome::Committed),
        Phase::Fail => Some(CommitOutcome::Failed),
        Phase::Info => Some(CommitOutcome::Unknown),
        Phase::Invoke | Phase::Event => None,
    }
}

impl Hist {
    pub fn new() -> Hist {
        Hist::default()
    }

    pub fn push(&mut self, process: &str, phase: Phase, op: Op) {
        let index = self.records.len() as u64;
        self.records.push(Record {
            index,
            time_ms: index * 10,
            process: process.to_string(),
            phase,
            op,
        });
    }

    fn commit_op(
        event: &str,
        object: &str,
        version: u64,
        outcome: Option<CommitOutcome>,
        entry_id: Option<&str>,
    ) -> Op {
        Op::Commit {
            event: event.into(),
            tenant: TENANT.into(),
            object: object.into(),
            version,
            outcome,
            acked_replicas: None,
            entry_id: entry_id.map(str::to_string),
            refused: None,
        }
    }

    /// A commit invocation with no completion (yet).
    pub fn invoke(&mut self, event: &str, version: u64) {
        self.push(
            PRODUCER,
            Phase::Invoke,
            Self::commit_op(event, "o1", version, None, None),
        );
    }

    /// The completion of an earlier invocation.
    pub fn complete(&mut self, event: &str, version: u64, phase: Phase) {
        self.push(
            PRODUCER,
            phase,
            Self::commit_op(event, "o1", version, outcome_of(phase), None),
        );
    }

    /// Invocation and completion, object `o1`.
    pub fn commit(&mut self, event: &str, version: u64, phase: Phase) {
        self.commit_obj(event, "o1", version, phase);
    }

    pub fn commit_obj(&mut self, event: &str, object: &str, version: u64, phase: Phase) {
        self.push(
            PRODUCER,
            Phase::Invoke,
            Self::commit_op(event, object, version, None, None),
        );
        self.push(
            PRODUCER,
            phase,
            Self::commit_op(event, object, version, outcome_of(phase), None),
        );
    }

    /// A successful commit whose completion knows its stream id.
    pub fn commit_entry(&mut self, event: &str, entry_id: &str) {
        self.push(
            PRODUCER,
            Phase::Invoke,
            Self::commit_op(event, "o1", 1, None, None),
        );
        let op = Self::commit_op(
            event,
            "o1",
            1,
            Some(CommitOutcome::Committed),
            Some(entry_id),
        );
        self.push(PRODUCER, Phase::Ok, op);
    }

    pub fn state_written(&mut self, event: &str) {
        let op = Op::StateWritten {
            event: event.into(),
            tenant: TENANT.into(),
            object: "o1".into(),
            version: 1,
        };
        self.push(PRODUCER, Phase::Event, op);
    }

    pub fn deliver(
        &mut self,
        concern: &str,
        event: &str,
        entry: &str,
        consumer: &str,
        reclaimed: bool,
    ) {
        let op = Op::Deliver {
            concern: concern.into(),
            event: event.into(),
            entry_id: entry.into(),
            consumer: consumer.into(),
            reclaimed,
        };
        self.push(consumer, Phase::Event, op);
    }

    pub fn effect(
        &mut self,
        concern: &str,
        event: &str,
        entry: &str,
        consumer: &str,
        applied: bool,
    ) {
        let op = Op::Effect {
            concern: concern.into(),
            event: event.into(),
            entry_id: entry.into(),
            consumer: consumer.into(),
            applied,
        };
        self.push(consumer, Phase::Ok, op);
    }

    pub fn ack(&mut self, concern: &str, event: &str, entry: &str, consumer: &str) {
        let op = Op::Ack {
            concern: concern.into(),
            event: event.into(),
            entry_id: entry.into(),
            consumer: consumer.into(),
            acked: 1,
        };
        self.push(consumer, Phase::Ok, op);
    }

    pub fn dead_letter(&mut self, concern: &str, event: &str, entry: &str, consumer: &str) {
        let op = Op::DeadLetter {
            concern: concern.into(),
            event: event.into(),
            entry_id: entry.into(),
            deliveries: 5,
        };
        self.push(consumer, Phase::Ok, op);
    }

    pub fn api(&mut self, concern: &str, event: &str, applied: bool) {
        self.push(
            "downstream",
            Phase::Ok,
            Op::ApiRequest {
                concern: concern.into(),
                event: event.into(),
                applied,
            },
        );
    }

    pub fn failpoint(&mut self, process: &str, name: &str) {
        self.push(process, Phase::Event, Op::Failpoint { name: name.into() });
    }

    pub fn fault(&mut self, kind: &str, target: &str, detail: &str) {
        self.push(
            "nemesis",
            Phase::Event,
            Op::Fault {
                kind: kind.into(),
                target: target.into(),
                detail: detail.into(),
            },
        );
    }

    pub fn trim(&mut self, tenant: &str, min_id: &str, removed: u64) {
        self.push(
            "trimmer",
            Phase::Ok,
            Op::Trim {
                tenant: tenant.into(),
                min_id: min_id.into(),
                removed,
            },
        );
    }

    /// Deliver, apply and ack one entry in one concern.
    pub fn process(&mut self, concern: &str, event: &str, entry: &str) {
        let consumer = format!("worker-{concern}-0");
        self.deliver(concern, event, entry, &consumer, false);
        self.effect(concern, event, entry, &consumer, true);
        self.ack(concern, event, entry, &consumer);
    }
}

/// A final state in which each decision is fully there: marker, state, one effect per concern.
pub fn state_for(events: &[&str], concerns: &[&str]) -> FinalState {
    let mut state = FinalState {
        concerns: concerns.iter().map(|c| c.to_string()).collect(),
        ..FinalState::default()
    };
    for e in events {
        let d = DecisionState {
            tenant: TENANT.into(),
            marker: true,
            state: true,
            effects: concerns.iter().map(|c| (c.to_string(), 1)).collect(),
            ..DecisionState::default()
        };
        state.decisions.insert(e.to_string(), d);
    }
    for c in concerns {
        state.groups.insert(c.to_string(), Default::default());
    }
    state
}

/// Two decisions on one object, each committed, delivered, applied and acked in two concerns;
/// a crash and a redelivery deduplicated on the way. Every checker passes.
pub fn clean_run() -> (Vec<Record>, FinalState) {
    let mut h = Hist::new();
    h.commit("d1", 1, Phase::Ok);
    h.commit("d2", 2, Phase::Ok);
    h.process("billing", "d1", "1-0");
    h.deliver("crm", "d1", "1-0", "worker-crm-0", false);
    h.effect("crm", "d1", "1-0", "worker-crm-0", true);
    h.failpoint("worker-crm-0", "consumer.after_effect_before_ack");
    h.fault("crash", "worker-crm-0", "");
    h.deliver("crm", "d1", "1-0", "worker-crm-1", true);
    h.effect("crm", "d1", "1-0", "worker-crm-1", false);
    h.ack("crm", "d1", "1-0", "worker-crm-1");
    h.process("billing", "d2", "2-0");
    h.process("crm", "d2", "2-0");
    (h.records, state_for(&["d1", "d2"], &["billing", "crm"]))
}

/// Like [`clean_run`] but `billing` applies version 2 before version 1.
pub fn reordered_run() -> (Vec<Record>, FinalState) {
    let mut h = Hist::new();
    h.commit("d1", 1, Phase::Ok);
    h.commit("d2", 2, Phase::Ok);
    h.process("billing", "d2", "2-0");
    h.process("billing", "d1", "1-0");
    (h.records, state_for(&["d1", "d2"], &["billing"]))
}

/// A naive sink: d1's effect applied twice in `billing` after a crash before the ack.
pub fn duplicated_run() -> (Vec<Record>, FinalState) {
    let mut h = Hist::new();
    h.commit("d1", 1, Phase::Ok);
    h.deliver("billing", "d1", "1-0", "worker-billing-0", false);
    h.effect("billing", "d1", "1-0", "worker-billing-0", true);
    h.failpoint("worker-billing-0", "consumer.after_effect_before_ack");
    h.fault("crash", "worker-billing-0", "");
    h.deliver("billing", "d1", "1-0", "worker-billing-1", true);
    h.effect("billing", "d1", "1-0", "worker-billing-1", true);
    h.ack("billing", "d1", "1-0", "worker-billing-1");
    let mut state = state_for(&["d1"], &["billing"]);
    state
        .decisions
        .get_mut("d1")
        .unwrap()
        .effects
        .insert("billing".into(), 2);
    (h.records, state)
}
