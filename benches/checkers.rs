//! Every checker (`check_all`) on a history of 1,000,000 records, and the final state that goes
//! with it: the goal of issue 10 is under 2 s.
//!
//! The history is what a long clean run with crashes looks like: decisions over 4 tenants and
//! 16 objects each, committed (invoke and ok with the stream id), delivered, applied and
//! acknowledged in 3 concerns by 2 workers each; every 40th decision's worker crashes between
//! effect and ack in one concern, and the other worker reclaims the entry, finds it applied
//! (a dedupe hit) and acknowledges it. The report must be clean: a checker that found something
//! here would be measured on a shortcut.
//!
//! `cargo bench --bench checkers`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use outbox_chaos::check::{check_all, CheckOptions};
use outbox_chaos::history::state::{DecisionState, FinalState, GroupState};
use outbox_chaos::history::{CommitOutcome, Op, Phase, Record};
use std::collections::BTreeMap;
use std::time::Duration;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RECORDS: usize = 1_000_000;
const CONCERNS: [&str; 3] = ["billing", "notifications", "crm"];
const TENANTS: u64 = 4;
const OBJECTS: u64 = 16;
const CRASH_EVERY: u64 = 40;

struct Builder {
    records: Vec<Record>,
}

impl Builder {
    fn push(&mut self, process: &str, phase: Phase, op: Op) {
        let index = self.records.len() as u64;
        self.records.push(Record {
            index,
            // About 20 records per simulated ms, as a fast run.
            time_ms: index / 20,
            process: process.to_string(),
            phase,
            op,
        });
    }
}

fn history() -> (Vec<Record>, FinalState) {
    let mut b = Builder {
        records: Vec::with_capacity(RECORDS + 64),
    };
    let mut state = FinalState {
        concerns: CONCERNS.iter().map(|c| c.to_string()).collect(),
        ..FinalState::default()
    };
    for c in CONCERNS {
        state.groups.insert(c.to_string(), GroupState::default());
    }
    let mut versions: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    let mut i = 0u64;
    while b.records.len() < RECORDS {
        let (tenant_n, object_n) = (i % TENANTS, (i / TENANTS) % OBJECTS);
        let version = versions.entry((tenant_n, object_n)).or_insert(0);
        *version += 1;
        let event = format!("d-{i:07}");
        let tenant = format!("t{tenant_n}");
        let entry = format!("{}-{}", 1_000 + i, 0);
        let commit = |outcome, entry_id: Option<String>| Op::Commit {
            event: event.clone(),
            tenant: tenant.clone(),
            object: format!("o{object_n}"),
            version: *version,
            outcome,
            acked_replicas: None,
            entry_id,
            refused: None,
        };
        let producer = format!("producer-{}", i % 2);
        b.push(&producer, Phase::Invoke, commit(None, None));
        b.push(
            &producer,
            Phase::Ok,
            commit(Some(CommitOutcome::Committed), Some(entry.clone())),
        );
        for (c_n, concern) in CONCERNS.iter().enumerate() {
            let worker = format!("worker-{concern}-{}", i % 2);
            let other = format!("worker-{concern}-{}", (i + 1) % 2);
            let deliver = |consumer: &str, reclaimed| Op::Deliver {
                concern: concern.to_string(),
                event: event.clone(),
                entry_id: entry.clone(),
                consumer: consumer.to_string(),
                reclaimed,
            };
            let effect = |consumer: &str, applied| Op::Effect {
                concern: concern.to_string(),
                event: event.clone(),
                entry_id: entry.clone(),
                consumer: consumer.to_string(),
                applied,
            };
            let ack = |consumer: &str| Op::Ack {
                concern: concern.to_string(),
                event: event.clone(),
                entry_id: entry.clone(),
                consumer: consumer.to_string(),
                acked: 1,
            };
            b.push(&worker, Phase::Event, deliver(&worker, false));
            b.push(&worker, Phase::Ok, effect(&worker, true));
            if i.is_multiple_of(CRASH_EVERY) && c_n == (i / CRASH_EVERY) as usize % CONCERNS.len() {
                b.push(
                    &worker,
                    Phase::Event,
                    Op::Failpoint {
                        name: "consumer.after_effect_before_ack".into(),
                    },
                );
                let fault = |kind: &str, detail: &str| Op::Fault {
                    kind: kind.into(),
                    target: worker.clone(),
                    detail: detail.into(),
                };
                b.push(
                    "nemesis",
                    Phase::Event,
                    fault("crash", "failpoint=consumer.after_effect_before_ack"),
                );
                b.push(&other, Phase::Event, deliver(&other, true));
                b.push(&other, Phase::Ok, effect(&other, false));
                b.push(&other, Phase::Ok, ack(&other));
                b.push("nemesis", Phase::Event, fault("restart", ""));
            } else {
                b.push(&worker, Phase::Ok, ack(&worker));
            }
        }
        let d = DecisionState {
            tenant,
            marker: true,
            state: true,
            outbox_entries: vec![entry],
            effects: CONCERNS.iter().map(|c| (c.to_string(), 1)).collect(),
            dead_lettered: BTreeMap::new(),
        };
        state.decisions.insert(event, d);
        i += 1;
    }
    (b.records, state)
}

/// This process's CPU seconds (user + system) from `/proc/self/stat`, at the kernel's 100 Hz
/// tick: on a loaded machine the wall time criterion measures is mostly waiting for a core.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn checkers(c: &mut Criterion) {
    let (history, state) = history();
    let (cpu0, wall0) = (cpu_seconds(), std::time::Instant::now());
    let report = check_all(&history, Some(&state), CheckOptions::default());
    if let (Some(a), Some(b)) = (cpu0, cpu_seconds()) {
        println!(
            "one check_all of {} records: {:.2} s of CPU, {:.2} s of wall clock",
            history.len(),
            b - a,
            wall0.elapsed().as_secs_f64()
        );
    }
    assert!(
        report.is_clean() && report.undecided().is_empty(),
        "the bench's history must be clean: {:?}",
        report.counts()
    );
    let mut group = c.benchmark_group("check");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(history.len() as u64));
    group.bench_function(format!("check_all-{}-records", history.len()), |b| {
        b.iter(|| check_all(&history, Some(&state), CheckOptions::default()))
    });
    group.finish();
}

criterion_group!(benches, checkers);
criterion_main!(benches);
