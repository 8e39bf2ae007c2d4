//! Scripting commands: EVAL, EVALSHA, SCRIPT LOAD / EXISTS / FLUSH, and Redis's rules for the
//! commands a script calls.
//!
//! The script cache is `Server::scripts` (bodies by lowercase SHA1); the compiled scripts live in
//! the server's Lua [`Engine`], which is taken out of the server while a script runs so that each
//! `redis.call` can borrow the server. A script runs inside one `execute`, so it is atomic like any
//! command. Commands called from a script go through [`cmd::lookup`] and [`Server::dispatch`] with
//! [`Context::Script`], after the checks of Redis's `scriptCall`.
//!
//! What it must never do: block (a blocking command called from a script answers at once), run a
//! command flagged `NOSCRIPT` from a script, or answer with texts other than Redis 7.0.15's.

use crate::model::cmd::{self, Flags};
use crate::model::frame::Frame;
use crate::model::keyspace::ClientId;
use crate::model::lua::{self, Engine, HostReply};
use crate::model::parse::{int_arg, is_keyword};
use crate::model::server::{Call, Context, Reply, Server};
use bytes::Bytes;

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";
/// Length of a SHA1 in hex: EVALSHA answers NOSCRIPT at once for any other length.
const SHA_HEX_LEN: usize = 40;

/// ```text
/// EVAL script numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// Compiles the script unless cached (and caches it, so EVALSHA finds it), then runs it.
pub fn eval(server: &mut Server, call: Call<'_>) -> Reply {
    let (keys, argv) = match split_keys(call.args) {
        Ok(split) => split,
        Err(error) => return error.into(),
    };
    let body = &call.args[1];
    match load(server, body) {
        Ok(sha) => run(server, call, &sha, keys, argv),
        Err(error) => error.into(),
    }
}

/// ```text
/// EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// Runs a cached script; the SHA1 is case-insensitive.
pub fn evalsha(server: &mut Server, call: Call<'_>) -> Reply {
    if call.args[1].len() != SHA_HEX_LEN {
        return Frame::error(NOSCRIPT).into();
    }
    let (keys, argv) = match split_keys(call.args) {
        Ok(split) => split,
        Err(error) => return error.into(),
    };
    let Some(sha) = cached_sha(server, &call.args[1]) else {
        return Frame::error(NOSCRIPT).into();
    };
    let compiled = server.lua.as_ref().is_some_and(|engine| engine.contains(&sha));
    if !compiled {
        // Cached but not compiled in this interpreter: compile the body again.
        let body = server.scripts[&sha].clone();
        if let Err(error) = load(server, &body) {
            return error.into();
        }
    }
    run(server, call, &sha, keys, argv)
}

/// ```text
/// SCRIPT LOAD script
/// ```
/// Compiles and caches a script without running it; answers its SHA1.
pub fn script_load(server: &mut Server, call: Call<'_>) -> Reply {
    match load(server, &call.args[2]) {
        Ok(sha) => Frame::bulk(sha).into(),
        Err(error) => error.into(),
    }
}

/// ```text
/// SCRIPT EXISTS sha1 [sha1 ...]
/// ```
/// One 1 or 0 per SHA1, case-insensitive.
pub fn script_exists(server: &mut Server, call: Call<'_>) -> Reply {
    let answers = call.args[2..]
        .iter()
        .map(|sha| Frame::Integer(cached_sha(server, sha).is_some() as i64))
        .collect();
    Frame::Array(answers).into()
}

/// ```text
/// SCRIPT FLUSH [ASYNC | SYNC]
/// ```
/// Empties the cache and resets the interpreter (the model flushes at once either way).
pub fn script_flush(server: &mut Server, call: Call<'_>) -> Reply {
    let mode_ok = match &call.args[2..] {
        [] => true,
        [mode] => is_keyword(mode, "sync") || is_keyword(mode, "async"),
        _ => false,
    };
    if !mode_ok {
        return Frame::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option").into();
    }
    server.scripts.clear();
    if let Some(engine) = server.lua.as_mut() {
        engine.reset();
    }
    Frame::ok().into()
}

/// Redis's `scriptCall`: the checks a command called from a script passes before it runs, then
/// the command itself. A refusal is the bare text a script sees as `ERR <text>`.
pub fn call_from_script(
    server: &mut Server,
    client: ClientId,
    now_ms: u64,
    read_only: bool,
    args: &[Bytes],
) -> HostReply {
    let spec = match cmd::lookup(args) {
        Ok(spec) => spec,
        Err(Frame::Error(text)) if lua::is_arity_error(&text) => {
            return Err("Wrong number of args calling Redis command from script".to_string())
        }
        Err(_) => return Err("Unknown Redis command called from script".to_string()),
    };
    if spec.flags.contains(Flags::NOSCRIPT) {
        return Err("This Redis command is not allowed from script".to_string());
    }
    if read_only && spec.flags.contains(Flags::WRITE) {
        return Err("Write commands are not allowed from read-only scripts.".to_string());
    }
    match server.dispatch(spec, Call { client, args, now_ms, context: Context::Script }) {
        Reply::Frame(frame) => Ok(frame),
        // `Call::may_block` is false in a script, so no command should ask to block; if one
        // does, it gets the answer it would give at its deadline, as Redis never blocks here.
        Reply::Block(block) => Ok(block.timeout_reply),
    }
}

/// Splits `script numkeys keys... args...` after checking numkeys as Redis does.
fn split_keys(args: &[Bytes]) -> Result<(&[Bytes], &[Bytes]), Frame> {
    let numkeys = int_arg(&args[2])?;
    let rest = &args[3..];
    if numkeys > rest.len() as i64 {
        return Err(Frame::error("ERR Number of keys can't be greater than number of args"));
    }
    if numkeys < 0 {
        return Err(Frame::error("ERR Number of keys can't be negative"));
    }
    Ok(rest.split_at(numkeys as usize))
}

/// The cache key for a SHA1 given by a client, if that script is cached.
fn cached_sha(server: &Server, sha: &[u8]) -> Option<String> {
    let sha = String::from_utf8(sha.to_ascii_lowercase()).ok()?;
    server.scripts.contains_key(&sha).then_some(sha)
}

/// Compiles a body (unless it already is) and caches it; returns its SHA1 or the error reply.
fn load(server: &mut Server, body: &Bytes) -> Result<String, Frame> {
    let sha = with_engine(server, |engine, _| engine.load(body))?;
    server.scripts.entry(sha.clone()).or_insert_with(|| body.clone());
    Ok(sha)
}

/// Runs a compiled script for the client of `call`; its commands see the time of the EVAL.
fn run(server: &mut Server, call: Call<'_>, sha: &str, keys: &[Bytes], argv: &[Bytes]) -> Reply {
    with_engine(server, |engine, server| {
        let read_only = engine.flags(sha).is_some_and(|flags| flags.read_only());
        let mut host = |args: &[Bytes]| call_from_script(server, call.client, call.now_ms, read_only, args);
        engine.run(sha, keys, argv, &mut host)
    })
    .into()
}

/// Lends the server's engine (created on first use) while the server stays borrowable.
fn with_engine<R>(server: &mut Server, f: impl FnOnce(&mut Engine, &mut Server) -> R) -> R {
    let mut engine = server.lua.take().unwrap_or_default();
    let result = f(&mut engine, server);
    server.lua = Some(engine);
    result
}
