//! The container world against real Redis 7 and Sentinel in Docker (issue 6).
//!
//! Each test starts its own topology under a run id of its own, so they run in parallel, and
//! checks at its end that nothing labelled with its run id is left. They need Docker and the
//! image `outbox-chaos/redis:local` (`ci/test` runs `ci/build-redis-image` first; a run builds it
//! too when missing). When Docker is not reachable they fail saying so; they never skip.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use outbox_chaos::check::ViolationKind;
use outbox_chaos::history::{CommitOutcome, Op, Phase};
use outbox_chaos::real::config::find_scenario;
use outbox_chaos::real::image::DEFAULT_IMAGE;
use outbox_chaos::real::{leftovers, RealOptions, RealRun};
use outbox_chaos::report::outcome::{outcome_text, RunOutcome};
use outbox_chaos::report::sweep::Sweep;
use outbox_chaos::scenario::{SeedRange, Shard};

/// The seed of the failover runs in both worlds.
const SEED: u64 = 0;

const BIN: &str = env!("CARGO_BIN_EXE_outbox-chaos");

/// `outbox-chaos real ARGS…` with reports under `dir`; its output and the run id it printed.
fn real_cli(dir: &Path, args: &[&str]) -> (Output, String) {
    let started = Instant::now();
    let out = Command::new(BIN)
        .arg("real")
        .args(args)
        .arg("--reports")
        .arg(dir)
        .output()
        .expect("run outbox-chaos real");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    eprintln!(
        "outbox-chaos real {args:?}: {:.1} s wall clock\n{stdout}",
        started.elapsed().as_secs_f64()
    );
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    let run = run_id_of(&stdout).unwrap_or_else(|| panic!("no run id printed:\n{stdout}"));
    (out, run)
}

/// The run id from `real <scenario> --seed <seed> (run <id>): …`.
fn run_id_of(stdout: &str) -> Option<String> {
    let first = stdout.lines().next()?;
    let rest = first.split(" (run ").nth(1)?;
    Some(rest.split(')').next()?.to_string())
}

/// The line that starts with `prefix`.
fn line_with<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line:\n{stdout}"))
}

fn last_line(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.lines().last().unwrap_or_default().to_string()
}

async fn assert_nothing_left(run: &str) {
    let left = leftovers(run)
        .await
        .unwrap_or_else(|e| panic!("cannot list run {run}'s containers: {e}"));
    assert!(left.is_empty(), "run {run} left {left:?}");
}

/// A scenario from `scenarios/`, run through the library (with `seed`, else one drawn from the
/// run id).
async fn run_library(name: &str, seed: Option<u64>) -> RunOutcome {
    let options = RealOptions {
        scenario: find_scenario(name).expect("scenario"),
        window_ms: None,
        image: DEFAULT_IMAGE.to_string(),
        seed,
        run_id: None,
    };
    let prepared = RealRun::new(&options).expect("prepared");
    let started = Instant::now();
    let outcome = prepared
        .run()
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let text = outcome_text(&outcome, Path::new("(not written)"), &[]);
    let tail: Vec<&str> = text.lines().rev().take(6).collect();
    eprintln!(
        "{name} run {} seed {}: {:.1} s wall clock; {:?}",
        outcome.run,
        outcome.seed,
        started.elapsed().as_secs_f64(),
        tail
    );
    assert_nothing_left(&outcome.run.to_string()).await;
    outcome
}

/// Judged as `real` and `sweep` judge a run: the scenario's `expect` over this one seed.
fn expectation_met(outcome: &RunOutcome) -> bool {
    let mut sweep = Sweep::new(
        &outcome.scenario,
        SeedRange {
            start: outcome.seed,
            end: outcome.seed + 1,
        },
        Shard::ALL,
    );
    sweep.add(outcome.seed_outcome());
    sweep.expectation_met()
}

/// The same scenario and seed in the simulation, on a thread of its own: turmoil builds its own
/// runtime, which cannot start inside the test's.
fn simulated(outcome: &RunOutcome) -> RunOutcome {
    let (scenario, seed) = (outcome.scenario.clone(), outcome.seed);
    std::thread::spawn(move || {
        outbox_chaos::sim::run(&scenario, seed)
            .unwrap_or_else(|e| panic!("{} seed {seed} in the simulation: {e}", scenario.name))
    })
    .join()
    .expect("the simulated run's thread")
}

/// Decisions whose commit returned ok, computed here from the history alone.
fn acknowledged(outcome: &RunOutcome) -> BTreeSet<String> {
    let mut acked = BTreeSet::new();
    for r in &outcome.history {
        if let Op::Commit {
            event,
            outcome: Some(o),
            ..
        } = &r.op
        {
            if r.phase == Phase::Ok
                && matches!(
                    o,
                    CommitOutcome::Committed | CommitOutcome::AlreadyCommitted
                )
            {
                acked.insert(event.clone());
            }
        }
    }
    acked
}

/// The truth: acknowledged decisions of which nothing is left in the final state (no marker, no
/// state, no outbox entry, no effect).
fn vanished(outcome: &RunOutcome) -> BTreeSet<String> {
    let state = outcome.state.as_ref().expect("the run was audited");
    acknowledged(outcome)
        .into_iter()
        .filter(|id| match state.decisions.get(id) {
            None => true,
            Some(d) => {
                !(d.marker
                    || d.state
                    || !d.outbox_entries.is_empty()
                    || d.effects.values().any(|n| *n > 0))
            }
        })
        .collect()
}

/// Acknowledged decisions the `lost` checker reports.
fn reported_lost(outcome: &RunOutcome) -> BTreeSet<String> {
    let acked = acknowledged(outcome);
    let lost = outcome
        .report
        .result(ViolationKind::Lost)
        .expect("the lost checker ran");
    lost.findings
        .violations
        .iter()
        .filter_map(|v| v.event.clone())
        .filter(|e| acked.contains(e))
        .collect()
}

/// Times of the nemesis's records of one kind.
fn faults(outcome: &RunOutcome, kind: &str) -> Vec<u64> {
    outcome
        .history
        .iter()
        .filter(|r| matches!(&r.op, Op::Fault { kind: k, .. } if k == kind))
        .map(|r| r.time_ms)
        .collect()
}

#[test]
fn consumer_crash_against_real_redis_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (out, run) = real_cli(dir.path(), &["consumer-crash", "--without", "latency"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(line_with(&stdout, "verdict: "), "verdict: clean");
    // Judged as a one-seed sweep: the scenario's `must_reach` windows (a redelivery after an
    // effect, a dedupe hit) depend on wall-clock timing in this world, and a run that missed
    // one says so on its last lines and exits 1.
    let missed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("window never reached: "))
        .collect();
    match missed.is_empty() {
        true => {
            assert_eq!(out.status.code(), Some(0), "exit code");
            assert_eq!(last_line(&out), "result: pass");
        }
        false => {
            assert_eq!(out.status.code(), Some(1), "{missed:?} fail the run");
            assert_eq!(last_line(&out), "result: fail");
        }
    }
    assert!(
        stdout.contains("failpoint-crash:consumer.after_effect_before_ack="),
        "{stdout}"
    );
    assert!(
        !stdout.contains("failpoint-crash=0 "),
        "the failpoint crashes workers: {stdout}"
    );
    let report = dir.path().join("consumer-crash").join(&run);
    for file in ["history.jsonl", "summary.json"] {
        assert!(report.join(file).is_file(), "{file} written");
    }
    let summary = std::fs::read_to_string(report.join("summary.json")).unwrap();
    assert!(
        summary.contains(&format!("\"run_id\": \"{run}\"")),
        "{summary}"
    );
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(assert_nothing_left(&run));
}

#[test]
fn naive_sink_against_real_redis_finds_the_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let (out, run) = real_cli(dir.path(), &["naive-sink"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    // Judged as `sweep` judges: the planted bug's expectation (`duplicate`) holds, so exit 0.
    assert_eq!(out.status.code(), Some(0), "the expected violation exits 0");
    assert_eq!(last_line(&out), "result: pass");
    let verdict = line_with(&stdout, "verdict: ");
    assert!(
        verdict.starts_with("verdict: violations duplicate="),
        "{verdict}"
    );
    // The rerun command names the seed the run drew.
    let seed = stdout
        .lines()
        .next()
        .and_then(|l| l.split(" --seed ").nth(1))
        .and_then(|r| r.split(' ').next())
        .expect("the header names the seed");
    assert_eq!(
        line_with(&stdout, "rerun: "),
        format!("rerun: outbox-chaos real naive-sink --seed {seed}")
    );
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(assert_nothing_left(&run));
}

/// `failover-async` in containers: the Sentinels promote a replica while the isolated primary
/// still acknowledges commits; the run meets the scenario's `expect = "lost"` as the simulation
/// does with the same seed, and the lost checker counts exactly the commits that vanished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_async_in_containers_agrees_with_the_simulation() {
    let outcome = run_library("failover-async", Some(SEED)).await;
    let promotions = faults(&outcome, "failover");
    assert!(
        !promotions.is_empty(),
        "the Sentinels promoted a replica: {promotions:?}"
    );
    let acked_after = |t: u64| {
        outcome.history.iter().any(|r| {
            r.time_ms > t
                && r.phase == Phase::Ok
                && matches!(
                    &r.op,
                    Op::Commit {
                        outcome: Some(CommitOutcome::Committed),
                        ..
                    }
                )
        })
    };
    for t in &promotions {
        assert!(
            acked_after(*t),
            "commits go on after the promotion at {t} ms"
        );
    }
    assert!(
        outcome.phases.drained,
        "the pipeline drained on the last primary"
    );
    let truth = vanished(&outcome);
    let lost = reported_lost(&outcome);
    eprintln!(
        "failover-async: {} acknowledged commits vanished, the lost checker reports {}; verdict {}",
        truth.len(),
        lost.len(),
        outcome.seed_outcome().verdict
    );
    assert_eq!(
        lost, truth,
        "the lost checker reports exactly the acknowledged commits that vanished"
    );
    assert!(!truth.is_empty(), "acknowledged commits vanished");
    let sim = simulated(&outcome);
    eprintln!(
        "failover-async seed {SEED} simulated: {} of {} acknowledged commits lost; verdict {}",
        sim.lost_acknowledged().len(),
        acknowledged(&sim).len(),
        sim.seed_outcome().verdict
    );
    assert!(expectation_met(&sim), "the simulation meets `lost`");
    assert!(expectation_met(&outcome), "containers meet `lost` too");
}

/// `failover-wait` in containers: the same failover with WAIT 1. No acknowledged commit
/// vanishes, and the two worlds find the same kinds with the same seed, so they judge the
/// scenario's `expect = "pass"` alike. (Both show issue 14 item 7's `duplicate-event` today: a
/// decision retried after WAIT went unanswered on the isolated primary, committed again on the
/// new one; whether the scenario passes is `tests/sim.rs`'s sweep to say.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_wait_in_containers_agrees_with_the_simulation() {
    let outcome = run_library("failover-wait", Some(SEED)).await;
    assert!(
        !faults(&outcome, "failover").is_empty(),
        "a failover happened"
    );
    let truth = vanished(&outcome);
    assert_eq!(
        reported_lost(&outcome),
        truth,
        "lost count = vanished commits"
    );
    assert!(
        truth.is_empty(),
        "WAIT 1 kept every acknowledged commit: {truth:?}"
    );
    let text = outcome_text(&outcome, Path::new("x"), &[]);
    assert!(text.contains("acknowledged commits lost: 0"), "{text}");
    let sim = simulated(&outcome);
    let kinds = |o: &RunOutcome| o.report.gating_counts().into_keys().collect::<Vec<_>>();
    eprintln!(
        "failover-wait seed {SEED}: containers {}, simulation {}",
        outcome.seed_outcome().verdict,
        sim.seed_outcome().verdict
    );
    assert!(sim.lost_acknowledged().is_empty(), "nor in the simulation");
    assert_eq!(
        kinds(&outcome),
        kinds(&sim),
        "the two worlds find the same kinds:\n{text}"
    );
    assert_eq!(expectation_met(&outcome), expectation_met(&sim));
}

/// The `detail` of the run's one `power-loss` record (what the restart keeps), after checking
/// that the server lost power once and started again.
fn power_loss_detail(outcome: &RunOutcome) -> String {
    let losses: Vec<&str> = outcome
        .history
        .iter()
        .filter_map(|r| match &r.op {
            Op::Fault { kind, detail, .. } if kind == "power-loss" => Some(detail.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(losses.len(), 1, "one power loss: {losses:?}");
    assert_eq!(faults(outcome, "restart").len(), 1, "Redis started again");
    losses[0].to_string()
}

/// `power-loss-everysec` in containers: the image's shim cuts the AOF back to its last fsync,
/// so commits acknowledged after it vanish, as in the simulation with the same seed; the lost
/// checker counts exactly those, and the restart's `kept-until-ms` puts them after that fsync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_loss_everysec_in_containers_agrees_with_the_simulation() {
    let mut outcome = run_library("power-loss-everysec", Some(SEED)).await;
    // Redis fsyncs when the wall-clock second changes: a power loss that falls within the ~10 ms
    // between that fsync and the next acknowledged commit (about one run in a hundred) loses
    // nothing acknowledged. Such a run says nothing either way; the next one decides.
    if vanished(&outcome).is_empty() {
        eprintln!("power-loss-everysec: nothing acknowledged after the last fsync; once more");
        outcome = run_library("power-loss-everysec", Some(SEED)).await;
    }
    let detail = power_loss_detail(&outcome);
    assert!(detail.starts_with("kept-until-ms="), "{detail}");
    let truth = vanished(&outcome);
    let acked = acknowledged(&outcome).len();
    let sim = simulated(&outcome);
    eprintln!(
        "power-loss-everysec seed {SEED}: containers lost {} of {acked} acknowledged commits ({detail}), the simulation {} of {}",
        truth.len(),
        sim.lost_acknowledged().len(),
        acknowledged(&sim).len()
    );
    assert!(!truth.is_empty(), "acknowledged commits vanished");
    assert_eq!(
        reported_lost(&outcome),
        truth,
        "lost count = vanished commits"
    );
    let kept_until: u64 = detail["kept-until-ms=".len()..].parse().expect("a time");
    let acked_at = |event: &str| {
        outcome.history.iter().find_map(|r| match &r.op {
            Op::Commit { event: e, .. } if e == event && r.phase == Phase::Ok => Some(r.time_ms),
            _ => None,
        })
    };
    for event in &truth {
        let at = acked_at(event).expect("acknowledged");
        assert!(
            at > kept_until,
            "{event} vanished though acknowledged at {at} ms, before the fsync kept at {kept_until} ms"
        );
    }
    assert!(outcome.report.coverage.get("acked-unsynced") >= truth.len() as u64);
    assert!(expectation_met(&sim), "the simulation meets `lost`");
    assert!(expectation_met(&outcome), "containers meet `lost` too");
}

/// `power-loss-always`: the same run with `appendfsync always`. The shim's records show every
/// byte Redis wrote fsynced (the restart keeps everything, an empty detail), and no
/// acknowledged commit vanishes, as in the simulation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_loss_always_in_containers_loses_nothing() {
    let outcome = run_library("power-loss-always", Some(SEED)).await;
    assert_eq!(
        power_loss_detail(&outcome),
        "",
        "the restart keeps everything"
    );
    let truth = vanished(&outcome);
    assert!(
        truth.is_empty(),
        "no acknowledged commit vanished: {truth:?}"
    );
    let text = outcome_text(&outcome, Path::new("x"), &[]);
    assert!(outcome.is_clean(), "{text}");
    let sim = simulated(&outcome);
    assert!(sim.is_clean(), "nor in the simulation");
    assert!(expectation_met(&outcome) && expectation_met(&sim));
}

/// `partition-app`: the app's link to Redis is cut twice and healed: nothing committed is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_of_the_primary_from_the_app_loses_nothing() {
    let outcome = run_library("partition-app", None).await;
    assert_eq!(faults(&outcome, "partition").len(), 2, "two partitions");
    assert!(faults(&outcome, "heal").len() >= 2, "both healed");
    assert!(
        outcome.report.coverage.get("partition-in-flight") > 0,
        "a partition cut work in flight"
    );
    assert!(
        vanished(&outcome).is_empty(),
        "no acknowledged commit vanished"
    );
    let text = outcome_text(&outcome, Path::new("x"), &[]);
    assert!(outcome.is_clean(), "{text}");
}

#[test]
fn an_unreachable_docker_is_refused_with_exit_2() {
    let out = Command::new(BIN)
        .args(["real", "baseline"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Docker is not reachable"), "{stderr}");
    assert!(stderr.contains("start the daemon"), "{stderr}");
}

/// The downstream of the API sink, crashed while workers call it: every call in the crash fails
/// as against a server that is gone, the workers retry, and every effect lands once in its
/// ledger, as in the simulation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_downstream_in_containers_loses_and_doubles_nothing() {
    let text = "name = \"downstream-crash\"\ndescription = \"d\"\ndrain_ms = 5000\nexpect = \"pass\"\nmust_reach = [\"fault:crash\"]\n[topology]\nkind = \"standalone\"\npersistence = \"aof-always\"\n[workload]\ntenants = 2\nobjects_per_tenant = 8\ndecisions = 200\nrate_per_s = 100.0\nconcerns = [\"billing\", \"notifications\"]\n[pipeline]\nsink = \"idempotent-api\"\nvariant = \"none\"\n[faults]\nwindow_ms = 2000\n[[faults.script]]\nat_ms = 300\nkind = \"crash-downstream\"\ntarget = \"downstream\"\nduration_ms = 1000\n";
    let scenario = outbox_chaos::scenario::parse(Path::new("downstream-crash.toml"), text)
        .unwrap_or_else(|e| panic!("{e}"));
    let options = RealOptions {
        scenario,
        window_ms: None,
        image: DEFAULT_IMAGE.to_string(),
        seed: Some(0),
        run_id: None,
    };
    let outcome = RealRun::new(&options)
        .expect("prepared")
        .run()
        .await
        .unwrap();
    assert_nothing_left(&outcome.run.to_string()).await;
    let text = outcome_text(&outcome, Path::new("x"), &[]);
    let crashed = |kind: &str| {
        outcome.history.iter().any(|r| {
            matches!(&r.op, Op::Fault { kind: k, target, .. } if k == kind && target == "downstream")
        })
    };
    assert!(crashed("crash") && crashed("restart"), "{text}");
    // A worker whose call was refused leaves its entry pending; another reclaims it later.
    assert!(
        outcome.report.coverage.get("reclaim") > 0,
        "no call met the crashed downstream\n{text}"
    );
    assert!(outcome.is_clean(), "{text}");
    assert!(expectation_met(&outcome), "{text}");
}

/// `outbox-chaos real consumer-crash` started as a child process; returns it with its run id
/// once its first container exists, and a thread that keeps reading its stdout (a closed pipe
/// would end the run before the signal).
fn start_real_child(dir: &Path) -> (std::process::Child, String, std::thread::JoinHandle<String>) {
    let mut child = Command::new(BIN)
        .args([
            "real",
            "consumer-crash",
            "--without",
            "latency",
            "--reports",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let run = run_id_of(&first).unwrap_or_else(|| panic!("no run id in `{first}`"));
    let drain = std::thread::spawn(move || {
        let mut rest = first;
        let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
        rest
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while runtime
        .block_on(leftovers(&run))
        .unwrap()
        .containers
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "no container of run {run} appeared"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Let the run get going before the signal.
    std::thread::sleep(Duration::from_millis(1500));
    (child, run, drain)
}

/// Sends `signal` to a child `real` run mid-run: it exits `code`, says so, and leaves no
/// container or network of its run.
fn signal_removes_everything(signal: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, run, drain) = start_real_child(dir.path());
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    drain.join().unwrap();
    assert_eq!(
        status.code(),
        Some(code),
        "SIG{signal} exits {code}: {stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "SIG{signal}: interrupted; the run's containers and networks were removed"
        )),
        "{stderr}"
    );
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(assert_nothing_left(&run));
}

/// Ctrl-C in the middle of a run: exit 130 and nothing of the run left.
#[test]
fn ctrl_c_removes_every_container_and_network() {
    signal_removes_everything("INT", 130);
}

/// What CI runners and `docker stop` send.
#[test]
fn sigterm_removes_every_container_and_network() {
    signal_removes_everything("TERM", 143);
}

/// What a closed terminal sends.
#[test]
fn sighup_removes_every_container_and_network() {
    signal_removes_everything("HUP", 129);
}

/// A run killed outright (SIGKILL: no handler runs) leaves its containers; the next `real` run
/// finds them by their label, sees their process is gone, removes them and says so.
#[test]
fn the_next_run_removes_what_a_killed_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, killed_run, drain) = start_real_child(dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
    drain.join().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert!(
        !runtime.block_on(leftovers(&killed_run)).unwrap().is_empty(),
        "SIGKILL leaves the run's containers"
    );
    let (mut next, next_run, drain) = start_real_child(dir.path());
    assert!(
        runtime.block_on(leftovers(&killed_run)).unwrap().is_empty(),
        "the next run removed them before starting its own"
    );
    let sent = Command::new("kill")
        .args(["-TERM", &next.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    next.wait().unwrap();
    let stdout = drain.join().unwrap();
    assert!(
        stdout.contains(&format!(
            "removed what run {killed_run} left behind (its process is gone)"
        )),
        "{stdout}"
    );
    runtime.block_on(assert_nothing_left(&next_run));
}
