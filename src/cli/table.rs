//! The `table` command: the outcome table of Redis durability settings × faults.
//!
//! Every cell of `scenario::grid` is swept over `--seeds` in the simulation (the sweep's
//! threads, one whole seed per thread); each cell's scenario is written to
//! `REPORTS/table/<cell>.toml` so the `sim … --seed N` command in its row reproduces it. With
//! `--world real`, each cell whose simulation found something is run once in containers with
//! the seed shown, and the table says what that run found; a cell not run there says why. The
//! Markdown goes to stdout and to `REPORTS/table/table.md`; the last line is `result:`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use outbox_chaos::real::{RealError, RealOptions, RealRun};
use outbox_chaos::report::table::{
    exit_code, judgement_lines, markdown, outcome_words, tally, CellRun, Containers,
};
use outbox_chaos::report::{run_dir, write_run};
use outbox_chaos::scenario::grid::{self, Cell, Selection, FAULTS, SETTINGS};
use outbox_chaos::scenario::{self, scenarios_dir, SeedRange};
use outbox_chaos::sim::sweep::{run_seeds, SweepOptions};

use super::real::until_signal;
use super::{check_writable_dir, Failure};

/// Which world the table runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum World {
    /// The simulation only.
    Sim,
    /// The simulation, then each finding rerun in containers with its seed.
    Real,
}

#[derive(clap::Args)]
pub struct TableCli {
    /// Seeds `A..B` (end excluded) swept in every cell.
    #[arg(long, default_value = "0..4")]
    seeds: SeedRange,
    /// Seeds run at once on OS threads; the number of cores by default.
    #[arg(long)]
    jobs: Option<usize>,
    /// `real`: confirm each simulated finding in Docker containers (one run per cell).
    #[arg(long, value_enum, default_value = "sim")]
    world: World,
    /// Rows to run, by key (comma-separated): none, rdb, aof-everysec, aof-always, async, wait-1.
    #[arg(long, value_delimiter = ',')]
    settings: Option<Vec<String>>,
    /// Columns to run, by key (comma-separated): redis-crash, redis-power-loss, failover-pause,
    /// failover-isolate, partition.
    #[arg(long, value_delimiter = ',')]
    faults: Option<Vec<String>>,
    /// Where the base scenarios and the shipped scenarios (for the expectations) are.
    #[arg(long)]
    scenarios: Option<PathBuf>,
    /// Cell scenarios and the table go to `DIR/table/`; container runs' reports to
    /// `DIR/<cell>/<run id>/`.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// The Redis image of the container runs.
    #[arg(long, default_value = outbox_chaos::real::image::DEFAULT_IMAGE)]
    image: String,
}

pub fn run_table(args: &TableCli) -> Result<u8, Failure> {
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(Failure::bad_input("--jobs must be at least 1"));
    }
    // A seed range is never empty (`SeedRange` refuses `3..3`).
    let seeds: Vec<u64> = args.seeds.iter().collect();
    let dir = args.scenarios.clone().unwrap_or_else(scenarios_dir);
    let shipped = scenario::list_scenarios(&dir)?;
    let base = |name: &str| {
        shipped
            .iter()
            .find(|s| s.name == name)
            .cloned()
            .ok_or_else(|| {
                Failure::bad_input(format!(
                    "{}: the table's base scenario `{name}` is missing (the grid derives its cells from `{}` and `{}`)",
                    dir.display(),
                    grid::STANDALONE_BASE,
                    grid::SENTINEL_BASE
                ))
            })
    };
    let selection = Selection {
        settings: args.settings.clone(),
        faults: args.faults.clone(),
    };
    let cells = grid::cells(
        &base(grid::STANDALONE_BASE)?,
        &base(grid::SENTINEL_BASE)?,
        &shipped,
        &selection,
    )
    .map_err(Failure::bad_input)?;
    let table_dir = args.reports.join("table");
    check_writable_dir(&table_dir, "--reports").map_err(Failure::bad_input)?;
    let files = write_cells(&table_dir, &cells)?;
    if args.world == World::Real {
        // Docker unreachable is bad input, said before minutes of simulation rather than after.
        until_signal(outbox_chaos::real::remove_orphans())?.map_err(real_failure)?;
    }

    let started = Instant::now();
    let options = SweepOptions {
        jobs,
        reports: None,
        stop_when: None,
    };
    let mut runs = Vec::new();
    let total = cells.len();
    for (i, (cell, file)) in cells.into_iter().zip(files).enumerate() {
        let cell_started = Instant::now();
        let results = run_seeds(&cell.scenario, &seeds, &options, |_| {})?;
        let seeds = results.into_iter().map(|r| r.outcome).collect();
        let run = CellRun {
            cell,
            file,
            seeds,
            containers: Containers::NotAsked,
        };
        eprintln!(
            "table: [{}/{}] {}: {} ({:.1} s)",
            i + 1,
            total,
            run.cell.scenario.name,
            run.shown().map(outcome_words).unwrap_or_default(),
            cell_started.elapsed().as_secs_f64()
        );
        runs.push(run);
    }
    let simulated_s = started.elapsed().as_secs_f64();
    if args.world == World::Real {
        for run in &mut runs {
            run.containers = confirm(run, args)?;
            if let Containers::Ran { run: id, seed } = &run.containers {
                eprintln!(
                    "table: {} in containers (run {id}): {}",
                    run.cell.scenario.name,
                    outcome_words(seed)
                );
            }
        }
    }

    let command = command_line(args);
    let table = markdown(&runs, args.world == World::Real);
    let left_out = left_out_lines(&runs);
    let tally: Vec<String> = tally(&runs)
        .into_iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let summary = format!(
        "{} cells x {} seeds ({}) simulated in {simulated_s:.0} s on {jobs} {}: {}",
        runs.len(),
        seeds.len(),
        args.seeds,
        if jobs == 1 { "job" } else { "jobs" },
        tally.join(", ")
    );
    let md_path = table_dir.join("table.md");
    let written = std::fs::write(&md_path, format!("`{command}`\n\n{table}\n{summary}\n"))
        .map_err(|e| format!("{}: {e}", md_path.display()));
    println!("{command}");
    println!();
    print!("{table}");
    println!();
    println!("{summary}");
    println!(
        "cells: {}/<cell>.toml; table: {}",
        table_dir.display(),
        md_path.display()
    );
    for line in judgement_lines(&runs, &left_out) {
        println!("{line}");
    }
    written.map_err(Failure::bad_input)?;
    Ok(exit_code(&runs))
}

/// Writes each cell's scenario as `DIR/<cell>.toml`; returns the paths as the commands name them.
fn write_cells(dir: &Path, cells: &[Cell]) -> Result<Vec<String>, Failure> {
    let mut out = Vec::new();
    for cell in cells {
        let expectation = match &cell.expected {
            Some((e, name)) => format!("expect: {e}, as the shipped scenario `{name}` (equal run)"),
            None => "expect: no shipped scenario is this run, so the table states no expectation; \
                     `pass` below is the schema's placeholder"
                .to_string(),
        };
        let header = [
            format!(
                "Outcome table cell written by `outbox-chaos table`: {} x {}.",
                cell.setting.label, cell.fault.label
            ),
            format!(
                "Derived from the shipped scenario `{}`.",
                cell.setting.base.name()
            ),
            expectation,
        ];
        let text = outbox_chaos::shrink::to_toml(&cell.scenario, &header);
        let path = dir.join(format!("{}.toml", cell.scenario.name));
        std::fs::write(&path, text)
            .map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))?;
        out.push(path.display().to_string());
    }
    Ok(out)
}

/// One container run of the cell's shown seed, when it found something the simulation can
/// offer to confirm; otherwise why not.
fn confirm(run: &CellRun, args: &TableCli) -> Result<Containers, Failure> {
    let Some(shown) = run.shown() else {
        return Ok(Containers::NotTried("no simulated seed".into()));
    };
    if shown.error.is_some() {
        return Ok(Containers::NotTried("the simulated run broke".into()));
    }
    if !shown.is_failing() {
        return Ok(Containers::NotTried(
            "nothing to confirm (clean in every simulated seed)".into(),
        ));
    }
    let options = RealOptions {
        scenario: run.cell.scenario.clone(),
        window_ms: None,
        image: args.image.clone(),
        seed: Some(shown.seed),
        run_id: None,
    };
    let prepared = match RealRun::new(&options) {
        Ok(p) => p,
        Err(RealError::Unsupported { message, .. }) => return Ok(Containers::NotTried(message)),
        Err(e) => return Err(real_failure(e)),
    };
    let id = prepared.run_id.clone();
    eprintln!(
        "table: {} seed {} in containers (run {id}) ...",
        run.cell.scenario.name, shown.seed
    );
    match until_signal(prepared.run())? {
        Ok(outcome) => {
            let dir = run_dir(&args.reports, &run.cell.scenario.name, &outcome.run);
            write_run(&dir, &outcome.history, &outcome.summary())
                .map_err(|e| Failure::bad_input(e.to_string()))?;
            Ok(Containers::Ran {
                run: id,
                seed: outcome.seed_outcome(),
            })
        }
        Err(e) if e.exit_code() == 2 => Err(real_failure(e)),
        Err(e) => Ok(Containers::Broken {
            run: id,
            error: e.to_string(),
        }),
    }
}

fn real_failure(e: RealError) -> Failure {
    Failure {
        code: e.exit_code(),
        message: e.to_string(),
    }
}

/// The pairs of the selection the grid has no cell for, with why.
fn left_out_lines(runs: &[CellRun]) -> Vec<String> {
    let mut lines = Vec::new();
    let rows: Vec<_> = SETTINGS
        .iter()
        .filter(|s| runs.iter().any(|r| r.cell.setting.key == s.key))
        .collect();
    let columns: Vec<_> = FAULTS
        .iter()
        .filter(|f| runs.iter().any(|r| r.cell.fault.key == f.key))
        .collect();
    for f in columns {
        let without: Vec<&str> = rows
            .iter()
            .filter(|s| f.not_for(s.base).is_some())
            .map(|s| s.key)
            .collect();
        if let (Some(s), false) = (
            rows.iter().find(|s| f.not_for(s.base).is_some()),
            without.is_empty(),
        ) {
            lines.push(format!(
                "no cell: {} in rows {} ({})",
                f.key,
                without.join(", "),
                f.not_for(s.base).unwrap_or_default()
            ));
        }
    }
    lines
}

/// The command line that printed this table, as a user would type it.
fn command_line(args: &TableCli) -> String {
    let mut out = format!("outbox-chaos table --seeds {}", args.seeds);
    if args.world == World::Real {
        out.push_str(" --world real");
    }
    if let Some(s) = &args.settings {
        out.push_str(&format!(" --settings {}", s.join(",")));
    }
    if let Some(f) = &args.faults {
        out.push_str(&format!(" --faults {}", f.join(",")));
    }
    out
}
