//! The `merge` command: the `summary.json` of a sweep's shards, run as a CI matrix on several
//! machines, judged as one sweep (`outbox_chaos::report::merge`), with the exit-code contract of
//! `sweep`: 0 when it passes, 1 when not, 2 on bad input (a missing, duplicated or foreign shard).

use std::path::PathBuf;

use outbox_chaos::report::merge::{merge, read_shards};
use outbox_chaos::report::write_json;

use super::{check_writable_dir, check_writable_file, Failure};

/// `merge`'s flags.
#[derive(clap::Args)]
pub struct MergeCli {
    /// The shards' sweep folders (each holds the `summary.json` that `sweep --shard I/N` wrote).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Write the merged `summary.json` and `junit.xml` into this folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the merged JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
}

pub fn run_merge(args: &MergeCli) -> Result<u8, Failure> {
    if let Some(out) = &args.out {
        check_writable_dir(out, "--out").map_err(Failure::bad_input)?;
    }
    if let Some(path) = &args.junit {
        check_writable_file(path, "--junit").map_err(Failure::bad_input)?;
    }
    let shards = read_shards(&args.dirs).map_err(Failure::bad_input)?;
    let merged = merge(&shards).map_err(Failure::bad_input)?;
    let text = merged.text();
    let (body, result_line) = text
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", text.trim_end()));
    println!("{body}");
    let mut written = Ok(());
    if let Some(out) = &args.out {
        written = write_json(&out.join("summary.json"), &merged.summary())
            .map_err(|e| e.to_string())
            .and_then(|()| {
                std::fs::write(out.join("junit.xml"), merged.junit_xml())
                    .map_err(|e| format!("{}: {e}", out.display()))
            });
        println!("report: {}", out.display());
    }
    if let Some(path) = &args.junit {
        if written.is_ok() {
            written = std::fs::write(path, merged.junit_xml())
                .map_err(|e| format!("{}: {e}", path.display()));
        }
    }
    println!("{result_line}");
    written.map_err(Failure::bad_input)?;
    Ok(merged.exit_code())
}
