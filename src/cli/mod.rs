//! The commands' shared edge: how a failure becomes a message and an exit code, and how a run's
//! start and end are printed. The text itself is `outbox_chaos::report::outcome`'s, the same for
//! every command and both worlds.

pub mod bench;
pub mod load;
pub mod merge;
pub mod real;
pub mod shrink;
pub mod sim;
pub mod table;

use std::process::ExitCode;

use outbox_chaos::report::outcome::{header_line, outcome_text_with, parameters_text, RunOutcome};
use outbox_chaos::report::RunId;
use outbox_chaos::scenario::{Scenario, ScenarioError};
use outbox_chaos::sim::RunError;
use std::collections::BTreeMap;
use std::path::Path;

/// A command's failure: a message for stderr and the exit code (2 for bad input).
pub struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    pub fn bad_input(message: impl std::fmt::Display) -> Failure {
        Failure {
            code: 2,
            message: message.to_string(),
        }
    }
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Failure {
        Failure::bad_input(e)
    }
}

impl From<RunError> for Failure {
    fn from(e: RunError) -> Failure {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

pub fn exit(result: Result<u8, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("outbox-chaos: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// A configuration enum from its kebab-case name, as the scenario files spell it.
pub fn kebab<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|e| e.to_string())
}

/// The header line and the parameters, before a run starts.
pub fn print_start(
    command: &str,
    scenario: &Scenario,
    run: &RunId,
    parameters: &BTreeMap<String, serde_json::Value>,
) {
    println!("{}", header_line(command, scenario, run));
    print!("{}", parameters_text(parameters));
}

/// The run's text, ending with `history-hash:` and `verdict:`; `verbose` lists the non-gating
/// findings with their timelines too.
pub fn print_outcome(outcome: &RunOutcome, report_dir: &Path, extra: &[String], verbose: bool) {
    print!("{}", outcome_text_with(outcome, report_dir, extra, verbose));
}

/// A folder reports will go to, made now and written to once, so a path that cannot take them
/// is refused before the run rather than found after it. The message names the flag.
pub fn check_writable_dir(dir: &Path, flag: &str) -> Result<(), String> {
    let bad = |e: std::io::Error| {
        format!(
            "{flag} {}: cannot write there ({e}); choose another folder",
            dir.display()
        )
    };
    std::fs::create_dir_all(dir).map_err(bad)?;
    let probe = dir.join(format!(".outbox-chaos-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(bad)?;
    std::fs::remove_file(&probe).map_err(bad)
}

/// A file a report will be written to: its folder must exist (it is not made: a typo in a
/// path should not grow folders) and take a file, checked before the run.
pub fn check_writable_file(path: &Path, flag: &str) -> Result<(), String> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(format!(
            "{flag} {}: the folder {} does not exist; create it or choose another path",
            path.display(),
            parent.display()
        ));
    }
    if path.is_dir() {
        return Err(format!(
            "{flag} {}: is a folder; give a file path",
            path.display()
        ));
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| format!("{flag} {}: cannot write there ({e})", path.display()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}
