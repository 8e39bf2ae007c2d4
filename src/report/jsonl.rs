//! `history.jsonl`: the history, one JSON record per line, each line ending in a newline.
//!
//! The lines are exactly what the history hash covers (`history::hash::record_line`), so the
//! hash of a file read back equals the hash printed by the run that wrote it.

use super::ReportError;
use crate::history::hash::record_line;
use crate::history::Record;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

pub fn write_history<W: Write>(mut w: W, history: &[Record]) -> std::io::Result<()> {
    for r in history {
        w.write_all(record_line(r).as_bytes())?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

pub fn write_history_file(path: &Path, history: &[Record]) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io)?;
    write_history(BufWriter::new(file), history).map_err(io)
}

/// Reads a history back; `path` only names the source in errors. Blank lines are skipped.
pub fn read_history<R: BufRead>(path: &Path, r: R) -> Result<Vec<Record>, ReportError> {
    let mut history = Vec::new();
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line).map_err(|source| ReportError::Record {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        history.push(record);
    }
    Ok(history)
}

pub fn read_history_file(path: &Path) -> Result<Vec<Record>, ReportError> {
    let file = std::fs::File::open(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_history(path, std::io::BufReader::new(file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::hash::{history_hash, Fnv64};
    use crate::history::testkit::*;

    #[test]
    fn round_trips_and_hashes_the_file_bytes() {
        let (h, _) = clean_run();
        let mut bytes = Vec::new();
        write_history(&mut bytes, &h).unwrap();
        let mut fnv = Fnv64::default();
        fnv.write(&bytes);
        assert_eq!(fnv.finish(), history_hash(&h));
        assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), h.len());
        let back = read_history(Path::new("h.jsonl"), bytes.as_slice()).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn a_bad_line_is_named() {
        let text = "\n{\"index\":0}\n";
        let e = read_history(Path::new("h.jsonl"), text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("h.jsonl:2: not a history record"), "{e}");
    }

    #[test]
    fn files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let (h, _) = duplicated_run();
        write_history_file(&path, &h).unwrap();
        assert_eq!(read_history_file(&path).unwrap(), h);
    }
}
