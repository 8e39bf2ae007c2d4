//! Many seeds of one scenario on several OS threads.
//!
//! Each seed's simulation is single-threaded and self-contained (its turmoil world lives in the
//! thread that runs it), so threads across seeds are safe: they sit outside every simulated
//! world. Workers take seeds in order from a shared cursor; results come back through a channel
//! and are handed to the caller as they finish (for a progress bar) and returned in seed order,
//! so everything but timing is the same whatever the number of jobs.
//!
//! The reports of failing seeds (history, summary and `report.html`) are written by the thread that ran them,
//! so a sweep never holds more than `jobs` histories in memory. A world must never cross
//! threads: each seed is prepared, run and dropped on the thread that took it.

use super::run::{redis_commands, RunError, SimRun};
use crate::report::html::write_run_html;
use crate::report::series::Perf;
use crate::report::sweep::SeedOutcome;
use crate::report::{run_dir, write_run, RunId};
use crate::scenario::Scenario;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// What one seed came to.
#[derive(Clone, Debug)]
pub struct SeedResult {
    pub outcome: SeedOutcome,
    /// Commands the simulated Redis ran (0 for a broken run).
    pub redis_commands: u64,
    /// Where its report was written (failing seeds only).
    pub report_dir: Option<PathBuf>,
}

/// How to sweep.
pub struct SweepOptions<'a> {
    pub jobs: usize,
    /// Write failing seeds' reports under this directory.
    pub reports: Option<PathBuf>,
    /// Start no new seed once a result satisfies this (tests looking for a first finding).
    pub stop_when: Option<&'a (dyn Fn(&SeedResult) -> bool + Sync)>,
}

/// Runs `seeds` (ascending) and returns their results in seed order. `on_done` sees each result
/// as it arrives, on the calling thread. An error is a scenario the simulation cannot run at all.
pub fn run_seeds(
    scenario: &Scenario,
    seeds: &[u64],
    options: &SweepOptions<'_>,
    mut on_done: impl FnMut(&SeedResult),
) -> Result<Vec<SeedResult>, RunError> {
    if let Some(first) = seeds.first() {
        SimRun::new(scenario, *first)?; // bad input fails before any thread starts
    }
    let cursor = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut results: Vec<SeedResult> = Vec::with_capacity(seeds.len());
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<SeedResult>();
        for _ in 0..options.jobs.max(1).min(seeds.len().max(1)) {
            let (tx, cursor, stop) = (tx.clone(), &cursor, &stop);
            scope.spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Some(seed) = seeds.get(cursor.fetch_add(1, Ordering::SeqCst)) else {
                        break;
                    };
                    let result = run_one(scenario, *seed, options.reports.as_deref());
                    if options.stop_when.is_some_and(|f| f(&result)) {
                        stop.store(true, Ordering::SeqCst);
                    }
                    if tx.send(result).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for result in rx {
            on_done(&result);
            results.push(result);
        }
    });
    results.sort_by_key(|r| r.outcome.seed);
    Ok(results)
}

/// One seed, its report written when it fails.
pub fn run_one(scenario: &Scenario, seed: u64, reports: Option<&std::path::Path>) -> SeedResult {
    let run = SimRun::new(scenario, seed).and_then(|p| p.run());
    match run {
        Ok(outcome) => {
            let seed_outcome = outcome.seed_outcome();
            let report_dir = match (reports, seed_outcome.is_failing()) {
                (Some(base), true) => {
                    let dir = run_dir(base, &scenario.name, &RunId::Seed(seed));
                    write_run(&dir, &outcome.history, &outcome.summary())
                        .and_then(|()| {
                            let perf = Perf::build(&outcome.history);
                            write_run_html(&dir, &outcome, &perf, &[])
                        })
                        .map(|_| dir)
                        .map_err(|e| {
                            eprintln!("outbox-chaos: cannot write the report of seed {seed}: {e}")
                        })
                        .ok()
                }
                _ => None,
            };
            SeedResult {
                outcome: seed_outcome,
                redis_commands: redis_commands(&outcome),
                report_dir,
            }
        }
        Err(e) => SeedResult {
            outcome: SeedOutcome::broken(seed, e.to_string()),
            redis_commands: 0,
            report_dir: None,
        },
    }
}
