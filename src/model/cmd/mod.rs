//! The command table: every command the model knows, its arity and flags, and its handler, one
//! file per command family.
//!
//! A handler is `fn(&mut Server, Call) -> Reply`. It parses its arguments with
//! [`crate::model::parse::Args`], answers errors with Redis's exact texts, and touches every key it
//! writes (WATCH and blocked readers depend on it). Lookup and arity errors are produced here,
//! with Redis 7.0's texts, so no handler repeats them.

pub mod acl;
pub mod config;
pub mod connection;
pub mod db;
pub mod function;
pub mod geo;
pub mod hash;
pub mod info;
pub mod keys;
pub mod list;
pub mod persistence;
pub mod replication;
pub mod script;
pub mod set;
pub mod sort;
pub mod stream;
pub mod string;
pub mod transaction;
pub mod zset;

use crate::model::frame::Frame;
use crate::model::server::{Call, Reply, Server};
use bytes::Bytes;

pub type Handler = fn(&mut Server, Call<'_>) -> Reply;

/// Command flags (a subset of Redis's `CMD_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags(u16);

impl Flags {
    pub const NONE: Flags = Flags(0);
    /// Modifies the keyspace (refused by a read-only replica, propagated to replicas).
    pub const WRITE: Flags = Flags(1);
    /// Not allowed from a Lua script.
    pub const NOSCRIPT: Flags = Flags(1 << 1);
    /// Runs at once even inside MULTI (MULTI, EXEC, DISCARD, WATCH, QUIT).
    pub const TRANSACTION_CONTROL: Flags = Flags(1 << 2);
    /// May block the client.
    pub const BLOCKING: Flags = Flags(1 << 3);
    /// Allowed on a stale or loading server, as Redis's `CMD_STALE`/`CMD_LOADING`.
    pub const STALE_OK: Flags = Flags(1 << 4);
    /// Runs a script or function (EVAL, EVALSHA, FCALL and their `_RO`): whether it writes and
    /// may grow memory comes from the script's shebang or the function's flags, as Redis's
    /// `evalGetCommandFlags`.
    pub const SCRIPT: Flags = Flags(1 << 5);
    /// Runs while a script is busy past `busy-reply-threshold` (Redis's `CMD_ALLOW_BUSY`): what
    /// a client needs to end the script or not break a transaction it is queueing.
    pub const ALLOW_BUSY: Flags = Flags(1 << 6);
    /// Refused inside MULTI, before it is queued (Redis's `CMD_NO_MULTI`).
    pub const NO_MULTI: Flags = Flags(1 << 7);

    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Redis 7.0's `DENYOOM` commands (those of them the model has): refused while the data is over
/// `maxmemory`. A name list, not a flag, because only a server with `maxmemory` asks.
pub fn denies_oom(name: &str) -> bool {
    matches!(
        name,
        "append"
            | "blmove"
            | "brpoplpush"
            | "copy"
            | "decr"
            | "decrby"
            | "function|load"
            | "geoadd"
            | "georadius"
            | "georadiusbymember"
            | "geosearchstore"
            | "getset"
            | "hincrby"
            | "hincrbyfloat"
            | "hmset"
            | "hset"
            | "hsetnx"
            | "incr"
            | "incrby"
            | "incrbyfloat"
            | "linsert"
            | "lmove"
            | "lpush"
            | "lpushx"
            | "lset"
            | "mset"
            | "msetnx"
            | "psetex"
            | "restore"
            | "rpoplpush"
            | "rpush"
            | "rpushx"
            | "sadd"
            | "sdiffstore"
            | "set"
            | "setex"
            | "setnx"
            | "setrange"
            | "sinterstore"
            | "sort"
            | "sunionstore"
            | "xadd"
            | "xgroup|create"
            | "xgroup|createconsumer"
            | "xsetid"
            | "zadd"
            | "zincrby"
    )
}

pub struct CommandSpec {
    /// Lowercase, as Redis's `fullname` (`xgroup|create` for a subcommand).
    pub name: &'static str,
    /// Redis's convention: `n > 0` exactly n arguments (name included), `n < 0` at least `-n`.
    pub arity: i32,
    pub flags: Flags,
    pub handler: Handler,
    /// For container commands (XGROUP, XINFO, SCRIPT, CLIENT): their subcommands.
    pub subcommands: &'static [CommandSpec],
}

const fn cmd(name: &'static str, arity: i32, flags: Flags, handler: Handler) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        handler,
        subcommands: &[],
    }
}

const fn container(name: &'static str, subcommands: &'static [CommandSpec]) -> CommandSpec {
    CommandSpec {
        name,
        arity: -2,
        flags: Flags::NONE,
        handler: no_subcommand,
        subcommands,
    }
}

/// A container command is never dispatched itself: lookup resolves its subcommand.
fn no_subcommand(_: &mut Server, call: Call<'_>) -> Reply {
    unreachable!(
        "container command {:?} dispatched without a subcommand",
        call.args[0]
    )
}

const W: Flags = Flags::WRITE;
const N: Flags = Flags::NONE;
const TX: Flags = Flags::TRANSACTION_CONTROL
    .with(Flags::NOSCRIPT)
    .with(Flags::STALE_OK);
/// Connection commands Redis marks `noscript` and `stale`.
const CONN: Flags = Flags::NOSCRIPT.with(Flags::STALE_OK);

static COMMANDS: &[CommandSpec] = &[
    // connection and server (flags as Redis 7.0's command table: PING is not `stale`, SELECT
    // is allowed in scripts)
    cmd("ping", -1, N, connection::ping),
    cmd("echo", 2, Flags::STALE_OK, connection::echo),
    cmd("select", 2, Flags::STALE_OK, db::select),
    cmd("hello", -1, CONN.with(Flags::ALLOW_BUSY), connection::hello),
    // No `client|setinfo`: Redis 7.0 does not have it (7.2 does); the `redis` crate sends it on
    // connect and ignores Redis 7.0's "unknown subcommand" answer.
    container(
        "client",
        &[
            cmd("client|setname", 3, CONN, connection::client_setname),
            cmd("client|getname", 2, CONN, connection::client_getname),
            cmd("client|id", 2, CONN, connection::client_id),
            cmd("client|kill", -3, CONN, connection::client_kill),
        ],
    ),
    cmd("auth", -2, CONN.with(Flags::ALLOW_BUSY), acl::auth),
    container(
        "acl",
        &[
            cmd("acl|setuser", -3, CONN, acl::acl_setuser),
            cmd("acl|deluser", -3, CONN, acl::acl_deluser),
            cmd("acl|users", 2, CONN, acl::acl_users),
            cmd("acl|whoami", 2, CONN, acl::acl_whoami),
        ],
    ),
    cmd("info", -1, Flags::STALE_OK, info::info),
    cmd("role", 1, CONN, replication::role),
    cmd("flushall", -1, W, db::flushall),
    cmd("dbsize", 1, N, db::dbsize),
    cmd("quit", -1, TX.with(Flags::ALLOW_BUSY), connection::quit),
    // keys and strings
    cmd("del", -2, W, keys::del),
    cmd("unlink", -2, W, keys::unlink),
    cmd("scan", -2, N, keys::scan),
    cmd("exists", -2, N, keys::exists),
    cmd("type", 2, N, keys::type_),
    cmd("pexpire", -3, W, keys::pexpire),
    cmd("pttl", 2, N, keys::pttl),
    cmd("get", 2, N, string::get),
    cmd("mget", -2, N, string::mget),
    cmd("set", -3, W, string::set),
    cmd("incrby", 3, W, string::incrby),
    // hashes, sets, lists
    cmd("hset", -4, W, hash::hset),
    cmd("hget", 3, N, hash::hget),
    cmd("hgetall", 2, N, hash::hgetall),
    cmd("hincrby", 4, W, hash::hincrby),
    cmd("sadd", -3, W, set::sadd),
    cmd("sismember", 3, N, set::sismember),
    cmd("scard", 2, N, set::scard),
    cmd("rpush", -3, W, list::rpush),
    cmd("lrange", 4, N, list::lrange),
    // streams
    cmd("xadd", -5, W, stream::xadd),
    cmd("xlen", 2, N, stream::xlen),
    cmd("xrange", -4, N, stream::xrange),
    cmd("xrevrange", -4, N, stream::xrevrange),
    cmd("xdel", -3, W, stream::xdel),
    cmd("xtrim", -4, W, stream::xtrim),
    container(
        "xgroup",
        &[
            cmd("xgroup|create", -5, W, stream::xgroup_create),
            cmd("xgroup|setid", -5, W, stream::xgroup_setid),
            cmd("xgroup|destroy", 4, W, stream::xgroup_destroy),
            cmd("xgroup|createconsumer", 5, W, stream::xgroup_createconsumer),
            cmd("xgroup|delconsumer", 5, W, stream::xgroup_delconsumer),
        ],
    ),
    cmd(
        "xreadgroup",
        -7,
        W.with(Flags::BLOCKING),
        stream::xreadgroup,
    ),
    cmd("xread", -4, Flags::BLOCKING, stream::xread),
    cmd("xack", -4, W, stream::xack),
    cmd("xpending", -3, N, stream::xpending),
    cmd("xclaim", -6, W, stream::xclaim),
    cmd("xautoclaim", -6, W, stream::xautoclaim),
    container(
        "xinfo",
        &[
            cmd("xinfo|stream", -3, N, stream::xinfo_stream),
            cmd("xinfo|groups", 3, N, stream::xinfo_groups),
            cmd("xinfo|consumers", 4, N, stream::xinfo_consumers),
        ],
    ),
    // transactions
    cmd("multi", 1, TX.with(Flags::ALLOW_BUSY), transaction::multi),
    cmd("exec", 1, TX, transaction::exec),
    cmd(
        "discard",
        1,
        TX.with(Flags::ALLOW_BUSY),
        transaction::discard,
    ),
    cmd("watch", -2, TX.with(Flags::ALLOW_BUSY), transaction::watch),
    cmd(
        "unwatch",
        1,
        CONN.with(Flags::ALLOW_BUSY),
        transaction::unwatch,
    ),
    // scripting
    cmd(
        "eval",
        -3,
        Flags::NOSCRIPT.with(Flags::SCRIPT),
        script::eval,
    ),
    cmd(
        "evalsha",
        -3,
        Flags::NOSCRIPT.with(Flags::SCRIPT),
        script::evalsha,
    ),
    cmd(
        "eval_ro",
        -3,
        Flags::NOSCRIPT.with(Flags::SCRIPT),
        script::eval_ro,
    ),
    cmd(
        "evalsha_ro",
        -3,
        Flags::NOSCRIPT.with(Flags::SCRIPT),
        script::evalsha_ro,
    ),
    container(
        "script",
        &[
            cmd("script|load", 3, Flags::NOSCRIPT, script::script_load),
            cmd("script|exists", -3, Flags::NOSCRIPT, script::script_exists),
            cmd("script|flush", -2, Flags::NOSCRIPT, script::script_flush),
            cmd(
                "script|kill",
                2,
                Flags::NOSCRIPT.with(Flags::ALLOW_BUSY),
                script::script_kill,
            ),
        ],
    ),
    // Beyond what the pipeline sends, after it: the lookup walks the table in order, so the
    // pipeline's commands keep their place at the front.
    cmd("swapdb", 3, W, db::swapdb),
    cmd("move", 3, W, db::move_),
    cmd("flushdb", -1, W, db::flushdb),
    container(
        "config",
        &[
            cmd("config|get", -3, CONN, config::config_get),
            cmd("config|set", -4, CONN, config::config_set),
            cmd("config|resetstat", 2, CONN, config::config_resetstat),
            cmd("config|rewrite", 2, CONN, config::config_rewrite),
        ],
    ),
    cmd("incr", 2, W, string::incr),
    cmd("decr", 2, W, string::decr),
    cmd("decrby", 3, W, string::decrby),
    cmd("incrbyfloat", 3, W, string::incrbyfloat),
    cmd("setex", 4, W, string::setex),
    cmd("psetex", 4, W, string::psetex),
    cmd("setnx", 3, W, string::setnx),
    cmd("getset", 3, W, string::getset),
    cmd("getdel", 2, W, string::getdel),
    cmd("mset", -3, W, string::mset),
    cmd("msetnx", -3, W, string::msetnx),
    cmd("append", 3, W, string::append),
    cmd("strlen", 2, N, string::strlen),
    cmd("setrange", 4, W, string::setrange),
    cmd("getrange", 4, N, string::getrange),
    cmd("copy", -3, W, db::copy),
    cmd("xsetid", -3, W, stream::xsetid),
    cmd("time", 1, Flags::STALE_OK, connection::time),
    cmd("expire", -3, W, keys::expire),
    cmd("expireat", -3, W, keys::expireat),
    cmd("pexpireat", -3, W, keys::pexpireat),
    cmd("ttl", 2, N, keys::ttl),
    cmd("expiretime", 2, N, keys::expiretime),
    cmd("pexpiretime", 2, N, keys::pexpiretime),
    cmd("persist", 2, W, keys::persist),
    cmd("keys", 2, N, keys::keys),
    cmd("randomkey", 1, N, keys::randomkey),
    cmd("rename", 3, W, keys::rename),
    cmd("dump", 2, N, keys::dump),
    cmd("restore", -4, W, keys::restore),
    cmd("renamenx", 3, W, keys::renamenx),
    container(
        "object",
        &[
            cmd("object|encoding", 3, N, keys::object_encoding),
            cmd("object|refcount", 3, N, keys::object_refcount),
        ],
    ),
    cmd("lpush", -3, W, list::lpush),
    cmd("lpop", -2, W, list::lpop),
    cmd("rpop", -2, W, list::rpop),
    cmd("llen", 2, N, list::llen),
    cmd("hdel", -3, W, hash::hdel),
    cmd("hlen", 2, N, hash::hlen),
    cmd("hexists", 3, N, hash::hexists),
    cmd("hstrlen", 3, N, hash::hstrlen),
    cmd("hkeys", 2, N, hash::hkeys),
    cmd("hvals", 2, N, hash::hvals),
    cmd("hmget", -3, N, hash::hmget),
    cmd("hmset", -4, W, hash::hmset),
    cmd("hsetnx", 4, W, hash::hsetnx),
    cmd("hincrbyfloat", 4, W, hash::hincrbyfloat),
    cmd("srem", -3, W, set::srem),
    cmd("smembers", 2, N, set::smembers),
    cmd("smismember", -3, N, set::smismember),
    cmd("spop", -2, W, set::spop),
    cmd("srandmember", -2, N, set::srandmember),
    container(
        "function",
        &[
            cmd(
                "function|flush",
                -2,
                Flags::NOSCRIPT.with(W),
                function::function_flush,
            ),
            cmd(
                "function|list",
                -2,
                Flags::NOSCRIPT,
                function::function_list,
            ),
            cmd(
                "function|delete",
                3,
                Flags::NOSCRIPT.with(W),
                function::function_delete,
            ),
            cmd(
                "function|kill",
                2,
                Flags::NOSCRIPT.with(Flags::ALLOW_BUSY),
                function::function_kill,
            ),
            cmd(
                "function|load",
                -3,
                Flags::NOSCRIPT.with(W),
                function::function_load,
            ),
        ],
    ),
    container("memory", &[cmd("memory|usage", -3, N, keys::memory_usage)]),
    cmd("getex", -2, W, string::getex),
    cmd("hrandfield", -2, N, hash::hrandfield),
    cmd("zadd", -4, W, zset::zadd),
    cmd("zincrby", 4, W, zset::zincrby),
    cmd("zrem", -3, W, zset::zrem),
    cmd("zcard", 2, N, zset::zcard),
    cmd("zscore", 3, N, zset::zscore),
    cmd("zmscore", -3, N, zset::zmscore),
    cmd("zrank", 3, N, zset::zrank),
    cmd("zrevrank", 3, N, zset::zrevrank),
    cmd("zrange", -4, N, zset::zrange),
    cmd("zrevrange", -4, N, zset::zrevrange),
    cmd("zpopmin", -2, W, zset::zpopmin),
    cmd("zpopmax", -2, W, zset::zpopmax),
    cmd(
        "bzpopmin",
        -3,
        W.with(Flags::NOSCRIPT).with(Flags::BLOCKING),
        zset::bzpopmin,
    ),
    cmd(
        "bzpopmax",
        -3,
        W.with(Flags::NOSCRIPT).with(Flags::BLOCKING),
        zset::bzpopmax,
    ),
    cmd("geoadd", -5, W, geo::geoadd),
    cmd("geopos", -2, N, geo::geopos),
    cmd("geodist", -4, N, geo::geodist),
    cmd("geohash", -2, N, geo::geohash_cmd),
    cmd("geosearch", -7, N, geo::geosearch),
    cmd("geosearchstore", -8, W, geo::geosearchstore),
    cmd("georadius", -6, W, geo::georadius),
    cmd("georadius_ro", -6, N, geo::georadius_ro),
    cmd("georadiusbymember", -5, W, geo::georadiusbymember),
    cmd("georadiusbymember_ro", -5, N, geo::georadiusbymember_ro),
    cmd("cluster", -2, Flags::NOSCRIPT, connection::cluster),
    cmd("sinter", -2, N, set::sinter),
    cmd("sinterstore", -3, W, set::sinterstore),
    cmd("sintercard", -3, N, set::sintercard),
    cmd("sunion", -2, N, set::sunion),
    cmd("sunionstore", -3, W, set::sunionstore),
    cmd("sdiff", -2, N, set::sdiff),
    cmd("sdiffstore", -3, W, set::sdiffstore),
    cmd("smove", 4, W, set::smove),
    cmd("lmove", 5, W, list::lmove),
    cmd("rpoplpush", 3, W, list::rpoplpush),
    cmd(
        "blpop",
        -3,
        W.with(Flags::NOSCRIPT).with(Flags::BLOCKING),
        list::blpop,
    ),
    cmd(
        "brpop",
        -3,
        W.with(Flags::NOSCRIPT).with(Flags::BLOCKING),
        list::brpop,
    ),
    cmd(
        "blmove",
        6,
        W.with(Flags::NOSCRIPT).with(Flags::BLOCKING),
        list::blmove,
    ),
    cmd(
        "brpoplpush",
        4,
        W.with(Flags::NOSCRIPT).with(Flags::BLOCKING),
        list::brpoplpush,
    ),
    cmd("sort", -2, W, sort::sort),
    cmd("sort_ro", -2, N, sort::sort_ro),
    // replication (`cmd/replication.rs`)
    cmd("replicaof", 3, CONN, replication::replicaof),
    cmd("slaveof", 3, CONN, replication::replicaof),
    cmd(
        "replconf",
        -1,
        CONN.with(Flags::ALLOW_BUSY),
        replication::replconf,
    ),
    cmd("psync", -3, CONN.with(Flags::NO_MULTI), replication::psync),
    // persistence and the process (`cmd/persistence.rs`)
    cmd(
        "save",
        1,
        Flags::NOSCRIPT.with(Flags::NO_MULTI),
        persistence::save,
    ),
    cmd("lastsave", 1, Flags::STALE_OK, persistence::lastsave),
    cmd(
        "shutdown",
        -1,
        CONN.with(Flags::NO_MULTI).with(Flags::ALLOW_BUSY),
        persistence::shutdown,
    ),
    cmd("wait", 3, Flags::NOSCRIPT, replication::wait),
    cmd(
        "fcall",
        -3,
        Flags::NOSCRIPT.with(W).with(Flags::SCRIPT),
        function::fcall,
    ),
    cmd(
        "fcall_ro",
        -3,
        Flags::NOSCRIPT.with(Flags::SCRIPT),
        function::fcall_ro,
    ),
];

/// Finds the command (and subcommand) a request names and checks its arity, answering with
/// Redis's texts for an unknown command, an unknown subcommand and a wrong argument count.
pub fn lookup(args: &[Bytes]) -> Result<&'static CommandSpec, Frame> {
    let name = &args[0];
    let Some(spec) = find_top(name) else {
        return Err(unknown_command(args));
    };
    let container = spec;
    let spec = match (spec.subcommands.is_empty(), args.get(1)) {
        (false, Some(sub)) if sub.eq_ignore_ascii_case(b"help") => {
            find(spec.subcommands, sub, spec.name).unwrap_or(&CONTAINER_HELP)
        }
        (false, Some(sub)) => find(spec.subcommands, sub, spec.name).ok_or_else(|| {
            let sub = String::from_utf8_lossy(truncate(sub, 128));
            reject(format!(
                "ERR unknown subcommand '{sub}'. Try {} HELP.",
                String::from_utf8_lossy(name).to_uppercase()
            ))
        })?,
        _ => spec,
    };
    let argc = args.len() as i32;
    if (spec.arity > 0 && spec.arity != argc) || argc < -spec.arity {
        // The shared HELP is named as Redis names each container's own (`xgroup|help`).
        let name = if std::ptr::eq(spec, &CONTAINER_HELP) {
            format!("{}|help", container.name)
        } else {
            spec.name.to_string()
        };
        return Err(Frame::error(format!(
            "ERR wrong number of arguments for '{name}' command"
        )));
    }
    Ok(spec)
}

/// `X HELP` of every container command (CLIENT, XGROUP, XINFO, SCRIPT, CONFIG, OBJECT,
/// FUNCTION): the model's own subcommands, so the `Try X HELP.` of Redis's unknown-subcommand
/// text (kept byte for byte) points at something that answers.
static CONTAINER_HELP: CommandSpec = CommandSpec {
    name: "help",
    arity: 2,
    flags: Flags::STALE_OK,
    handler: container_help,
    subcommands: &[],
};

/// ```text
/// <CONTAINER> HELP
/// ```
/// Redis's HELP layout: a usage line, then each subcommand the model has, then HELP itself.
fn container_help(_server: &mut Server, call: Call<'_>) -> Reply {
    let name = String::from_utf8_lossy(&call.args[0]).to_uppercase();
    let subs = find(COMMANDS, &call.args[0], "").map_or(&[][..], |spec| spec.subcommands);
    let mut lines = vec![format!(
        "{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    )];
    for sub in subs {
        let own = sub.name.rsplit('|').next().unwrap_or(sub.name);
        lines.push(own.to_uppercase());
    }
    lines.push("HELP".to_string());
    lines.push("    Print this help.".to_string());
    Frame::Array(lines.into_iter().map(Frame::Simple).collect()).into()
}

/// The command (or subcommand) a request names, whatever its argument count.
pub fn find_command(args: &[Bytes]) -> Option<&'static CommandSpec> {
    let spec = find_top(args.first()?)?;
    match args.get(1) {
        Some(sub) if !spec.subcommands.is_empty() => find(spec.subcommands, sub, spec.name),
        _ => Some(spec),
    }
}

/// Buckets of the command table by name length and first letter: every request looks its
/// name up, and a bucket holds one to three commands where the table holds hundreds.
struct CommandIndex {
    buckets: Vec<Vec<&'static CommandSpec>>,
}

/// Names up to this long have a bucket of their own per length; longer ones share the last.
const INDEX_LEN_MAX: usize = 24;

impl CommandIndex {
    fn bucket(len: usize, first: u8) -> usize {
        let letter = match first.to_ascii_lowercase() {
            c @ b'a'..=b'z' => usize::from(c - b'a'),
            _ => 26,
        };
        len.min(INDEX_LEN_MAX) * 27 + letter
    }

    fn build() -> CommandIndex {
        let mut buckets = vec![Vec::new(); (INDEX_LEN_MAX + 1) * 27];
        for spec in COMMANDS {
            let first = spec.name.as_bytes().first().copied().unwrap_or(0);
            buckets[CommandIndex::bucket(spec.name.len(), first)].push(spec);
        }
        CommandIndex { buckets }
    }
}

/// A command of the top-level table by name, as [`find`] finds it (the first match in table
/// order), through [`CommandIndex`].
fn find_top(name: &[u8]) -> Option<&'static CommandSpec> {
    static INDEX: std::sync::OnceLock<CommandIndex> = std::sync::OnceLock::new();
    let first = *name.first()?;
    let index = INDEX.get_or_init(CommandIndex::build);
    index.buckets[CommandIndex::bucket(name.len(), first)]
        .iter()
        .copied()
        .find(|spec| {
            spec.name.len() == name.len() && spec.name.as_bytes().eq_ignore_ascii_case(name)
        })
}

fn find(table: &'static [CommandSpec], name: &[u8], parent: &str) -> Option<&'static CommandSpec> {
    table.iter().find(|spec| {
        let own = if parent.is_empty() {
            spec.name
        } else {
            &spec.name[parent.len() + 1..]
        };
        // Every request looks its name up here: the length test skips most entries cheaply.
        own.len() == name.len() && own.as_bytes().eq_ignore_ascii_case(name)
    })
}

fn unknown_command(args: &[Bytes]) -> Frame {
    let mut listed = String::new();
    for arg in &args[1..] {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        listed.push_str(&format!(
            "'{}' ",
            String::from_utf8_lossy(truncate(arg, room))
        ));
    }
    let name = String::from_utf8_lossy(truncate(&args[0], 128));
    reject(format!(
        "ERR unknown command '{name}', with args beginning with: {listed}"
    ))
}

/// Redis's `rejectCommandFormat` turns newlines into spaces so the error stays one line.
fn reject(text: String) -> Frame {
    Frame::error(text.replace(['\r', '\n'], " "))
}

fn truncate(bytes: &[u8], max: usize) -> &[u8] {
    &bytes[..bytes.len().min(max)]
}

/// Helpers for the command families' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::model::frame::Frame;
    use crate::model::keyspace::ClientId;
    use crate::model::server::{Reply, Server};
    use bytes::Bytes;

    /// Runs `words` for `client` at `now_ms` and returns the frame it answers.
    pub fn run(server: &mut Server, client: ClientId, now_ms: u64, words: &str) -> Frame {
        match server.execute(client, &args(words), now_ms) {
            Reply::Frame(frame) => frame,
            Reply::Block(block) => panic!("{words} blocked: {block:?}"),
        }
    }

    pub fn bulk(text: &str) -> Frame {
        Frame::bulk(Bytes::copy_from_slice(text.as_bytes()))
    }

    /// The reply to `words` as Redis writes it (RESP2), for comparing with replies captured
    /// from `redis-server` byte for byte.
    pub fn wire(server: &mut Server, client: ClientId, now_ms: u64, words: &str) -> String {
        String::from_utf8_lossy(&run(server, client, now_ms, words).to_bytes()).into_owned()
    }

    /// Runs `(request, expected reply bytes)` pairs as one client of a fresh server at `now_ms`.
    pub fn check(now_ms: u64, steps: &[(&str, &str)]) {
        let mut server = Server::new();
        let client = server.connect();
        for (request, want) in steps {
            assert_eq!(
                wire(&mut server, client, now_ms, request),
                *want,
                "reply to {request}"
            );
        }
    }

    /// The bytes of a reply that must be final (not blocked).
    pub fn wire_of(reply: Reply) -> Vec<u8> {
        match reply {
            Reply::Frame(frame) => frame.to_bytes(),
            Reply::Block(block) => panic!("still blocked: {block:?}"),
        }
    }

    /// A request's words as the server receives them.
    pub fn args(words: &str) -> Vec<Bytes> {
        words
            .split(' ')
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_finds_what_the_table_scan_finds() {
        for spec in COMMANDS {
            for name in [spec.name.to_string(), spec.name.to_uppercase()] {
                let found = find_top(name.as_bytes()).map(|s| s as *const CommandSpec);
                let scanned = find(COMMANDS, name.as_bytes(), "").map(|s| s as *const CommandSpec);
                assert_eq!(found, scanned, "{name}");
            }
        }
        for name in [
            "",
            "x",
            "xaddd",
            "1set",
            "set\0",
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        ] {
            assert!(find_top(name.as_bytes()).is_none(), "{name}");
        }
    }

    fn req(parts: &[&str]) -> Vec<Bytes> {
        parts
            .iter()
            .map(|p| Bytes::copy_from_slice(p.as_bytes()))
            .collect()
    }

    fn err(args: &[&str]) -> Frame {
        match lookup(&req(args)) {
            Err(frame) => frame,
            Ok(spec) => panic!("{args:?} resolved to {}", spec.name),
        }
    }

    /// Redis's unknown-subcommand text says `Try CLIENT HELP.`: the model answers it, listing
    /// the subcommands it has (a hint to a missing command would be a lie).
    #[test]
    fn every_container_answers_the_help_its_errors_suggest() {
        for container in COMMANDS.iter().filter(|c| !c.subcommands.is_empty()) {
            let name = container.name.to_uppercase();
            let error = err(&[&name, "nope"]);
            assert!(
                format!("{error:?}").contains(&format!("Try {name} HELP.")),
                "{error:?}"
            );
            let spec = lookup(&req(&[&name, "help"])).expect("HELP resolves");
            let mut server = Server::new();
            let client = server.connect();
            let args = req(&[&name, "help"]);
            let call = Call {
                client,
                args: &args,
                now_ms: 0,
                context: crate::model::server::Context::Client,
            };
            let Reply::Frame(Frame::Array(lines)) = (spec.handler)(&mut server, call) else {
                panic!("{name} HELP is not an array");
            };
            let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            assert!(
                text[0].starts_with(&format!("{name} <subcommand>")),
                "{text:?}"
            );
            for sub in container.subcommands {
                let own = sub.name.rsplit('|').next().unwrap().to_uppercase();
                assert!(text.contains(&own), "{name} HELP lacks {own}: {text:?}");
            }
        }
        assert!(
            lookup(&req(&["CLIENT", "HELP", "x"])).is_err(),
            "HELP takes no argument"
        );
    }

    #[test]
    fn redis_texts_for_lookup_errors() {
        assert_eq!(
            err(&["foo", "a", "b"]),
            Frame::error("ERR unknown command 'foo', with args beginning with: 'a' 'b' ")
        );
        assert_eq!(
            err(&["xgroup", "nope"]),
            Frame::error("ERR unknown subcommand 'nope'. Try XGROUP HELP.")
        );
        assert_eq!(
            err(&["XADD", "s"]),
            Frame::error("ERR wrong number of arguments for 'xadd' command")
        );
        assert_eq!(
            err(&["xgroup"]),
            Frame::error("ERR wrong number of arguments for 'xgroup' command")
        );
        assert_eq!(
            err(&["xgroup", "create", "s"]),
            Frame::error("ERR wrong number of arguments for 'xgroup|create' command")
        );
        // HELP takes no argument; the error names the container's HELP, as Redis's.
        assert_eq!(
            err(&["xgroup", "help", "xxx"]),
            Frame::error("ERR wrong number of arguments for 'xgroup|help' command")
        );
        assert_eq!(
            err(&["XINFO", "HELP", "xxx"]),
            Frame::error("ERR wrong number of arguments for 'xinfo|help' command")
        );
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(
            lookup(&req(&["XgRoUp", "CREATE", "s", "g", "$"]))
                .unwrap()
                .name,
            "xgroup|create"
        );
    }
}
