//! The commands' shared edge: how a failure becomes a message and an exit code, and how a run's
//! start and end are printed. The text itself is `outbox_chaos::report::outcome`'s, the same for
//! every command and both worlds.

pub mod bench;
pub mod load;
pub mod real;
pub mod shrink;
pub mod sim;

use std::process::ExitCode;

use outbox_chaos::report::outcome::{header_line, outcome_text, parameters_text, RunOutcome};
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

/// The run's text, ending with `history-hash:` and `verdict:`.
pub fn print_outcome(outcome: &RunOutcome, report_dir: &Path, extra: &[String]) {
    print!("{}", outcome_text(outcome, report_dir, extra));
}
