//! INFO: the server's state as Redis 7.0.15 reports it, section by section.
//!
//! Only fields that describe the model's own state are reported, and every one of them comes from
//! the [`Server`] and the call's time: never the process's pid, memory, CPU or host, so a
//! simulated run stays replayable. Host-specific fields Redis has (CPU times, RSS) are left out;
//! `used_memory` is the model's own estimate of its data, not the process's.

use crate::model::cmd::connection::REDIS_VERSION;
use crate::model::frame::Frame;
use crate::model::parse::is_keyword;
use crate::model::server::{Call, Reply, Server, DATABASES};

/// The sections INFO without arguments (or `default`) writes, in Redis's order.
const DEFAULT_SECTIONS: [&str; 9] = [
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "errorstats",
    "keyspace",
];
/// What `all` adds (and `everything`, the model having no modules).
const EXTRA_SECTIONS: [&str; 1] = ["commandstats"];
/// The memory a server without data reports (Redis 7.0's `used_memory` at startup, roughly).
const BASE_MEMORY_BYTES: usize = 870_000;
/// Redis's `used_memory_lua` for a fresh Lua state.
const LUA_MEMORY_BYTES: usize = 31_744;

/// ```text
/// INFO [section [section ...]]
/// ```
/// Unknown sections are skipped, as Redis does.
pub fn info(server: &mut Server, call: Call<'_>) -> Reply {
    let asked = &call.args[1..];
    let wanted = |section: &str| {
        let default = DEFAULT_SECTIONS.contains(&section);
        asked.is_empty()
            || asked.iter().any(|a| {
                is_keyword(a, section)
                    || is_keyword(a, "all")
                    || is_keyword(a, "everything")
                    || (default && is_keyword(a, "default"))
            })
    };
    let texts: Vec<String> = DEFAULT_SECTIONS[..8]
        .iter()
        .chain(EXTRA_SECTIONS.iter())
        .chain(["keyspace"].iter())
        .filter(|s| wanted(s))
        .map(|s| section(server, s, call.now_ms))
        .collect();
    Frame::bulk(texts.join("\r\n")).into()
}

fn section(server: &mut Server, name: &str, now_ms: u64) -> String {
    let fields = match name {
        "server" => server_fields(now_ms),
        "clients" => named(vec![
            ("connected_clients", server.clients.len().to_string()),
            ("blocked_clients", server.blocked_clients.to_string()),
            ("maxclients", server.config.get("maxclients").to_string()),
        ]),
        "memory" => memory_fields(server, now_ms),
        "persistence" => persistence_fields(server),
        "stats" => stats_fields(server),
        "replication" => crate::model::cmd::replication::info_fields(server, now_ms),
        "cpu" => ["used_cpu_sys", "used_cpu_user"]
            .iter()
            .map(|k| (k.to_string(), "0.000000".to_string()))
            .collect(),
        "errorstats" => error_fields(server),
        "commandstats" => command_fields(server),
        _ => keyspace_fields(server, now_ms),
    };
    let title = match name {
        "cpu" => "CPU".to_string(),
        _ => format!("{}{}", name[..1].to_uppercase(), &name[1..]),
    };
    fields
        .iter()
        .fold(format!("# {title}\r\n"), |text, (k, v)| {
            text + k + ":" + v + "\r\n"
        })
}

type Fields = Vec<(String, String)>;

/// Fields with fixed names.
fn named(pairs: Vec<(&str, String)>) -> Fields {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn server_fields(now_ms: u64) -> Fields {
    named(vec![
        ("redis_version", REDIS_VERSION.into()),
        ("redis_git_sha1", "00000000".into()),
        ("redis_git_dirty", "0".into()),
        ("redis_mode", "standalone".into()),
        ("os", "outbox-chaos model".into()),
        ("arch_bits", "64".into()),
        ("server_time_usec", (now_ms * 1000).to_string()),
        ("hz", "10".into()),
    ])
}

/// INFO's `used_memory`: a server without data plus the estimate of its data (what `maxmemory`
/// is compared with).
pub fn used_memory(server: &mut Server, now_ms: u64) -> u64 {
    let data: usize = server.dbs_mut().map(|db| db.approx_bytes(now_ms)).sum();
    (BASE_MEMORY_BYTES + data) as u64
}

fn memory_fields(server: &mut Server, now_ms: u64) -> Fields {
    let used = used_memory(server, now_ms);
    named(vec![
        ("used_memory", used.to_string()),
        ("used_memory_lua", LUA_MEMORY_BYTES.to_string()),
        ("used_memory_scripts", "0".into()),
        ("number_of_cached_scripts", server.scripts.len().to_string()),
        ("maxmemory", server.config.get("maxmemory").to_string()),
        (
            "maxmemory_policy",
            server.config.get("maxmemory-policy").to_string(),
        ),
    ])
}

fn persistence_fields(server: &Server) -> Fields {
    let aof = (server.config.get("appendonly") == "yes") as u8;
    named(vec![
        ("loading", "0".into()),
        ("async_loading", "0".into()),
        ("rdb_bgsave_in_progress", "0".into()),
        (
            "rdb_last_save_time",
            (server.lastsave_ms / 1000).to_string(),
        ),
        ("rdb_last_bgsave_status", "ok".into()),
        ("rdb_saves", server.stats.rdb_saves.to_string()),
        ("aof_enabled", aof.to_string()),
        ("aof_rewrite_in_progress", "0".into()),
        ("aof_rewrite_scheduled", "0".into()),
        ("aof_last_bgrewrite_status", "ok".into()),
    ])
}

fn stats_fields(server: &mut Server) -> Fields {
    let expired: u64 = server.dbs_mut().map(|db| db.expired).sum();
    let rejected: u64 = server.stats.commands.values().map(|c| c.rejected).sum();
    named(vec![
        (
            "total_commands_processed",
            server.commands_processed.to_string(),
        ),
        ("sync_full", server.repl.sync_full.to_string()),
        ("sync_partial_ok", server.repl.sync_partial_ok.to_string()),
        ("sync_partial_err", server.repl.sync_partial_err.to_string()),
        ("expired_keys", expired.to_string()),
        ("evicted_keys", "0".into()),
        ("total_forks", "0".into()),
        (
            "total_error_replies",
            server.stats.error_replies.to_string(),
        ),
        ("rejected_calls", rejected.to_string()),
    ])
}

/// `errorstat_<CODE>:count=<n>` per error code, in code order.
fn error_fields(server: &Server) -> Fields {
    server
        .stats
        .errors
        .iter()
        .map(|(code, n)| (format!("errorstat_{code}"), format!("count={n}")))
        .collect()
}

/// `cmdstat_<name>:calls=…` per command that ran or was rejected, in name order.
fn command_fields(server: &Server) -> Fields {
    server
        .stats
        .commands
        .iter()
        .map(|(name, c)| {
            (
                format!("cmdstat_{name}"),
                format!(
                    "calls={},usec=0,usec_per_call=0.00,rejected_calls={},failed_calls={}",
                    c.calls, c.rejected, c.failed
                ),
            )
        })
        .collect()
}

/// `db<i>:keys=…,expires=…,avg_ttl=0` for each database that has keys (as Redis).
fn keyspace_fields(server: &mut Server, now_ms: u64) -> Fields {
    let mut fields = Vec::new();
    for (i, db) in server.dbs_mut().enumerate() {
        let keys = db.len(now_ms);
        if keys > 0 {
            let expires = db.expires_count(now_ms);
            fields.push((
                format!("db{i}"),
                format!("keys={keys},expires={expires},avg_ttl=0"),
            ));
        }
    }
    debug_assert!(fields.len() <= DATABASES);
    fields
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::testing::{bulk, run};
    use crate::model::frame::Frame;
    use crate::model::server::Server;

    #[test]
    fn info_names_version_and_role() {
        let mut s = Server::new();
        let c = s.connect();
        let Frame::Bulk(text) = run(&mut s, c, 0, "INFO") else {
            panic!("INFO is a bulk")
        };
        let text = String::from_utf8_lossy(&text);
        assert!(
            text.starts_with("# Server\r\nredis_version:7.0.15\r\n"),
            "{text}"
        );
        assert!(
            text.contains("\r\n\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"),
            "{text}"
        );
        assert!(text.contains("master_repl_offset:0\r\n"), "{text}");
        assert_eq!(run(&mut s, c, 0, "INFO nosuch"), bulk(""));
    }

    #[test]
    fn keyspace_and_error_stats() {
        let mut s = Server::new();
        let c = s.connect();
        run(&mut s, c, 0, "SELECT 3");
        run(&mut s, c, 0, "SET k v");
        run(&mut s, c, 0, "GET k x");
        run(&mut s, c, 0, "NOSUCH");
        let Frame::Bulk(text) = run(&mut s, c, 0, "INFO everything") else {
            panic!("INFO is a bulk")
        };
        let text = String::from_utf8_lossy(&text);
        assert!(
            text.contains("\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n"),
            "{text}"
        );
        assert!(text.contains("errorstat_ERR:count=2\r\n"), "{text}");
        assert!(
            text.contains(
                "cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n"
            ),
            "{text}"
        );
    }
}
