//! The architecture's rules, checked on the source text (ARCHITECTURE.md#invariants):
//!
//! - imports follow the data flow: each top-level module of `src/` may name (`crate::<module>`)
//!   only the modules its row of [`ALLOWED`] lists;
//! - simulated code uses no wall clock, no threads and no unseeded randomness, except where
//!   [`EXCEPTIONS`] says why.
//!
//! Plain Rust over `src/**/*.rs` read as text, with comments and string literals blanked out,
//! so a doc comment that names a module is not an import. Self-tests plant a bad import and a
//! wall-clock read to show the checker can fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every top-level module and the project modules it may import. A new module needs a row here
/// and in ARCHITECTURE.md's table.
const ALLOWED: &[(&str, &[&str])] = &[
    ("scenario", &["rng"]),
    ("model", &["rng"]),
    ("rng", &[]),
    ("history", &[]),
    ("pipeline", &["history", "rng"]),
    ("check", &["history"]),
    ("report", &["check", "history", "scenario"]),
    ("workload", &["pipeline", "rng", "scenario"]),
    ("mapping", &["check", "pipeline", "scenario"]),
    ("fault_plan", &["mapping", "pipeline", "rng", "scenario"]),
    ("draws", &["fault_plan", "rng", "scenario", "workload"]),
    ("sim", WORLD),
    ("real", WORLD),
    ("shrink", SHRINK),
];

/// What a world may import: everything but the other world.
const WORLD: &[&str] = &[
    "check",
    "draws",
    "fault_plan",
    "history",
    "mapping",
    "model",
    "pipeline",
    "report",
    "rng",
    "scenario",
    "workload",
];

/// What `shrink` may import: it sits beside the worlds and drives `sim` runs, so the simulated
/// world and what a world may import, never the container world.
const SHRINK: &[&str] = &[
    "check",
    "draws",
    "fault_plan",
    "history",
    "mapping",
    "model",
    "pipeline",
    "report",
    "rng",
    "scenario",
    "sim",
    "workload",
];

/// Files outside the module rules: the crate root declares the modules; the binary (`main.rs`
/// and its command runtimes in `cli/`) uses them all.
const UNRESTRICTED: &[&str] = &["lib.rs", "main.rs", "cli"];

/// Modules whose code runs inside a simulated run, or judges and reports one: the container
/// world (`real`) and the binary (`main.rs`) are the only code on the wall clock.
const SIMULATED: &[&str] = &[
    "model",
    "sim",
    "pipeline",
    "check",
    "history",
    "scenario",
    "workload",
    "mapping",
    "report",
    "rng",
    "draws",
    "fault_plan",
];

/// What simulated code must not use, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    (
        "std::time::Instant",
        "the wall clock: use tokio::time (turmoil drives it)",
    ),
    (
        "SystemTime",
        "the wall clock: use tokio::time or take the time as an argument",
    ),
    (
        "std::thread",
        "threads: a simulated run is one thread, one host at a time",
    ),
    (
        "thread_rng",
        "unseeded randomness: draw from Rng::derive(seed, stream)",
    ),
    (
        "rand::random",
        "unseeded randomness: draw from Rng::derive(seed, stream)",
    ),
    (
        "OsRng",
        "OS randomness: draw from Rng::derive(seed, stream)",
    ),
    (
        "getrandom",
        "OS randomness: draw from Rng::derive(seed, stream)",
    ),
    (
        "RandomState",
        "a randomly seeded hasher: use BTreeMap or a fixed hasher",
    ),
];

/// Justified uses of a forbidden name: (file under `src/`, name, why).
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "model/net/clock.rs",
        "SystemTime",
        // `Clock::System` is the clock of `serve-model`, the model on a real TCP port; the
        // simulation builds only `Clock::Simulated`/`Clock::turmoil`.
        "serve-model's real TCP server reads the wall clock",
    ),
    (
        "sim/sweep.rs",
        "std::thread",
        // A sweep runs whole seeds on OS threads, one simulation per thread at a time; nothing
        // inside a run is threaded, and each seed's history is independent of the others.
        "a sweep runs one whole simulation per OS thread",
    ),
    (
        "model/cmd/script.rs",
        "std::thread",
        // A unit test drops a 7,995-deep reply, which needs a bigger stack than the test
        // harness's thread has; the model itself never spawns.
        "a unit test needs a thread with a large stack",
    ),
];

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    file: String,
    line: usize,
    message: String,
}

/// `src/pipeline/producer.rs` → `pipeline`; `src/scenario.rs` → `scenario`; `src/main.rs` →
/// `main.rs`.
fn module_of(relative: &str) -> &str {
    match relative.split_once('/') {
        Some((dir, _)) => dir,
        None if UNRESTRICTED.contains(&relative) => relative,
        None => relative.trim_end_matches(".rs"),
    }
}

/// The source with every comment, string and char literal replaced by spaces (newlines kept,
/// so line numbers still hold).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let (len, keep) = if rest.starts_with(&['/', '/']) {
            (
                rest.iter().position(|c| *c == '\n').unwrap_or(rest.len()),
                false,
            )
        } else if rest.starts_with(&['/', '*']) {
            (block_comment_len(rest), false)
        } else if let Some(len) = raw_string_len(rest, i == 0 || !is_ident(chars[i - 1])) {
            (len, false)
        } else if rest[0] == '"' {
            (quoted_len(rest, '"'), false)
        } else if rest[0] == '\'' && is_char_literal(rest) {
            (quoted_len(rest, '\''), false)
        } else {
            (1, true)
        };
        for c in &rest[..len] {
            out.push(if keep { *c } else { blank(*c) });
        }
        i += len;
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn block_comment_len(rest: &[char]) -> usize {
    let mut depth = 0;
    let mut i = 0;
    while i < rest.len() {
        if rest[i..].starts_with(&['/', '*']) {
            depth += 1;
            i += 2;
        } else if rest[i..].starts_with(&['*', '/']) {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    rest.len()
}

/// `r"…"`, `r#"…"#`, `br"…"`: the length, when a raw string starts here.
fn raw_string_len(rest: &[char], at_token_start: bool) -> Option<usize> {
    if !at_token_start {
        return None;
    }
    let start = match rest {
        ['r', ..] => 1,
        ['b', 'r', ..] => 2,
        _ => return None,
    };
    let hashes = rest[start..].iter().take_while(|c| **c == '#').count();
    if rest.get(start + hashes) != Some(&'"') {
        return None;
    }
    let body = start + hashes + 1;
    let close: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    let end = (body..rest.len())
        .find(|&j| rest[j..].starts_with(&close))
        .map_or(rest.len(), |j| j + close.len());
    Some(end)
}

/// A quoted literal from its opening quote to its closing one, escapes skipped.
fn quoted_len(rest: &[char], quote: char) -> usize {
    let mut i = 1;
    while i < rest.len() {
        match rest[i] {
            '\\' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    rest.len()
}

/// `'x'` or `'\n'`, as opposed to a lifetime `'a`.
fn is_char_literal(rest: &[char]) -> bool {
    matches!(rest, ['\'', '\\', ..] | ['\'', _, '\'', ..])
}

/// Every `crate::<module>` the code names, with its line.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| is_ident(*c)).collect();
            if !before.is_some_and(is_ident) && !name.is_empty() {
                found.push((n + 1, name));
            }
            rest = after;
        }
    }
    found
}

/// The import and determinism findings of one file, given as its path under `src/`.
fn check_file(relative: &str, text: &str) -> Vec<Finding> {
    let code = code_only(text);
    let module = module_of(relative);
    let mut findings = Vec::new();
    let finding = |line, message| Finding {
        file: format!("src/{relative}"),
        line,
        message,
    };
    if !UNRESTRICTED.contains(&module) {
        match ALLOWED.iter().find(|(m, _)| *m == module) {
            None => findings.push(finding(
                1,
                format!("module `{module}` has no row in ALLOWED (tests/architecture.rs) nor in ARCHITECTURE.md's table"),
            )),
            Some((_, allowed)) => {
                for (line, target) in crate_paths(&code) {
                    if target != module && !allowed.contains(&target.as_str()) {
                        findings.push(finding(
                            line,
                            format!("`{module}` imports `crate::{target}` against the data flow (it may import: {})", allowed.join(", ")),
                        ));
                    }
                }
            }
        }
    }
    if SIMULATED.contains(&module) {
        for (n, line) in code.lines().enumerate() {
            for (name, why) in FORBIDDEN {
                let excused = EXCEPTIONS
                    .iter()
                    .any(|(file, what, _)| *file == relative && what == name);
                if uses(line, name) && !excused {
                    findings.push(finding(
                        n + 1,
                        format!("simulated code uses `{name}`: {why}"),
                    ));
                }
            }
            if imports_std_instant(line) {
                let excused = EXCEPTIONS
                    .iter()
                    .any(|(file, what, _)| *file == relative && *what == "std::time::Instant");
                if !excused {
                    findings.push(finding(n + 1, "simulated code imports `std::time::Instant`: the wall clock; use tokio::time".into()));
                }
            }
        }
    }
    findings
}

/// Whether `line` names `name` as a whole path (not as part of a longer identifier).
fn uses(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + name.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// `use std::time::{Duration, Instant}`: a grouped import of the wall-clock `Instant`.
fn imports_std_instant(line: &str) -> bool {
    line.match_indices("std::time::{").any(|(at, _)| {
        let group = &line[at..];
        let group = &group[..group.find('}').unwrap_or(group.len())];
        uses(group, "Instant")
    })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

fn check_tree() -> (usize, Vec<Finding>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut findings = Vec::new();
    for path in &files {
        let relative = path
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy();
        let relative = relative.replace('\\', "/");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{relative}: {e}"));
        findings.extend(check_file(&relative, &text));
    }
    findings.sort();
    (files.len(), findings)
}

fn report(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{}:{}: {}", f.file, f.line, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn imports_follow_the_data_flow_and_simulated_code_stays_deterministic() {
    let (files, findings) = check_tree();
    assert!(
        files > 50,
        "only {files} files under src/: wrong directory?"
    );
    assert!(
        findings.is_empty(),
        "{} finding(s); see ARCHITECTURE.md#invariants:\n{}",
        findings.len(),
        report(&findings)
    );
}

#[test]
fn every_top_level_module_has_a_row() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| {
            let relative = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            module_of(&relative).to_string()
        })
        .filter(|m| !UNRESTRICTED.contains(&m.as_str()))
        .collect();
    let rows: BTreeSet<String> = ALLOWED.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(
        modules, rows,
        "ALLOWED must list exactly the modules of src/"
    );
}

#[test]
fn exceptions_are_still_needed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (file, name, why) in EXCEPTIONS {
        let text = std::fs::read_to_string(src.join(file))
            .unwrap_or_else(|e| panic!("exception for {file} ({why}): {e}"));
        let code = code_only(&text);
        assert!(
            code.lines().any(|l| uses(l, name)),
            "src/{file} no longer uses `{name}`: remove its exception ({why})"
        );
    }
}

#[test]
fn a_planted_bad_import_is_found() {
    let planted = "use crate::history::Recorder;\nuse crate::sim::world::World;\n";
    let findings = check_file("pipeline/planted.rs", planted);
    assert_eq!(findings.len(), 1, "{}", report(&findings));
    assert_eq!(findings[0].line, 2);
    assert!(findings[0].message.contains("crate::sim"));

    let checker_in_pipeline = check_file("pipeline/x.rs", "fn f() { crate::check::check_all(); }");
    assert_eq!(checker_in_pipeline.len(), 1);
    let world_in_scenario = check_file("scenario.rs", "pub use crate::pipeline::config::SinkKind;");
    assert_eq!(world_in_scenario.len(), 1);
    let beyond_rng_in_model =
        check_file("model/x.rs", "use crate::rng::Rng; use crate::history::Op;");
    assert_eq!(beyond_rng_in_model.len(), 1);
    let real_in_report = check_file("report/x.rs", "use crate::real::run;");
    assert_eq!(real_in_report.len(), 1);
    assert_eq!(
        check_file("newthing.rs", "").len(),
        1,
        "an unknown module is a finding"
    );
}

#[test]
fn comments_and_strings_are_not_imports() {
    let text = r####"//! Reads `crate::sim` output.
/// See crate::real::run.
fn f() -> &'static str {
    /* crate::sim */ let _c = '"'; let _l: &'static str = "crate::sim";
    r#"crate::real "quoted" "#
}
"####;
    let findings = check_file("check/x.rs", text);
    assert!(findings.is_empty(), "{}", report(&findings));
}

#[test]
fn a_planted_wall_clock_thread_or_unseeded_draw_is_found() {
    let planted = [
        "let t = std::time::Instant::now();",
        "use std::time::{Duration, Instant};",
        "let now = SystemTime::now();",
        "std::thread::spawn(|| {});",
        "let x: u8 = rand::random();",
        "let mut r = rand::thread_rng();",
    ];
    for line in planted {
        assert_eq!(check_file("sim/x.rs", line).len(), 1, "not found: {line}");
    }
    let fine = "let t = tokio::time::Instant::now(); use tokio::time::Instant; // SystemTime";
    assert!(check_file("pipeline/x.rs", fine).is_empty());
    assert!(
        check_file("real/x.rs", "let t = std::time::Instant::now();").is_empty(),
        "the container world runs on the wall clock"
    );
}
