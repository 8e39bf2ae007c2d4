//! The shipped scenarios in the simulation, as CI gates on them (`ci/test`, release-optimised
//! `ci` profile). One module per scenario, so nextest runs them in parallel:
//!
//! - `determinism`: one seed twice gives the same history hash; another seed another history.
//! - `sweep_100_seeds`: seeds 0..100 run once and feed every assertion of the sweep: a `pass`
//!   scenario is clean on every seed; a planted bug is found in some seed and no seed shows a
//!   kind it does not explain; every `must_reach` window is reached.
//! - `faults_off_is_clean` (planted bugs): with every fault switched off, 20 seeds are clean:
//!   the bug needs its fault, so a finding without one would be a checker's or the world's bug.

use outbox_chaos::check::Expect;
use outbox_chaos::history::hash::format_hash;
use outbox_chaos::history::{Op, Phase};
use outbox_chaos::report::sweep::Sweep;
use outbox_chaos::scenario::{self, Scenario, SeedRange, Shard};
use outbox_chaos::scenario::{Expectation, ExpectedViolation};
use outbox_chaos::sim::{self, sweep};
use std::path::Path;

const SWEEP_SEEDS: SeedRange = SeedRange { start: 0, end: 100 };
const FAULTS_OFF_SEEDS: SeedRange = SeedRange { start: 0, end: 20 };

fn shipped(name: &str) -> Scenario {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    scenario::find(&dir, name).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `range` on one thread (nextest runs the scenarios side by side) and sums it up.
fn run_sweep(s: &Scenario, range: SeedRange) -> Sweep {
    let seeds: Vec<u64> = range.iter().collect();
    let options = sweep::SweepOptions {
        jobs: 1,
        reports: None,
        stop_when: None,
    };
    let results = sweep::run_seeds(s, &seeds, &options, |_| {}).unwrap_or_else(|e| panic!("{e}"));
    let mut sweep = Sweep::new(s, range, Shard::ALL);
    results.into_iter().for_each(|r| sweep.add(r.outcome));
    sweep
}

fn determinism(name: &str) {
    let s = shipped(name);
    let run = |seed| sim::run(&s, seed).unwrap_or_else(|e| panic!("{e}"));
    let (first, again, other) = (run(1), run(1), run(2));
    let hash = |r: &outbox_chaos::report::outcome::RunOutcome| format_hash(r.history_hash());
    assert_eq!(
        hash(&first),
        hash(&again),
        "{name} seed 1 gave two histories"
    );
    assert_eq!(first.history, again.history);
    assert_ne!(
        hash(&first),
        hash(&other),
        "{name}: seeds 1 and 2 gave the same history"
    );
    assert!(
        first.history.len() > 100,
        "{name} seed 1 recorded almost nothing"
    );
}

fn sweep_100_seeds(name: &str) {
    let s = shipped(name);
    let sweep = run_sweep(&s, SWEEP_SEEDS);
    let text = sweep.text(0.0);
    if let Expect::Violation(kind) = Expect::from(s.expect) {
        assert!(
            sweep.outcomes().any(|o| o.found(kind)),
            "{name}: no seed of 0..100 found `{kind}`\n{text}"
        );
        assert!(
            sweep.unexpected_kinds().is_empty(),
            "{name}: a kind the planted bug does not explain\n{text}"
        );
    } else {
        assert!(
            sweep.failing().next().is_none(),
            "{name}: failing seeds\n{text}"
        );
    }
    assert!(
        sweep.never_reached().is_empty(),
        "{name}: must_reach windows never reached\n{text}"
    );
    assert!(sweep.passed(), "{text}");
}

fn faults_off_is_clean(name: &str) {
    let s = shipped(name);
    assert_ne!(s.expect, Expectation::Pass, "{name} plants no bug");
    let quiet = sim::without_faults(&s);
    let sweep = run_sweep(&quiet, FAULTS_OFF_SEEDS);
    assert!(
        sweep.passed(),
        "{name} without faults:\n{}",
        sweep.text(0.0)
    );
}

macro_rules! scenario_tests {
    ($($module:ident = $name:literal $(, $planted:ident)?;)*) => {$(
        mod $module {
            #[test]
            fn determinism() {
                super::determinism($name);
            }

            #[test]
            fn sweep_100_seeds() {
                super::sweep_100_seeds($name);
            }

            $(
                #[test]
                fn $planted() {
                    super::faults_off_is_clean($name);
                }
            )?
        }
    )*};
}

scenario_tests! {
    baseline = "baseline";
    consumer_crash = "consumer-crash";
    failover_async = "failover-async";
    failover_crash_lag = "failover-crash-lag", faults_off_is_clean;
    failover_wait = "failover-wait";
    idempotent_api = "idempotent-api";
    partition_app = "partition-app";
    partitions = "partitions";
    power_loss_always = "power-loss-always";
    power_loss_everysec = "power-loss-everysec", faults_off_is_clean;
    replicated_wait = "replicated-wait";
    restart_no_persistence = "restart-no-persistence", faults_off_is_clean;
    split_brain = "split-brain", faults_off_is_clean;
    split_brain_min_replicas = "split-brain-min-replicas";
    jepsen_sentinel_2013 = "jepsen-sentinel-2013", faults_off_is_clean;
    naive_sink = "naive-sink", faults_off_is_clean;
    ack_first = "ack-first", faults_off_is_clean;
    dual_write = "dual-write", faults_off_is_clean;
    no_reclaim = "no-reclaim", faults_off_is_clean;
    unsafe_trim = "unsafe-trim", faults_off_is_clean;
    non_idempotent_api = "non-idempotent-api", faults_off_is_clean;
    worker_crash_every_2s = "worker-crash-every-2s";
}

#[test]
fn every_shipped_scenario_has_its_tests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let names: Vec<String> = scenario::list_scenarios(&dir)
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    let tested = [
        "ack-first",
        "baseline",
        "consumer-crash",
        "dual-write",
        "failover-async",
        "failover-crash-lag",
        "failover-wait",
        "idempotent-api",
        "jepsen-sentinel-2013",
        "naive-sink",
        "no-reclaim",
        "non-idempotent-api",
        "partition-app",
        "partitions",
        "power-loss-always",
        "power-loss-everysec",
        "replicated-wait",
        "restart-no-persistence",
        "split-brain",
        "split-brain-min-replicas",
        "unsafe-trim",
        "worker-crash-every-2s",
    ];
    assert_eq!(
        names, tested,
        "a scenario was added or removed: add it to scenario_tests!"
    );
}

#[test]
fn a_sweep_reports_seeds_in_order_whatever_the_jobs() {
    let s = shipped("naive-sink");
    let seeds: Vec<u64> = (0..6).collect();
    let outcomes = |jobs| {
        let options = sweep::SweepOptions {
            jobs,
            reports: None,
            stop_when: None,
        };
        let results = sweep::run_seeds(&s, &seeds, &options, |_| {}).unwrap();
        results
            .into_iter()
            .map(|r| (r.outcome.seed, r.outcome.history_hash))
            .collect::<Vec<_>>()
    };
    let one = outcomes(1);
    assert_eq!(one.iter().map(|(s, _)| *s).collect::<Vec<_>>(), seeds);
    assert_eq!(one, outcomes(3));
}

/// A scenario written here: 300 decisions, Redis crashing at 1 s for 500 ms.
fn redis_crash(persistence: &str) -> Scenario {
    let text = format!(
        "name = \"redis-crash\"\ndescription = \"d\"\ndrain_ms = 5000\nexpect = \"pass\"\n\
         [topology]\npersistence = \"{persistence}\"\n\
         [workload]\ntenants = 2\ndecisions = 300\nrate_per_s = 100.0\nconcerns = [\"billing\", \"crm\"]\n\
         [faults]\nwindow_ms = 3000\n\
         [[faults.script]]\nat_ms = 1000\nkind = \"redis-crash\"\nduration_ms = 500\n"
    );
    scenario::parse(Path::new("redis-crash.toml"), &text).unwrap()
}

#[test]
fn a_redis_crash_loses_nothing_with_aof_always() {
    let s = redis_crash("aof-always");
    let sweep = run_sweep(&s, SeedRange { start: 0, end: 5 });
    assert!(sweep.passed(), "{}", sweep.text(0.0));
    let coverage = sweep.coverage();
    assert_eq!(coverage.get("fault:crash"), 5, "one Redis crash per seed");
    assert!(
        coverage.get("commit-unknown") > 0,
        "commits were cut by the crash"
    );
}

#[test]
fn a_redis_crash_without_persistence_loses_committed_effects() {
    let mut s = redis_crash("none");
    s.expect = Expectation::Violation(ExpectedViolation::Lost);
    let run = sim::run(&s, 1).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        run.report
            .counts()
            .contains_key(&outbox_chaos::check::ViolationKind::Lost),
        "{}",
        outbox_chaos::report::verdict_line(&run.report)
    );
}

/// Every fault kind the simulation has, a random subset per seed (swarm testing), on the
/// correct pipeline: whatever the mix, nothing is lost, doubled, torn or stuck.
fn swarm(sink: &str, extra_rates: &str) -> Scenario {
    let text = format!(
        "name = \"swarm\"\ndescription = \"d\"\ndrain_ms = 15000\nexpect = \"pass\"\n\
         must_reach = [\"fault:crash\", \"fault:partition\", \"fault:hold\", \"fault:loss\", \"fault:latency\", \"dedupe-hit\", \"commit-unknown\"]\n\
         [workload]\ntenants = 3\ndecisions = 300\nrate_per_s = 100.0\nconcerns = [\"billing\", \"crm\"]\n\
         [pipeline]\nsink = \"{sink}\"\nmax_deliveries = 20\n\
         [faults]\nwindow_ms = 4000\nswarm = true\nlatency_ms_max = 200\n\
         [faults.rates]\ncrash-worker = 0.3\ncrash-producer = 0.3\ncrash-trimmer = 0.2\npartition = 0.3\n\
         loss = 0.2\nlatency = 0.2\npause = 0.3\nredis-crash = 0.2\n{extra_rates}\n\
         [faults.rates.failpoint]\n\"consumer.after_effect_before_ack\" = 0.01\n\"producer.before_commit\" = 0.01\n\
         [faults.rates.stall]\n\"consumer.after_read\" = 0.003\n"
    );
    scenario::parse(Path::new("swarm.toml"), &text).unwrap()
}

#[test]
fn a_swarm_of_every_fault_kind_is_clean_with_the_atomic_sink() {
    let s = swarm("atomic", "redis-power-loss = 0.2");
    let sweep = run_sweep(&s, SeedRange { start: 0, end: 40 });
    assert!(sweep.passed(), "{}", sweep.text(0.0));
}

#[test]
fn a_swarm_of_every_fault_kind_is_clean_with_the_api_sink() {
    let s = swarm("idempotent-api", "crash-downstream = 0.2");
    let sweep = run_sweep(&s, SeedRange { start: 0, end: 40 });
    assert!(sweep.passed(), "{}", sweep.text(0.0));
}

/// 300 decisions over about 3 s; Redis goes down at 1.5 s (`kind`) for 500 ms.
fn redis_down(persistence: &str, kind: &str, extra_topology: &str) -> Scenario {
    let text = format!(
        "name = \"redis-down\"\ndescription = \"d\"\ndrain_ms = 5000\nexpect = \"pass\"\n\
         [topology]\npersistence = \"{persistence}\"\n{extra_topology}\n\
         [workload]\ntenants = 2\ndecisions = 300\nrate_per_s = 100.0\nconcerns = [\"billing\", \"crm\"]\n\
         [faults]\nwindow_ms = 3000\n\
         [[faults.script]]\nat_ms = 1500\nkind = \"{kind}\"\nduration_ms = 500\n"
    );
    scenario::parse(Path::new("redis-down.toml"), &text).unwrap()
}

/// The `detail` of the run's one Redis crash or power loss.
fn down_detail(run: &outbox_chaos::report::outcome::RunOutcome) -> String {
    run.history
        .iter()
        .find_map(|r| match &r.op {
            outbox_chaos::history::Op::Fault { kind, detail, .. }
                if kind == "crash" || kind == "power-loss" =>
            {
                Some(detail.clone())
            }
            _ => None,
        })
        .expect("Redis went down")
}

#[test]
fn a_redis_process_crash_keeps_the_page_cache_with_aof_everysec() {
    let s = redis_down("aof-everysec", "redis-crash", "");
    let sweep = run_sweep(&s, SeedRange { start: 0, end: 5 });
    assert!(sweep.passed(), "{}", sweep.text(0.0));
    assert_eq!(sweep.coverage().get("acked-unsynced"), 0);
}

#[test]
fn a_power_loss_with_aof_everysec_keeps_the_last_fsync_and_loses_what_followed() {
    let s = redis_down("aof-everysec", "redis-power-loss", "");
    let run = sim::run(&s, 3).unwrap_or_else(|e| panic!("{e}"));
    // The fsyncs run once a second of the Redis process's life: the last before 1.5 s is at 1 s.
    assert_eq!(down_detail(&run), "kept-until-ms=1000");
    assert!(run.report.coverage.get("acked-unsynced") > 0);
    assert!(
        run.report
            .counts()
            .contains_key(&outbox_chaos::check::ViolationKind::Lost),
        "{}",
        outbox_chaos::report::verdict_line(&run.report)
    );
}

#[test]
fn rdb_restarts_from_the_last_snapshot_after_a_process_crash() {
    let s = redis_down("rdb", "redis-crash", "snapshot_interval_ms = 1000");
    let run = sim::run(&s, 3).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(down_detail(&run), "kept-until-ms=1000");
    assert!(run.report.coverage.get("acked-unsynced") > 0);
    // With snapshots every 2 s none was taken before the crash: Redis restarts empty.
    let s = redis_down("rdb", "redis-crash", "snapshot_interval_ms = 2000");
    let run = sim::run(&s, 3).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(down_detail(&run), "kept-until-ms=0");
}

/// Batching on (`apply_batch`, `in_flight`): a planted bug is still found within 0..100 and
/// nothing it does not explain shows up; a `pass` scenario stays clean on every seed. The shipped
/// scenarios run entry by entry (their histories are pinned), so this is where the batched
/// consumer and the producer's window meet the faults.
fn batched_sweep(name: &str) {
    let mut s = shipped(name);
    s.pipeline.apply_batch = 16;
    s.pipeline.in_flight = 8;
    let sweep = run_sweep(&s, SWEEP_SEEDS);
    let text = sweep.text(0.0);
    match Expect::from(s.expect) {
        Expect::Violation(kind) => {
            assert!(
                sweep.outcomes().any(|o| o.found(kind)),
                "{name} batched: no seed of 0..100 found `{kind}`\n{text}"
            );
            assert!(
                sweep.unexpected_kinds().is_empty(),
                "{name} batched: a kind the planted bug does not explain\n{text}"
            );
        }
        Expect::Pass => assert!(
            sweep.failing().next().is_none(),
            "{name} batched: failing seeds\n{text}"
        ),
    }
}

macro_rules! batched_tests {
    ($($test:ident = $name:literal;)*) => {
        mod batched {
            $(
                #[test]
                fn $test() {
                    super::batched_sweep($name);
                }
            )*
        }
    };
}

batched_tests! {
    consumer_crash = "consumer-crash";
    failover_async = "failover-async";
    // With 8 commits in flight, WAITs of 200 ms on the isolated primary queue up on the
    // producer's one connection: a commit's reply can time out while its script still runs
    // there, so only a delivery names the entry the failover then discards
    // (`check::duplicate_event` counts it as superseded). The WAIT of a commit goes on the
    // connection that carried it (`Producer::wait_replicas`).
    failover_wait = "failover-wait";
    idempotent_api = "idempotent-api";
    naive_sink = "naive-sink";
    ack_first = "ack-first";
    dual_write = "dual-write";
    no_reclaim = "no-reclaim";
    unsafe_trim = "unsafe-trim";
    non_idempotent_api = "non-idempotent-api";
}

/// `min-replicas-to-write` bounds what a split brain loses, as Redis's documentation says: every
/// acknowledged commit lost was acknowledged within `min-replicas-max-lag` (plus the second the
/// lag is counted in) of the cut, and the isolated primary refused commits after it.
#[test]
fn split_brain_min_replicas_loses_only_inside_the_max_lag_window() {
    let s = shipped("split-brain-min-replicas");
    let lag_ms = s.topology.min_replicas_max_lag_ms;
    // Redis counts the lag in whole seconds of `unixtime`, and the reply takes a few ms.
    let window_ms = lag_ms + 1_000 + 50;
    let (mut lost_total, mut refused_total) = (0, 0);
    for seed in 0..10 {
        let run = sim::run(&s, seed).unwrap_or_else(|e| panic!("{e}"));
        let cut_ms = run
            .history
            .iter()
            .find_map(|r| match &r.op {
                Op::Fault { kind, detail, .. } if kind == "partition" && detail == "failover" => {
                    Some(r.time_ms)
                }
                _ => None,
            })
            .expect("the primary was isolated");
        let lost = run.lost_acknowledged();
        for r in &run.history {
            if let Op::Commit { event, .. } = &r.op {
                if r.phase == Phase::Ok && lost.contains(event) {
                    assert!(
                        r.time_ms >= cut_ms && r.time_ms <= cut_ms + window_ms,
                        "seed {seed}: {event} was acknowledged at {} ms and lost, outside {cut_ms}..={} ms",
                        r.time_ms,
                        cut_ms + window_ms
                    );
                }
            }
        }
        lost_total += lost.len();
        refused_total += run.report.coverage.get("noreplicas");
    }
    assert!(lost_total > 0, "the window the docs admit was never hit");
    assert!(refused_total > 0, "no commit was refused with NOREPLICAS");
}

/// Jepsen's figure: a lost finding prints the fraction of acknowledged commits lost, per run
/// and over a sweep.
#[test]
fn jepsen_sentinel_2013_prints_the_fraction_of_acknowledged_commits_lost() {
    let s = shipped("jepsen-sentinel-2013");
    let run = sim::run(&s, 1).unwrap_or_else(|e| panic!("{e}"));
    let lost = run.lost_acknowledged().len();
    assert!(lost > 0, "nothing acknowledged was lost");
    let acked = outbox_chaos::report::outcome::acknowledged_commits(&run.history).len();
    let text = outbox_chaos::report::outcome::outcome_text(&run, Path::new("r"), &[]);
    let line = format!("lost {lost} of {acked} acknowledged commits (");
    assert!(text.contains(&line), "{text}");
    let sweep = run_sweep(&s, SeedRange { start: 1, end: 3 });
    assert!(
        sweep.text(0.0).contains(" acknowledged commits (")
            && sweep.text(0.0).contains("%) over 2 seeds"),
        "{}",
        sweep.text(0.0)
    );
}
