//! One seed of the shipped `consumer-crash` scenario, end to end in-process: the world built,
//! driven through the fault window and the drain, audited and checked, and the history hashed
//! (what a sweep does per seed, without writing reports).
//!
//! `cargo bench --bench sim_seed` (or `--profile ci` for the test build). Throughput is the
//! simulated Redis commands of the seed per second of wall clock.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use outbox_chaos::scenario;
use outbox_chaos::sim;
use std::path::Path;
use std::time::Duration;

/// The allocator of the `outbox-chaos` binary, so the figures are the command line's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SCENARIO: &str = "consumer-crash";
const SEED: u64 = 1000;

fn one_seed(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenario = scenario::find(&dir, SCENARIO).unwrap_or_else(|e| panic!("{e}"));
    let run = || {
        let outcome = sim::run(&scenario, SEED).unwrap_or_else(|e| panic!("{e}"));
        (outcome.history_hash(), sim::redis_commands(&outcome))
    };
    let (hash, commands) = run();
    let mut group = c.benchmark_group("sim");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15))
        .throughput(Throughput::Elements(commands));
    group.bench_function(format!("{SCENARIO}-seed-{SEED}"), |b| {
        b.iter(|| {
            // Every iteration must be the same run: same history, same work.
            assert_eq!(run(), (hash, commands));
        })
    });
    group.finish();
}

criterion_group!(benches, one_seed);
criterion_main!(benches);
