//! The binary as a user runs it, from the repository's root (so scenario names resolve), and what
//! it printed and how it exited.

use std::path::Path;
use std::process::{Command, Output};

/// `outbox-chaos ARGS…`.
pub fn run(args: &[&str]) -> Output {
    command(args).output().expect("the binary runs")
}

/// `outbox-chaos ARGS… --reports DIR`.
pub fn outbox_chaos(args: &[&str], reports: &Path) -> Output {
    command(args)
        .arg("--reports")
        .arg(reports)
        .output()
        .expect("the binary runs")
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_outbox-chaos"));
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Standard output and standard error, as text.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The exit code (a run killed by a signal fails the test).
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}
