//! Power loss in containers: a container's file system keeps every byte a killed process
//! wrote, so the project's image preloads a shim (`ci/power-loss.c`) into Redis that records,
//! per file of the data directory, how many bytes were fsynced (a record file per data file in
//! [`STATE_DIR`]). A power loss is a SIGKILL followed by the marker [`MARKER`]; at the next
//! start the shim cuts every file back to what was fsynced before Redis reads it. That is the
//! simulation's model (`model::persist`): a crash keeps what reached the OS, a power loss keeps
//! what was fsynced.
//!
//! This file reads what the shim recorded, out of the stopped container, to say what the
//! restart keeps (the `detail` of the `power-loss` record, as the simulation writes it), so the
//! coverage window `acked-unsynced` means the same in both worlds.
//!
//! Pure functions of the archives and the persistence setting: no Docker, no clock.

use std::time::Duration;

use super::docker::TarFile;
use crate::check::coverage::{KEPT_NOTHING, KEPT_UNTIL_PREFIX};
use crate::scenario::Persistence;

/// The image label that says the image has the shim (its value: the SHA-1 of its source).
pub const SHIM_LABEL: &str = "outbox-chaos.power-shim";
/// Where the shim keeps its records, in the container.
pub const STATE_DIR: &str = "/power";
/// The marker the shim looks for at start.
pub const MARKER: &str = "power-lost";
/// The shim's report of what its last restore cut (for people reading a container).
const RESTORED: &str = "restored";

/// What a restart after the power loss finds, relative to the last acknowledged write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Every write reached the disk (nothing the shim will cut holds data).
    Everything,
    /// The data as of this wall-clock time (since the Unix epoch): the last fsync of a file
    /// that loses bytes, or the last snapshot.
    Until(Duration),
    /// Nothing: no persistence, or no snapshot yet.
    Nothing,
}

/// One record of the shim: a data file's durable length and when it was made durable.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Record {
    /// The data file, relative to the data directory (`appendonlydir/appendonly.aof.1.incr.aof`).
    path: String,
    durable: u64,
    at: Duration,
}

/// Decodes the shim's record-file name (`%2F` for `/`, `%25` for `%`); `None` for the shim's
/// other files.
fn data_path(record_name: &str) -> Option<String> {
    if record_name.starts_with('.') || record_name == MARKER || record_name == RESTORED {
        return None;
    }
    let (mut out, mut rest) = (String::new(), record_name);
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3)?;
        out.push(u8::from_str_radix(code, 16).ok()? as char);
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// `<length> <seconds>.<nanoseconds>`.
fn parse_record(path: String, text: &str) -> Result<Record, String> {
    let bad = || format!("the shim's record of `{path}` reads `{}`", text.trim());
    let mut words = text.split_whitespace();
    let durable = words.next().and_then(|w| w.parse().ok()).ok_or_else(bad)?;
    let (secs, nanos) = words
        .next()
        .and_then(|w| w.split_once('.'))
        .ok_or_else(bad)?;
    let at = Duration::new(
        secs.parse().map_err(|_| bad())?,
        nanos.parse().map_err(|_| bad())?,
    );
    Ok(Record { path, durable, at })
}

/// What the restart keeps, from the shim's records (the files of [`STATE_DIR`]) and the data
/// files (of the data directory) of the stopped container:
///
/// - `none`: nothing (Redis writes no file).
/// - `rdb`: the last snapshot (`dump.rdb` is renamed into place once fsynced, so the power loss
///   cuts nothing of it; its record's time is when the snapshot was made durable, after the
///   fork that took it), or nothing before the first one.
/// - `aof-always`: every acknowledged write, as in the model: Redis fsyncs before it replies,
///   so what the shim may cut is a write whose fsync the power loss interrupted, never
///   acknowledged (the record's time, taken after the fsync, would put the last acknowledged
///   commit after it and count it as dropped).
/// - `aof-everysec`: everything when no file loses a byte (no write since the last fsync), else
///   the data as of the earliest last fsync of a file that loses bytes (when that fsync began:
///   a commit acknowledged before it is kept; one acknowledged after it is dropped, unless it
///   was written just before and its reply was still on its way).
pub fn kept(
    persistence: Persistence,
    records: &[TarFile],
    data: &[TarFile],
) -> Result<Kept, String> {
    let mut parsed = Vec::new();
    for r in records {
        if let Some(path) = data_path(&r.path) {
            parsed.push(parse_record(path, &String::from_utf8_lossy(&r.contents))?);
        }
    }
    Ok(match persistence {
        Persistence::None => Kept::Nothing,
        Persistence::Rdb => parsed
            .iter()
            .find(|r| r.path == "dump.rdb" && r.durable > 0)
            .map_or(Kept::Nothing, |r| Kept::Until(r.at)),
        Persistence::AofAlways => Kept::Everything,
        Persistence::AofEverysec => {
            let cut = parsed.iter().filter(|r| {
                data.iter()
                    .any(|f| f.path == r.path && f.contents.len() as u64 > r.durable)
            });
            cut.map(|r| r.at)
                .min()
                .map_or(Kept::Everything, Kept::Until)
        }
    })
}

/// The `power-loss` record's detail (`check::coverage`'s vocabulary), with the wall-clock
/// time turned into the run's time: `now` on the wall clock is `now_ms` in the run.
pub fn detail(kept: Kept, now_ms: u64, now: Duration) -> String {
    match kept {
        Kept::Everything => String::new(),
        Kept::Nothing => KEPT_NOTHING.to_string(),
        Kept::Until(at) => {
            let ago_ms = now.saturating_sub(at).as_millis() as u64;
            format!("{KEPT_UNTIL_PREFIX}{}", now_ms.saturating_sub(ago_ms))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &[u8]) -> TarFile {
        TarFile {
            path: path.to_string(),
            contents: contents.to_vec(),
        }
    }

    #[test]
    fn record_names_decode_to_data_paths() {
        assert_eq!(
            data_path("appendonlydir%2Fappendonly.aof.1.incr.aof").as_deref(),
            Some("appendonlydir/appendonly.aof.1.incr.aof")
        );
        assert_eq!(data_path("a%25b").as_deref(), Some("a%b"));
        assert_eq!(data_path(".tmp-1-1"), None);
        assert_eq!(data_path(MARKER), None);
        assert_eq!(data_path("bad%2"), None);
    }

    #[test]
    fn an_aof_keeps_what_was_fsynced_and_everything_when_nothing_is_cut() {
        let records = [
            file("appendonlydir%2Fa.incr.aof", b"4 100.500000000\n"),
            file("appendonlydir%2Fa.manifest", b"3 90.000000000\n"),
            file("restored", b"power-loss: done\n"),
        ];
        let mut data = vec![
            file("appendonlydir/a.incr.aof", b"abcdef"),
            file("appendonlydir/a.manifest", b"xyz"),
            file("sentinel.conf", b"never recorded"),
        ];
        let kept_now = kept(Persistence::AofEverysec, &records, &data).unwrap();
        assert_eq!(kept_now, Kept::Until(Duration::new(100, 500_000_000)));
        assert_eq!(
            detail(kept_now, 2_000, Duration::new(101, 0)),
            "kept-until-ms=1500"
        );
        assert_eq!(
            kept(Persistence::AofAlways, &records, &data).unwrap(),
            Kept::Everything
        );
        data[0].contents.truncate(4);
        assert_eq!(
            kept(Persistence::AofEverysec, &records, &data).unwrap(),
            Kept::Everything
        );
        assert_eq!(detail(Kept::Everything, 5, Duration::ZERO), "");
        let bad = [file("x", b"twelve")];
        assert!(kept(Persistence::AofEverysec, &bad, &data)
            .unwrap_err()
            .contains("record of `x` reads `twelve`"));
    }

    #[test]
    fn rdb_keeps_the_last_snapshot_and_none_keeps_nothing() {
        let records = [file("dump.rdb", b"120 7.000000001\n")];
        assert_eq!(
            kept(Persistence::Rdb, &records, &[]).unwrap(),
            Kept::Until(Duration::new(7, 1))
        );
        assert_eq!(kept(Persistence::Rdb, &[], &[]).unwrap(), Kept::Nothing);
        assert_eq!(
            kept(Persistence::None, &records, &[]).unwrap(),
            Kept::Nothing
        );
        assert_eq!(detail(Kept::Nothing, 5, Duration::ZERO), "kept=nothing");
    }
}
