//! A harness CI can trust (issue 15), through the binary as a user and a CI job run it: nothing
//! skipped silently, bad input refused before the run with exit 2, output paths checked first,
//! replay commands that work when pasted, output a person can read, shards merged into one
//! verdict, and `load` telling a server that is not Redis from a violation.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

mod support;
use support::cli::{code, run, text};

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// A shipped scenario copied to `dir/<name>.toml`, to be given by path.
fn copy_scenario(name: &str, dir: &Path) -> String {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
    let to = dir.join(format!("{name}.toml"));
    std::fs::copy(from, &to).unwrap();
    to.to_str().unwrap().to_string()
}

#[test]
fn load_against_a_server_that_is_not_redis_says_so_and_exits_2() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Answers every connection with an HTTP error, as a web server on the wrong port would.
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let url = format!("redis://127.0.0.1:{port}");
    let out = run(&["load", "--redis", &url, "--decisions", "10"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 2, "{stdout}{stderr}");
    assert!(stderr.contains("is not a Redis server"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_size_above_its_bound_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.toml");
    std::fs::write(
        &file,
        "name = \"huge\"\ndescription = \"d\"\ndrain_ms = 1000\nexpect = \"pass\"\n[workload]\ntenants = 1\ndecisions = 1000000000000\nconcerns = [\"billing\"]\n",
    )
    .unwrap();
    let out = run(&[
        "sim",
        path(&file),
        "--seed",
        "0",
        "--reports",
        path(dir.path()),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "nothing ran: {stdout}");
    assert!(
        stderr
            .contains(":7:1: key `workload.decisions`: 1000000000000 is above the bound of 100000"),
        "{stderr}"
    );
}

/// A sweep of a scenario given by path prints replay commands (text, summary.json, JUnit) that
/// work when pasted.
#[test]
fn replay_commands_of_a_scenario_given_by_path_work_when_pasted() {
    let dir = tempfile::tempdir().unwrap();
    let file = copy_scenario("naive-sink", dir.path());
    let reports = dir.path().join("reports");
    let junit = dir.path().join("junit.xml");
    let out = run(&[
        "sweep",
        &file,
        "--seeds",
        "0..6",
        "--jobs",
        "2",
        "--reports",
        path(&reports),
        "--junit",
        path(&junit),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "the planted bug shows: {stdout}{stderr}");
    let replay = stdout
        .lines()
        .find_map(|l| l.split("replay: ").nth(1))
        .map(|r| r.split("  shrink:").next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no replay command: {stdout}"));
    assert!(
        replay.starts_with(&format!("outbox-chaos replay {file} --seed ")),
        "{replay}"
    );
    let summary =
        std::fs::read_to_string(reports.join("naive-sink/sweep-0-6/summary.json")).unwrap();
    assert!(
        summary.contains(&format!("\"replay\": \"{replay}\"")),
        "{summary}"
    );
    // A planted bug's seeds are informational in JUnit (no failure, no replay); the JUnit
    // replay of a `pass` sweep is covered in `report::sweep`'s unit tests.
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .starts_with("<?xml"));
    let words: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let mut pasted = words.clone();
    pasted.extend(["--reports", path(&reports)]);
    let out = run(&pasted);
    let (stdout, stderr) = text(&out);
    assert_eq!(
        code(&out),
        1,
        "the pasted replay shows the violation: {stdout}{stderr}"
    );
    assert!(stdout
        .lines()
        .last()
        .unwrap()
        .starts_with("verdict: violations duplicate="));
}

#[test]
fn output_paths_are_checked_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/folder/junit.xml");
    let out = run(&[
        "sweep",
        "naive-sink",
        "--seeds",
        "0..50",
        "--reports",
        path(dir.path()),
        "--junit",
        path(&missing),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "refused before the run: {stdout}");
    assert!(
        stderr.contains("--junit") && stderr.contains("does not exist"),
        "{stderr}"
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let under_a_file = file.join("reports");
    let out = run(&[
        "sim",
        "baseline",
        "--seed",
        "0",
        "--reports",
        path(&under_a_file),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "refused before the run: {stdout}");
    assert!(
        stderr.contains("--reports") && stderr.contains("cannot write there"),
        "{stderr}"
    );
}

#[test]
fn an_empty_shard_passes_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "sweep",
        "consumer-crash",
        "--shard",
        "3/4",
        "--seeds",
        "0..2",
        "--reports",
        path(dir.path()),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("note: shard 3/4 of seeds 0..2 holds no seed"),
        "{stdout}"
    );
    assert!(!stdout.contains("window never reached"), "{stdout}");
    assert!(stdout.ends_with("result: pass\n"), "{stdout}");
}

#[test]
fn no_faults_reports_go_to_their_own_folder() {
    let dir = tempfile::tempdir().unwrap();
    let r = path(dir.path());
    let out = run(&["sim", "naive-sink", "--seed", "4", "--reports", r]);
    assert_eq!(code(&out), 1, "seed 4 shows the planted bug");
    let faulted = std::fs::read(dir.path().join("naive-sink/4/summary.json")).unwrap();
    let out = run(&[
        "sim",
        "naive-sink",
        "--seed",
        "4",
        "--no-faults",
        "--reports",
        r,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "no fault, no duplicate: {stdout}{stderr}");
    assert!(dir
        .path()
        .join("no-faults/naive-sink/4/summary.json")
        .is_file());
    assert_eq!(
        std::fs::read(dir.path().join("naive-sink/4/summary.json")).unwrap(),
        faulted,
        "the faulted run's report is kept"
    );
    assert!(
        stdout.starts_with("sim naive-sink --no-faults --seed 4: "),
        "{stdout}"
    );
}

#[test]
fn replay_event_checks_the_id_first_and_prints_only_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let r = path(dir.path());
    for bad in ["d-12", "x-000001", "d-999999"] {
        let out = run(&[
            "replay",
            "naive-sink",
            "--seed",
            "4",
            "--event",
            bad,
            "--reports",
            r,
        ]);
        let (stdout, stderr) = text(&out);
        assert_eq!(code(&out), 2, "{bad}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "{bad}: checked before the run: {stdout}");
        assert!(stderr.contains(&format!("--event {bad}")), "{stderr}");
    }
    let out = run(&[
        "replay",
        "naive-sink",
        "--seed",
        "4",
        "--event",
        "d-000001",
        "--reports",
        r,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 1, "{stdout}{stderr}");
    assert!(!stdout.contains("trace ("), "{stdout}");
    assert!(!stdout.contains("parameters:"), "{stdout}");
    assert!(stdout.contains("\ntimeline of d-000001:\n"), "{stdout}");
    assert!(stdout.lines().count() < 40, "{stdout}");
    let out = run(&[
        "replay",
        "naive-sink",
        "--seed",
        "4",
        "--event",
        "d-000001",
        "--trace",
        "--reports",
        r,
    ]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("trace (") && stdout.contains("timeline of d-000001:"));
}

/// A clean seed prints its verdict first, no non-gating timelines, and names the planted-bug
/// variant as scenario files do.
#[test]
fn a_clean_run_is_short_and_says_its_verdict_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "sim",
        "consumer-crash",
        "--seed",
        "7",
        "--reports",
        path(dir.path()),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let after_parameters = lines
        .iter()
        .position(|l| !l.starts_with(' ') && *l != "parameters:" && !l.starts_with("sim "))
        .unwrap();
    assert_eq!(lines[after_parameters], "verdict: clean", "{stdout}");
    assert!(!stdout.contains("reorder event="), "{stdout}");
    assert!(
        stdout.contains("  pipeline.variant: \"none\"\n"),
        "{stdout}"
    );
    assert_eq!(lines.last().copied(), Some("verdict: clean"));
}

#[test]
fn merge_judges_the_shards_as_one_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let r = path(dir.path());
    let mut shard_dirs = Vec::new();
    for shard in ["1/2", "2/2"] {
        let out = run(&[
            "sweep",
            "naive-sink",
            "--seeds",
            "0..6",
            "--shard",
            shard,
            "--reports",
            r,
        ]);
        let (stdout, stderr) = text(&out);
        assert!(matches!(code(&out), 0 | 1), "{stdout}{stderr}");
        let i = &shard[..1];
        shard_dirs.push(
            dir.path()
                .join(format!("naive-sink/sweep-0-6-shard-{i}-of-2")),
        );
    }
    let merged = dir.path().join("merged");
    let out = run(&[
        "merge",
        path(&shard_dirs[0]),
        path(&shard_dirs[1]),
        "--out",
        path(&merged),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("merge naive-sink: 2 shard(s) (1/2 2/2), 6 seeds of 0..6"),
        "{stdout}"
    );
    assert!(stdout.ends_with("result: pass\n"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(merged.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["passed"], true);
    assert_eq!(summary["seeds_run"], 6);
    assert!(std::fs::read_to_string(merged.join("junit.xml"))
        .unwrap()
        .starts_with("<?xml"));
    let out = run(&["merge", path(&shard_dirs[0])]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 2, "{stdout}{stderr}");
    assert!(stderr.contains("shard(s) 2/2 missing"), "{stderr}");
}

/// The README's first command gives a verdict quickly (at most a hundred seeds: under half a
/// minute of CPU on 2 cores, measured in the README), and the 1,000-seed sweep is the next step.
#[test]
fn the_readmes_first_command_is_a_short_sweep() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let commands: Vec<&str> = readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.lines().next())
        .collect();
    let first = commands[0];
    let seeds = first
        .split("--seeds ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("the first command names its seeds: {first}"));
    let (a, b) = seeds.split_once("..").unwrap();
    let count = b.parse::<u64>().unwrap() - a.parse::<u64>().unwrap();
    assert!(first.contains(" sweep ") && count <= 100, "{first}");
    assert!(commands[1].contains("--seeds 0..1000"), "{}", commands[1]);
    // That sweep (consumer-crash, seeds 0..100) passing is `tests/sim.rs`'s `consumer_crash`.
    let scenario = first
        .split(" sweep ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert_eq!(scenario, "consumer-crash");
}
