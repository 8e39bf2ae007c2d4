//! The `shrink` command: a failing seed to a small reproducer, written as a scenario file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use outbox_chaos::check::ViolationKind;
use outbox_chaos::scenario::Scenario;
use outbox_chaos::shrink;

use super::sim::{load_scenario, Target};
use super::{kebab, Failure};

#[derive(clap::Args)]
pub struct ShrinkCli {
    #[command(flatten)]
    target: Target,
    #[arg(long)]
    seed: u64,
    /// Start no new candidate run after this many wall-clock seconds (each run is simulated;
    /// the budget only bounds the search).
    #[arg(long, default_value_t = 120)]
    budget: u64,
    /// The violation kind to keep (default: the scenario's `expect` kind if the seed shows it,
    /// else the first kind it shows).
    #[arg(long, value_parser = kebab::<ViolationKind>)]
    kind: Option<ViolationKind>,
    /// Where to write the reproducer (default `REPORTS/shrink/<scenario>-seed-<N>.toml`); the
    /// scenario inside is named after the file.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run_shrink(args: &ShrinkCli) -> Result<u8, Failure> {
    let scenario = load_scenario(&args.target)?;
    let started = Instant::now();
    let options = shrink::Options {
        kind: args.kind,
        deadline: Some(started + std::time::Duration::from_secs(args.budget)),
    };
    println!(
        "shrink {} --seed {}: {}",
        scenario.name, args.seed, scenario.description
    );
    let shrunk = shrink::shrink(&scenario, args.seed, &options, &mut |p| {
        println!(
            "  [{:>4} tried, {:>3} kept] {}: {}",
            p.candidates, p.kept, p.step, p.size
        )
    })
    .map_err(|e| Failure {
        code: e.exit_code(),
        message: e.to_string(),
    })?;
    let elapsed_s = started.elapsed().as_secs_f64();
    let out = args.out.clone().unwrap_or_else(|| {
        let file = format!("{}-seed-{}.toml", scenario.name, args.seed);
        args.target.reports.join("shrink").join(file)
    });
    let text = reproducer_text(&scenario, args, &shrunk, &out)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::bad_input(format!("{}: {e}", dir.display())))?;
    }
    std::fs::write(&out, text)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", out.display())))?;
    print_shrunk(&shrunk, &out, elapsed_s, args.budget);
    Ok(u8::from(shrunk.cut_short))
}
/// The reproducer file's text, its scenario named after the file.
fn reproducer_text(
    from: &Scenario,
    args: &ShrinkCli,
    shrunk: &shrink::Shrunk,
    out: &Path,
) -> Result<String, Failure> {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if out.extension().is_none_or(|x| x != "toml") || stem.is_empty() {
        return Err(Failure::bad_input(format!(
            "--out {}: the reproducer must be a `NAME.toml` file",
            out.display()
        )));
    }
    let mut s = shrunk.scenario.clone();
    s.name = stem.to_string();
    s.description = format!(
        "Shrunk from `{}` seed {}: {}",
        from.name, args.seed, from.description
    );
    let command: Vec<String> = std::iter::once("outbox-chaos".to_string())
        .chain(std::env::args().skip(1))
        .collect();
    let (before, after) = (&shrunk.before, &shrunk.after);
    let mut header = vec![
        format!(
            "Shrunk by outbox-chaos {} from scenario `{}`, seed {}:",
            env!("CARGO_PKG_VERSION"),
            from.name,
            args.seed
        ),
        format!("  {}", command.join(" ")),
        format!("It shows `{}` with {after}.", shrunk.kind),
        format!("The seed's own run, written down: {before}."),
        "Every fault is scripted. A failpoint `point@host` fires at that host's next pass after"
            .into(),
        "at_ms; the host restarts after a downtime the seed draws in duration_ms_min..max.".into(),
    ];
    if after.stall_rates > 0 {
        header.push("Not scripted: stalls still fire per pass from [faults.rates.stall] (the history does not say when they fired).".into());
    }
    header.push(format!(
        "Run it: outbox-chaos sim {} --seed {}",
        out.display(),
        args.seed
    ));
    Ok(shrink::to_toml(&s, &header))
}

fn print_shrunk(shrunk: &shrink::Shrunk, out: &Path, elapsed_s: f64, budget_s: u64) {
    println!("before: {}", shrunk.before);
    println!("after:  {}", shrunk.after);
    println!("faults:");
    shrink::describe(&shrunk.scenario)
        .iter()
        .for_each(|l| println!("  {l}"));
    println!("verdict of the reproducer: {}", shrunk.verdict);
    if shrunk.after.stall_rates > 0 {
        println!(
            "not scripted: {} stall rates still fire per pass (no step managed without them)",
            shrunk.after.stall_rates
        );
    }
    println!("reproducer: {}", out.display());
    println!(
        "sim: outbox-chaos sim {} --seed {}",
        out.display(),
        shrunk.seed
    );
    let event = match &shrunk.event {
        Some(e) => format!(" --event {e}"),
        None => String::new(),
    };
    println!(
        "replay: outbox-chaos replay {} --seed {}{event}",
        out.display(),
        shrunk.seed
    );
    let tried = format!(
        "{} candidates, {} kept, in {elapsed_s:.1} s",
        shrunk.candidates, shrunk.kept
    );
    if shrunk.cut_short {
        println!("shrink: {tried}: the budget of {budget_s} s cut the search short; the reproducer may not be the smallest (exit 1)");
    } else {
        println!("shrink: {tried}: no step helps any more");
    }
}
