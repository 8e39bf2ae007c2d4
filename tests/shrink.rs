//! `outbox-chaos shrink`, end to end through the binary: for each planted bug, a failing seed
//! shrinks to a reproducer of at most 3 faults and 20 decisions, every fault scripted, and `sim`
//! of the written file fails with the same kind, twice with the same history hash. A clean seed
//! of a `pass` scenario is refused with exit 2; a failing seed of a `pass` scenario shrinks.
//! Sweeps list the shrink command of each failing seed.
//!
//! One test per scenario so nextest runs them side by side; each search ends on its own (no step
//! helps any more) in seconds, far inside its budget, and the test fails if the budget cut it.

use outbox_chaos::check::{Expect, ViolationKind};
use outbox_chaos::scenario::{self, FaultKind, Scenario};
use outbox_chaos::sim;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Far above what a search takes (seconds); a search cut short fails the test (exit 1).
const BUDGET_S: &str = "90";
const FAULTS_MAX: usize = 3;
const DECISIONS_MAX: u64 = 20;

fn outbox_chaos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_outbox-chaos"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn both(out: &Output) -> String {
    format!("{}{}", stdout(out), String::from_utf8_lossy(&out.stderr))
}

fn shipped(name: &str) -> Scenario {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    scenario::find(&dir, name).unwrap_or_else(|e| panic!("{e}"))
}

/// The first seed in 0..20 whose run shows `kind`.
fn failing_seed(s: &Scenario, kind: ViolationKind) -> u64 {
    (0..20)
        .find(|seed| {
            let run = sim::run(s, *seed).unwrap_or_else(|e| panic!("{e}"));
            run.report.gating_counts().contains_key(&kind)
        })
        .unwrap_or_else(|| panic!("{}: no seed in 0..20 shows {kind}", s.name))
}

/// `sim FILE --seed N`: exit code, history hash and verdict line.
fn sim_file(file: &Path, seed: u64, reports: &Path) -> (i32, String, String) {
    let (file, seed) = (file.to_str().unwrap(), seed.to_string());
    let reports = reports.to_str().unwrap();
    let out = outbox_chaos(&["sim", file, "--seed", &seed, "--reports", reports]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().rev().take(2).collect();
    assert_eq!(lines.len(), 2, "{}", both(&out));
    let hash = lines[1]
        .strip_prefix("history-hash: ")
        .expect("a hash line");
    (
        out.status.code().expect("exited"),
        hash.to_string(),
        lines[0].to_string(),
    )
}

/// Shrinks `scenario_arg` (a name or a file) at `seed` into `dir`; the written reproducer.
fn shrink(scenario_arg: &str, seed: u64, dir: &Path) -> (PathBuf, String) {
    let file = dir.join("repro.toml");
    let reports = dir.join("reports");
    let seed_text = seed.to_string();
    let out = outbox_chaos(&[
        "shrink",
        scenario_arg,
        "--seed",
        &seed_text,
        "--budget",
        BUDGET_S,
        "--out",
        file.to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(" tried, ") && text.contains(" kept] "),
        "progress: {text}"
    );
    assert!(text.contains("no step helps any more"), "{text}");
    let sim_line = format!("sim: outbox-chaos sim {} --seed {seed}\n", file.display());
    assert!(text.contains(&sim_line), "{text}");
    (file, text)
}

/// Shrinks a failing seed of the planted bug `name` and checks the reproducer.
fn planted(name: &str) {
    let s = shipped(name);
    let Expect::Violation(kind) = Expect::from(s.expect) else {
        panic!("{name} is not a planted bug")
    };
    let seed = failing_seed(&s, kind);
    let dir = tempfile::tempdir().unwrap();
    let (file, text) = shrink(name, seed, dir.path());
    let shrunk = scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let faults = shrunk.faults.script.len();
    let decisions = shrunk.workload.decisions;
    assert!(
        faults <= FAULTS_MAX && decisions <= DECISIONS_MAX,
        "{name} seed {seed}: {faults} faults, {decisions} decisions\n{text}"
    );
    assert!(
        shrunk.faults.rates.kinds().is_empty() && !shrunk.faults.swarm,
        "every fault scripted: {:?}",
        shrunk.faults
    );
    assert!(
        shrunk
            .faults
            .script
            .iter()
            .all(|f| f.target.is_some()
                && (f.kind == FaultKind::Failpoint || f.duration_ms.is_some()))
    );
    assert_eq!(Expect::from(shrunk.expect), Expect::Violation(kind));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.starts_with(&format!(
            "# Shrunk by outbox-chaos {} from scenario `{name}`, seed {seed}:\n#   outbox-chaos shrink {name} --seed {seed}",
            env!("CARGO_PKG_VERSION")
        )),
        "{written}"
    );
    let reports = dir.path().join("sim");
    let (code, hash, verdict) = sim_file(&file, seed, &reports);
    assert_eq!(code, 1, "{verdict}");
    assert!(verdict.contains(&format!("{kind}=")), "{name}: {verdict}");
    let (code_again, hash_again, verdict_again) = sim_file(&file, seed, &reports);
    assert_eq!(
        (code_again, &hash_again, &verdict_again),
        (code, &hash, &verdict)
    );
    eprintln!("{name} seed {seed}: {faults} faults, {decisions} decisions, history {hash}");
}

#[test]
fn naive_sink() {
    planted("naive-sink");
}

#[test]
fn ack_first() {
    planted("ack-first");
}

#[test]
fn dual_write() {
    planted("dual-write");
}

#[test]
fn no_reclaim() {
    planted("no-reclaim");
}

#[test]
fn unsafe_trim() {
    planted("unsafe-trim");
}

#[test]
fn non_idempotent_api() {
    planted("non-idempotent-api");
}

#[test]
fn a_clean_seed_of_a_pass_scenario_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().to_str().unwrap();
    let out = outbox_chaos(&["shrink", "baseline", "--seed", "3", "--reports", reports]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("seed 3 of `baseline` shows no violation that fails the run"),
        "{err}"
    );
    assert!(!dir.path().join("shrink").exists(), "nothing written");
}

#[test]
fn a_failing_seed_of_a_pass_scenario_shrinks() {
    // The naive sink under a scenario that expects `pass`: its failing seeds are what a sweep of a
    // pass scenario hands an engineer.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(shipped_path("naive-sink"))
        .unwrap()
        .replace("name = \"naive-sink\"", "name = \"expects-pass\"")
        .replace("expect = \"duplicate\"", "expect = \"pass\"");
    let file = dir.path().join("expects-pass.toml");
    std::fs::write(&file, text).unwrap();
    let s = scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(Expect::from(s.expect), Expect::Pass);
    let seed = failing_seed(&s, ViolationKind::Duplicate);
    let (repro, _) = shrink(file.to_str().unwrap(), seed, dir.path());
    let shrunk = scenario::load(&repro).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        Expect::from(shrunk.expect),
        Expect::Violation(ViolationKind::Duplicate)
    );
    assert!(shrunk.faults.script.len() <= FAULTS_MAX);
}

#[test]
fn sweeps_list_the_shrink_command_of_each_failing_seed() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().to_str().unwrap();
    let args = ["sweep", "naive-sink", "--seeds", "1..2", "--jobs", "1"];
    let out = outbox_chaos(&[&args[..], &["--reports", reports]].concat());
    let text = stdout(&out);
    assert!(
        text.contains(
            "  replay: outbox-chaos replay naive-sink --seed 1  shrink: outbox-chaos shrink naive-sink --seed 1\n"
        ),
        "{text}"
    );
}

fn shipped_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}
