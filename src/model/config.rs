//! The server's configuration parameters, as CONFIG GET and CONFIG SET see them.
//!
//! A table of Redis 7.0.15's parameters that clients and Redis's own tests touch, each with its
//! aliases (`hash-max-ziplist-entries` for `hash-max-listpack-entries`), its default and the rule
//! CONFIG SET checks a new value against, with Redis's error texts. Values are kept as the text
//! CONFIG GET answers (memory sizes in bytes, booleans as `yes`/`no`).
//!
//! A parameter is stored even when the model does not act on it (`appendonly`, `save`): clients
//! such as `redis-benchmark` read them, and tests save and restore them around their runs. What
//! the model acts on is read through [`Config::int`]. It must never read the environment or the
//! host: defaults are Redis's, fixed.

use crate::model::cmd::keys::glob_match;
use std::collections::BTreeMap;

/// How CONFIG SET checks a value.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Bool,
    /// An integer within bounds.
    Int(i64, i64),
    /// A byte count that may carry a unit (`1mb`, `5gb`).
    Memory,
    Enum(&'static [&'static str]),
    /// Any text.
    Text,
    /// Set at startup only.
    Immutable,
}

struct Param {
    name: &'static str,
    aliases: &'static [&'static str],
    default: &'static str,
    kind: Kind,
}

const fn p(
    name: &'static str,
    aliases: &'static [&'static str],
    default: &'static str,
    kind: Kind,
) -> Param {
    Param {
        name,
        aliases,
        default,
        kind,
    }
}

const YES_NO: Kind = Kind::Bool;
const MAX_I32: i64 = i32::MAX as i64;

/// Redis 7.0.15's defaults (`config.c`), for the parameters the model knows.
static PARAMS: &[Param] = &[
    p("activerehashing", &[], "yes", YES_NO),
    p("always-show-logo", &[], "no", Kind::Immutable),
    p("aof-use-rdb-preamble", &[], "yes", YES_NO),
    p(
        "appendfsync",
        &[],
        "everysec",
        Kind::Enum(&["always", "everysec", "no"]),
    ),
    p("appendonly", &[], "no", YES_NO),
    p("bind", &[], "* -::*", Kind::Text),
    p(
        "busy-reply-threshold",
        &["lua-time-limit"],
        "5000",
        Kind::Int(0, i64::MAX),
    ),
    p(
        "client-output-buffer-limit",
        &[],
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        Kind::Text,
    ),
    p("client-query-buffer-limit", &[], "1073741824", Kind::Memory),
    p("daemonize", &[], "no", Kind::Immutable),
    p("databases", &[], "16", Kind::Immutable),
    p("dbfilename", &[], "dump.rdb", Kind::Text),
    p("dir", &[], "/", Kind::Text),
    p("enable-debug-command", &[], "no", Kind::Immutable),
    p(
        "hash-max-listpack-entries",
        &["hash-max-ziplist-entries"],
        "512",
        Kind::Int(0, i64::MAX),
    ),
    p(
        "hash-max-listpack-value",
        &["hash-max-ziplist-value"],
        "64",
        Kind::Int(0, i64::MAX),
    ),
    p("hz", &[], "10", Kind::Int(0, MAX_I32)),
    p("io-threads", &[], "1", Kind::Immutable),
    p("latency-tracking", &[], "yes", YES_NO),
    p("lazyfree-lazy-expire", &[], "no", YES_NO),
    p("lazyfree-lazy-server-del", &[], "no", YES_NO),
    p("lazyfree-lazy-user-del", &[], "no", YES_NO),
    p("lazyfree-lazy-user-flush", &[], "no", YES_NO),
    p("list-compress-depth", &[], "0", Kind::Int(0, MAX_I32)),
    p(
        "list-max-listpack-size",
        &["list-max-ziplist-size"],
        "-2",
        Kind::Int(i32::MIN as i64, MAX_I32),
    ),
    p(
        "loglevel",
        &[],
        "notice",
        Kind::Enum(&["debug", "verbose", "notice", "warning"]),
    ),
    p("maxclients", &[], "10000", Kind::Int(1, MAX_I32)),
    p("maxmemory", &[], "0", Kind::Memory),
    p(
        "maxmemory-policy",
        &[],
        "noeviction",
        Kind::Enum(&[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ]),
    ),
    p(
        "min-replicas-max-lag",
        &["min-slaves-max-lag"],
        "10",
        Kind::Int(0, MAX_I32),
    ),
    p(
        "min-replicas-to-write",
        &["min-slaves-to-write"],
        "0",
        Kind::Int(0, MAX_I32),
    ),
    p("notify-keyspace-events", &[], "", Kind::Text),
    p("port", &[], "6379", Kind::Int(0, 65535)),
    p("proto-max-bulk-len", &[], "536870912", Kind::Memory),
    p("protected-mode", &[], "yes", YES_NO),
    p("repl-backlog-size", &[], "1048576", Kind::Memory),
    p("repl-diskless-sync-delay", &[], "5", Kind::Int(0, MAX_I32)),
    p(
        "repl-ping-replica-period",
        &["repl-ping-slave-period"],
        "10",
        Kind::Int(1, MAX_I32),
    ),
    p("repl-timeout", &[], "60", Kind::Int(1, MAX_I32)),
    p(
        "replica-announce-ip",
        &["slave-announce-ip"],
        "",
        Kind::Text,
    ),
    p("replica-read-only", &["slave-read-only"], "yes", YES_NO),
    p(
        "replica-serve-stale-data",
        &["slave-serve-stale-data"],
        "yes",
        YES_NO,
    ),
    p("rdbcompression", &[], "yes", YES_NO),
    p("requirepass", &[], "", Kind::Text),
    p(
        "sanitize-dump-payload",
        &[],
        "no",
        Kind::Enum(&["no", "yes", "clients"]),
    ),
    p("save", &[], "3600 1 300 100 60 10000", Kind::Text),
    p("set-max-intset-entries", &[], "512", Kind::Int(0, i64::MAX)),
    p(
        "slowlog-log-slower-than",
        &[],
        "10000",
        Kind::Int(-1, i64::MAX),
    ),
    p("slowlog-max-len", &[], "128", Kind::Int(0, i64::MAX)),
    p("stream-node-max-bytes", &[], "4096", Kind::Memory),
    p(
        "stream-node-max-entries",
        &[],
        "100",
        Kind::Int(0, i64::MAX),
    ),
    p("tcp-keepalive", &[], "300", Kind::Int(0, MAX_I32)),
    p("timeout", &[], "0", Kind::Int(0, MAX_I32)),
    p(
        "zset-max-listpack-entries",
        &["zset-max-ziplist-entries"],
        "128",
        Kind::Int(0, i64::MAX),
    ),
    p(
        "zset-max-listpack-value",
        &["zset-max-ziplist-value"],
        "64",
        Kind::Int(0, i64::MAX),
    ),
];

/// The current values, by canonical name.
#[derive(Clone, Debug)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
    /// `maxmemory` in bytes, kept beside its text: every command reads it.
    maxmemory: u64,
    /// `stream-node-max-entries` and `stream-node-max-bytes`, kept beside their text: every XADD
    /// reads them.
    stream_node: crate::model::stream::NodeLimits,
    /// `min-replicas-to-write` and `repl-backlog-size`, kept beside their texts: every write
    /// reads them.
    min_replicas_to_write: i64,
    repl_backlog_size: i64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            values: PARAMS
                .iter()
                .map(|p| (p.name, p.default.to_string()))
                .collect(),
            maxmemory: 0,
            stream_node: crate::model::stream::NodeLimits::default(),
            min_replicas_to_write: 0,
            repl_backlog_size: 0,
        }
        .with_cached_values()
    }
}

fn lookup(name: &str) -> Option<&'static Param> {
    let name = name.to_ascii_lowercase();
    PARAMS
        .iter()
        .find(|p| p.name == name || p.aliases.contains(&name.as_str()))
}

impl Config {
    /// The value of a parameter by canonical name; panics on a name not in the table (a bug).
    pub fn get(&self, name: &str) -> &str {
        self.values
            .get(name)
            .unwrap_or_else(|| panic!("unknown config parameter {name}"))
    }

    /// `maxmemory` in bytes (0: no limit), without a lookup.
    pub fn maxmemory(&self) -> u64 {
        self.maxmemory
    }

    /// The stream node limits (`stream-node-max-entries`, `stream-node-max-bytes`), without a
    /// lookup.
    pub fn stream_node(&self) -> crate::model::stream::NodeLimits {
        self.stream_node
    }

    /// `min-replicas-to-write`, without a lookup.
    pub fn min_replicas_to_write(&self) -> i64 {
        self.min_replicas_to_write
    }

    /// `repl-backlog-size`, without a lookup.
    pub fn repl_backlog_size(&self) -> i64 {
        self.repl_backlog_size
    }

    /// An integer parameter (`busy-reply-threshold`, `hash-max-listpack-entries`, ...).
    pub fn int(&self, name: &str) -> i64 {
        self.get(name).parse().unwrap_or(0)
    }

    fn with_cached_values(mut self) -> Config {
        self.cache_values();
        self
    }

    /// Reads the values kept beside their texts from the texts.
    fn cache_values(&mut self) {
        self.maxmemory = self.get("maxmemory").parse().unwrap_or(0);
        self.min_replicas_to_write = self.int("min-replicas-to-write");
        self.repl_backlog_size = self.int("repl-backlog-size");
        self.stream_node = crate::model::stream::NodeLimits {
            max_entries: self.int("stream-node-max-entries").max(0) as u64,
            max_bytes: self.int("stream-node-max-bytes").max(0) as u64,
        };
    }

    /// CONFIG GET's pairs for one pattern: an exact name (or alias, answered under the name
    /// asked) without glob characters, else every name and alias the pattern matches.
    pub fn matching(&self, pattern: &[u8]) -> Vec<(String, String)> {
        let text = String::from_utf8_lossy(pattern);
        if !pattern.iter().any(|b| matches!(b, b'[' | b'*' | b'?')) {
            return lookup(&text)
                .map(|p| (text.to_string(), self.values[p.name].clone()))
                .into_iter()
                .collect();
        }
        let mut found = Vec::new();
        for param in PARAMS {
            for name in std::iter::once(&param.name).chain(param.aliases) {
                if glob_match_nocase(pattern, name.as_bytes()) {
                    found.push((name.to_string(), self.values[param.name].clone()));
                }
            }
        }
        found
    }

    /// Checks every `(name, value)` pair, then applies them all, as CONFIG SET does; the error is
    /// Redis's text.
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        let mut checked = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let name_text = String::from_utf8_lossy(name);
            let Some(param) = lookup(&name_text) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{name_text}'"
                ));
            };
            if checked
                .iter()
                .any(|(p, _): &(&Param, String)| p.name == param.name)
            {
                return Err(format!("ERR CONFIG SET failed (possibly related to argument '{name_text}') - duplicate parameter"));
            }
            let value = normalize(param, &String::from_utf8_lossy(value)).map_err(|why| {
                format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name_text}') - {why}"
                )
            })?;
            checked.push((param, value));
        }
        for (param, value) in checked {
            self.values.insert(param.name, value);
        }
        self.cache_values();
        Ok(())
    }
}

/// The value CONFIG GET will answer after a CONFIG SET, or why it is refused.
fn normalize(param: &Param, value: &str) -> Result<String, String> {
    match param.kind {
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int(min, max) => {
            let n: i64 = value
                .parse()
                .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            Ok(n.to_string())
        }
        Kind::Memory => memory_bytes(value)
            .map(|n| n.to_string())
            .ok_or_else(|| "argument must be a memory value".to_string()),
        Kind::Enum(options) => options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(value))
            .map(|o| o.to_string())
            .ok_or_else(|| {
                format!(
                    "argument(s) must be one of the following: {}",
                    options.join(", ")
                )
            }),
        Kind::Text => Ok(value.to_string()),
        Kind::Immutable => Err("can't set immutable config".into()),
    }
}

/// Redis's `memtoull`: a number with an optional `k`, `kb`, `m`, `mb`, `g`, `gb` unit.
fn memory_bytes(value: &str) -> Option<u64> {
    let lower = value.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let factor: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

/// CONFIG GET matches patterns without regard to case, as Redis's `stringmatch(…, 1)`.
fn glob_match_nocase(pattern: &[u8], text: &[u8]) -> bool {
    glob_match(&pattern.to_ascii_lowercase(), &text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_defaults_and_checks() {
        let mut config = Config::default();
        assert_eq!(config.int("busy-reply-threshold"), 5000);
        config.set(&[(b"lua-time-limit", b"10")]).unwrap();
        assert_eq!(config.int("busy-reply-threshold"), 10);
        assert_eq!(
            config.matching(b"lua-time-limit"),
            vec![("lua-time-limit".to_string(), "10".to_string())]
        );
        config.set(&[(b"maxmemory", b"1mb")]).unwrap();
        assert_eq!(config.get("maxmemory"), "1048576");
        assert_eq!(
            config.set(&[(b"appendonly", b"maybe")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"
        );
        assert_eq!(
            config.set(&[(b"nosuch", b"1")]).unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
        );
        let found = config.matching(b"hash-max-*-entries");
        assert_eq!(found.len(), 2, "{found:?}");
    }
}
