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
    eval_generic(server, call, false)
}

/// ```text
/// EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// EVAL whose commands may not write.
pub fn eval_ro(server: &mut Server, call: Call<'_>) -> Reply {
    eval_generic(server, call, true)
}

fn eval_generic(server: &mut Server, call: Call<'_>, ro: bool) -> Reply {
    let (keys, argv) = match split_keys(call.args) {
        Ok(split) => split,
        Err(error) => return error.into(),
    };
    let body = &call.args[1];
    match load(server, body) {
        Ok(sha) => run(server, call, &sha, keys, argv, ro),
        Err(error) => error.into(),
    }
}

/// ```text
/// EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// Runs a cached script; the SHA1 is case-insensitive.
pub fn evalsha(server: &mut Server, call: Call<'_>) -> Reply {
    evalsha_generic(server, call, false)
}

/// ```text
/// EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]]
/// ```
pub fn evalsha_ro(server: &mut Server, call: Call<'_>) -> Reply {
    evalsha_generic(server, call, true)
}

fn evalsha_generic(server: &mut Server, call: Call<'_>, ro: bool) -> Reply {
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
    let compiled = server
        .lua
        .as_ref()
        .is_some_and(|engine| engine.contains(&sha));
    if !compiled {
        // Cached but not compiled in this interpreter: compile the body again.
        let body = server.scripts[&sha].clone();
        if let Err(error) = load(server, &body) {
            return error.into();
        }
    }
    run(server, call, &sha, keys, argv, ro)
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

/// ```text
/// SCRIPT KILL
/// ```
/// Runs while a script is busy (`ALLOW_BUSY`), served from the script's tick; a connection
/// that is not yet a client then gets [`kill_reply`] from the network adapter.
pub fn script_kill(server: &mut Server, _call: Call<'_>) -> Reply {
    kill_reply(&server.script_run, true).into()
}

/// Redis's `scriptKill`: SCRIPT KILL (`eval`) or FUNCTION KILL against the running script.
pub fn kill_reply(run: &lua::RunState, eval: bool) -> Frame {
    let Some(running_eval) = run.running.get() else {
        return Frame::error("NOTBUSY No scripts in execution right now.");
    };
    if run.wrote.get() {
        return Frame::error(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. \
             You can either wait the script termination or kill the server in a hard way using \
             the SHUTDOWN NOSAVE command.",
        );
    }
    if eval != running_eval {
        return Frame::error(busy_text(running_eval));
    }
    run.killed.set(true);
    Frame::ok()
}

/// The BUSY reply other clients get while a script runs past `busy-reply-threshold`.
pub fn busy_text(eval: bool) -> &'static str {
    if eval {
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    } else {
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    }
}

/// Redis's `scriptCall`: the checks a command called from a script passes before it runs, then
/// the command itself. A refusal is the bare text a script sees as `ERR <text>`.
pub fn call_from_script(
    server: &mut Server,
    client: ClientId,
    now_ms: u64,
    limits: RunLimits,
    args: &[Bytes],
) -> HostReply {
    let spec = match cmd::lookup(args) {
        Ok(spec) => spec,
        Err(Frame::Error(text)) if lua::is_arity_error(&text) => {
            return refused(
                server,
                args,
                "Wrong number of args calling Redis command from script",
            )
        }
        Err(_) => return refused(server, args, "Unknown Redis command called from script"),
    };
    if spec.flags.contains(Flags::NOSCRIPT) {
        return refused(
            server,
            args,
            "This Redis command is not allowed from script",
        );
    }
    if let Some(denied) = crate::model::cmd::acl::check(server, client, spec.name, args) {
        return refused(server, args, &denied.script_text());
    }
    if limits.read_only && spec.flags.contains(Flags::WRITE) {
        return refused(
            server,
            args,
            "Write commands are not allowed from read-only scripts.",
        );
    }
    // Redis's `scriptVerifyOOM`: only a script's first write is refused, and only when the
    // server was out of memory as the script started.
    if !limits.allow_oom
        && server.pre_command_oom
        && server.config.maxmemory() > 0
        && !server.script_run.wrote.get()
        && cmd::denies_oom(spec.name)
    {
        return refused(server, args, &format!("-{}", crate::model::server::ERR_OOM));
    }
    if spec.flags.contains(Flags::WRITE) {
        // Redis's SCRIPT_WRITE_DIRTY: from now on SCRIPT KILL refuses (UNKILLABLE).
        server.script_run.wrote.set(true);
    }
    match server.dispatch(
        spec,
        Call {
            client,
            args,
            now_ms,
            context: Context::Script,
        },
    ) {
        Reply::Frame(frame) => Ok(frame),
        // `Call::may_block` is false in a script, so no command should ask to block; if one
        // does, it gets the answer it would give at its deadline, as Redis never blocks here.
        Reply::Block(block) => Ok(block.timeout_reply),
    }
}

/// The server as a running script sees it: its commands go through [`call_from_script`], and
/// the hook's ticks reach [`Server::script_tick`] (where other clients may be served while the
/// script is busy).
pub struct ScriptHost<'a> {
    pub server: &'a mut Server,
    pub client: ClientId,
    pub now_ms: u64,
    pub limits: RunLimits,
}

impl lua::Host for ScriptHost<'_> {
    fn call(&mut self, args: &[Bytes]) -> HostReply {
        call_from_script(self.server, self.client, self.now_ms, self.limits, args)
    }

    fn tick(&mut self) {
        self.server.script_tick();
    }
}

/// What a script's commands may do, fixed when it starts (Redis's `SCRIPT_READ_ONLY` and
/// `SCRIPT_ALLOW_OOM` run flags).
#[derive(Clone, Copy, Debug, Default)]
pub struct RunLimits {
    pub read_only: bool,
    pub allow_oom: bool,
}

/// A command refused before it ran, as Redis's `scriptCall` counts it (an error reply, and a
/// rejected call of a known command); `text` is `-CODE message` or a bare message (`ERR`).
fn refused(server: &mut Server, args: &[Bytes], text: &str) -> HostReply {
    match text.strip_prefix('-') {
        Some(reply) => server.stats.error(reply),
        None => server.stats.error("ERR"),
    }
    if let Some(spec) = cmd::find_command(args) {
        server.stats.commands.entry(spec.name).or_default().rejected += 1;
    }
    Err(text.to_string())
}

/// Redis's `scriptPrepareForRun`: the checks before a script starts, by its shebang flags. A
/// script without a shebang (`flags.compat`) is checked command by command instead.
pub fn prepare_run(
    server: &Server,
    client: ClientId,
    flags: &lua::ScriptFlags,
    ro: bool,
    now_ms: u64,
) -> Result<RunLimits, Frame> {
    let limits = RunLimits {
        read_only: ro || flags.read_only(),
        allow_oom: !flags.compat && flags.allow_oom,
    };
    if flags.compat {
        return Ok(limits);
    }
    if !flags.no_writes {
        let from_master = server.repl.master.as_ref().and_then(|m| m.client) == Some(client);
        if server.repl.is_replica()
            && server.config.get("replica-read-only") == "yes"
            && !from_master
        {
            return Err(Frame::error(
                "READONLY Can not run script with write flag on readonly replica",
            ));
        }
        if ro {
            return Err(Frame::error(
                "ERR Can not execute a script with write flag using *_ro command.",
            ));
        }
        if !server.repl.is_replica() {
            if let Some(refusal) = server.write_refusal(now_ms) {
                return Err(Frame::error(refusal));
            }
        }
    }
    if server.pre_command_oom
        && server.config.maxmemory() > 0
        && !flags.allow_oom
        && !flags.no_writes
    {
        return Err(Frame::error(
            "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
        ));
    }
    Ok(limits)
}

/// Splits `script numkeys keys... args...` after checking numkeys as Redis does.
pub fn split_keys(args: &[Bytes]) -> Result<(&[Bytes], &[Bytes]), Frame> {
    let numkeys = int_arg(&args[2])?;
    let rest = &args[3..];
    if numkeys > rest.len() as i64 {
        return Err(Frame::error(
            "ERR Number of keys can't be greater than number of args",
        ));
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
    server
        .scripts
        .entry(sha.clone())
        .or_insert_with(|| body.clone());
    Ok(sha)
}

/// Runs a compiled script for the client of `call`; its commands see the time of the EVAL.
fn run(
    server: &mut Server,
    call: Call<'_>,
    sha: &str,
    keys: &[Bytes],
    argv: &[Bytes],
    ro: bool,
) -> Reply {
    with_engine(server, |engine, server| {
        let flags = engine.flags(sha).unwrap_or_default();
        let limits = match prepare_run(server, call.client, &flags, ro, call.now_ms) {
            Ok(limits) => limits,
            Err(refusal) => return refusal,
        };
        let run_state = server.script_run.clone();
        run_state.running.set(Some(true));
        run_state
            .acl_user
            .replace(crate::model::cmd::acl::user_of(server, call.client));
        let db = caller_db(server, call.client);
        let mut host = ScriptHost {
            server,
            client: call.client,
            now_ms: call.now_ms,
            limits,
        };
        let reply = engine.run(sha, keys, argv, &mut host);
        run_state.finish();
        restore_db(server, call.client, db);
        reply
    })
    .into()
}

/// The database the caller has SELECTed: a script's SELECT does not outlive the script.
pub fn caller_db(server: &Server, client: ClientId) -> usize {
    server.clients.get(&client).map_or(0, |c| c.db)
}

/// Gives the caller back its database after a script that may have SELECTed another.
pub fn restore_db(server: &mut Server, client: ClientId, db: usize) {
    if let Some(state) = server.clients.get_mut(&client) {
        state.db = db;
    }
}

/// Lends the server's engine (created on first use) while the server stays borrowable.
fn with_engine<R>(server: &mut Server, f: impl FnOnce(&mut Engine, &mut Server) -> R) -> R {
    let mut engine = server
        .lua
        .take()
        .unwrap_or_else(|| Engine::with_run_state(server.script_run.clone()));
    let result = f(&mut engine, server);
    server.lua = Some(engine);
    result
}

#[cfg(test)]
mod tests {
    //! Replies compared byte for byte with Redis 7.0.15's: each table was captured by sending
    //! the same requests, in the same order, to a fresh `redis-server` 7.0.15.

    use super::*;

    pub(super) type Case = (&'static [&'static str], &'static [u8]);

    /// Runs the requests in order on one fresh server and compares every reply.
    pub(super) fn check(cases: &[Case]) {
        let mut server = Server::new();
        let client = server.connect();
        for (args, expected) in cases {
            let request: Vec<Bytes> = args
                .iter()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect();
            let reply = match server.execute(client, &request, 0) {
                Reply::Frame(frame) => frame.to_bytes(),
                Reply::Block(block) => panic!("{args:?} blocked: {block:?}"),
            };
            assert_eq!(
                String::from_utf8_lossy(&reply),
                String::from_utf8_lossy(expected),
                "request {args:?}"
            );
        }
    }

    /// Lua values to replies: numbers truncated, nil cuts arrays, status and error tables,
    /// booleans, RESP3-typed tables sent as RESP2, KEYS and ARGV.
    #[test]
    fn lua_values_become_redis_replies() {
        check(&[
        (&["eval", "return 42", "0"], b":42\r\n"),
        (&["eval", "return 3.99", "0"], b":3\r\n"),
        (&["eval", "return -3.99", "0"], b":-3\r\n"),
        (&["eval", "return -0.5", "0"], b":0\r\n"),
        (&["eval", "return 9007199254740993", "0"], b":9007199254740992\r\n"),
        (&["eval", "return 1e30", "0"], b":-9223372036854775808\r\n"),
        (&["eval", "return 0/0", "0"], b":-9223372036854775808\r\n"),
        (&["eval", "return 'hello'", "0"], b"$5\r\nhello\r\n"),
        (&["eval", "return '\\0x'", "0"], b"$2\r\n\x00x\r\n"),
        (&["eval", "return true", "0"], b":1\r\n"),
        (&["eval", "return false", "0"], b"$-1\r\n"),
        (&["eval", "return nil", "0"], b"$-1\r\n"),
        (&["eval", "return", "0"], b"$-1\r\n"),
        (&["eval", "return 'a', 'b'", "0"], b"$1\r\na\r\n"),
        (&["eval", "return function() end", "0"], b"$-1\r\n"),
        (&["eval", "return {}", "0"], b"*0\r\n"),
        (&["eval", "return {1, 'a', {2, 3, {4}}, true, false, 3.99, -3.99, nil, 5}", "0"], b"*7\r\n:1\r\n$1\r\na\r\n*3\r\n:2\r\n:3\r\n*1\r\n:4\r\n:1\r\n$-1\r\n:3\r\n:-3\r\n"),
        (&["eval", "return {'a', b='x', 'c'}", "0"], b"*2\r\n$1\r\na\r\n$1\r\nc\r\n"),
        (&["eval", "return {[1]='a', [3]='c'}", "0"], b"*1\r\n$1\r\na\r\n"),
        (&["eval", "return {1, {ok='fine'}, {err='bad one'}, redis.error_reply('X y'), 7}", "0"], b"*5\r\n:1\r\n+fine\r\n-bad one\r\n-X y\r\n:7\r\n"),
        (&["eval", "return {ok='a\\r\\nb\\n'}", "0"], b"+a  b \r\n"),
        (&["eval", "return {err='a\\nb\\n'}", "0"], b"-a b\r\n"),
        (&["eval", "return {ok='a', err='b'}", "0"], b"-b\r\n"),
        (&["eval", "return {err=5}", "0"], b"*0\r\n"),
        (&["eval", "return redis.status_reply('FINE')", "0"], b"+FINE\r\n"),
        (&["eval", "return redis.status_reply(1)", "0"], b"-ERR wrong number or type of arguments\r\n"),
        (&["eval", "return redis.error_reply('MY thing')", "0"], b"-MY thing\r\n"),
        (&["eval", "return redis.error_reply('-MY thing')", "0"], b"-MY thing\r\n"),
        (&["eval", "return redis.error_reply('nospace')", "0"], b"-ERR nospace\r\n"),
        (&["eval", "return redis.error_reply('')", "0"], b"-ERR \r\n"),
        (&["eval", "return redis.error_reply()", "0"], b"-ERR wrong number or type of arguments\r\n"),
        (&["eval", "local t = redis.error_reply('x y') return {t.err, tostring(t.ignore_error_stats_update)}", "0"], b"*2\r\n$3\r\nx y\r\n$3\r\nnil\r\n"),
        (&["eval", "return {double=0.1}", "0"], b"$19\r\n0.10000000000000001\r\n"),
        (&["eval", "return {double=1e300}", "0"], b"$23\r\n1.0000000000000001e+300\r\n"),
        (&["eval", "return {double=1e-7}", "0"], b"$22\r\n9.9999999999999995e-08\r\n"),
        (&["eval", "return {double=-1/0}", "0"], b"$4\r\n-inf\r\n"),
        (&["eval", "return {big_number='123'}", "0"], b"$3\r\n123\r\n"),
        (&["eval", "return {verbatim_string={format='txt', string='hi'}}", "0"], b"$2\r\nhi\r\n"),
        (&["eval", "return {map={a=1}}", "0"], b"*2\r\n$1\r\na\r\n:1\r\n"),
        (&["eval", "return {set={a=true}}", "0"], b"*1\r\n$1\r\na\r\n"),
        (&["eval", "redis.setresp(3) return false", "0"], b":0\r\n"),
        (&["eval", "return {KEYS[1], ARGV[1], #KEYS, #ARGV}", "1", "k", "a"], b"*4\r\n$1\r\nk\r\n$1\r\na\r\n:1\r\n:1\r\n"),
        (&["eval", "return ARGV", "0", "a", "b", "c"], b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["eval", "return tonumber(ARGV[1]) + 1", "0", "41"], b":42\r\n"),
        ]);
    }

    /// Compile and runtime errors, with the `script: <sha>, on @user_script:<line>.` suffix at
    /// the line that raised; Redis's pcall; errors of the redis API's own functions.
    #[test]
    fn script_errors_name_the_line() {
        check(&[
        (&["eval", "return (", "0"], b"-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n"),
        (&["eval", "\n\nlocal a = \n  'x' ..", "0"], b"-ERR Error compiling script (new function): user_script:4: unexpected symbol near '<eof>'\r\n"),
        (&["eval", "return 'abc", "0"], b"-ERR Error compiling script (new function): user_script:1: unfinished string near '<eof>'\r\n"),
        (&["eval", "\u{1b}Lua junk", "0"], b"-ERR Error compiling script (new function): user_script:1: unexpected symbol near 'char(27)'\r\n"),
        (&["eval", "error('boom')", "0"], b"-ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.\r\n"),
        (&["eval", "local function f()\n  error('deep')\nend\n\nreturn f()", "0"], b"-ERR user_script:2: deep script: e31430698b1f2492eb50004ee56f640fa498bacc, on @user_script:2.\r\n"),
        (&["eval", "local function f()\n  local y = nil + 1\nend\n\nf()", "0"], b"-ERR user_script:2: attempt to perform arithmetic on a nil value script: 514641c665df3ef780f746133895344a25b5e707, on @user_script:2.\r\n"),
        (&["eval", "error('x', 0)", "0"], b"-ERR x script: a8325ab498c94f38b1b3e86862697a313b6dbe35, on @user_script:1.\r\n"),
        (&["eval", "error()", "0"], b"-ERR nil script: aca90d914519fdb9825352bdc0befb59f7c8510f, on @user_script:1.\r\n"),
        (&["eval", "error(12)", "0"], b"-ERR user_script:1: 12 script: 531d78cb0a3022f46aa8fcca247caa61d303b321, on @user_script:1.\r\n"),
        (&["eval", "error('a\\nb')", "0"], b"-ERR user_script:1: a b script: 119790126df3fc201f8f0498095b28c62b174151, on @user_script:1.\r\n"),
        (&["eval", "error({err='MYCODE something'})", "0"], b"-MYCODE something script: 5bbd9f70cb9a1d0cb6d812afc82b415c6ac44076, on @user_script:1.\r\n"),
        (&["eval", "error({err='oops'})", "0"], b"-oops script: 106eede53e973352abccfbeb04e2a5ef62c7314f, on @user_script:1.\r\n"),
        (&["eval", "error({err='x', source='s', line=3})", "0"], b"-x script: b3a96a5c536dc79e1ba9652beffc5036f8167997, on @user_script:1.\r\n"),
        (&["eval", "error(redis)", "0"], b"-ERR err_handler_def:10: Attempt to modify a readonly table script: 9c663bc48a6e4aa1834d259e236a9dce567c26be, on @err_handler_def:10.\r\n"),
        (&["eval", "return nosuchfn()", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'nosuchfn' script: a7fdd0a69dc75bd6f371d0af88f18f7fce637289, on @user_script:1.\r\n"),
        (&["eval", "return string.rep()", "0"], b"-ERR user_script:1: bad argument #1 to 'rep' (string expected, got no value) script: 312a592c4be4cbcb6748209b815c8eb090f3ca71, on @user_script:1.\r\n"),
        (&["eval", "table.sort({3, 2, 1}, function(a, b) error('cmp') end)", "0"], b"-ERR user_script:1: cmp script: c3a8b727c1af40247304c11034161eabd2cf14c2, on @user_script:1.\r\n"),
        (&["eval", "assert(false, 'assertion!')", "0"], b"-ERR user_script:1: assertion! script: 58d6fd74f5472f3e56298c5a38eaf369dfab1298, on @user_script:1.\r\n"),
        (&["eval", "coroutine.yield(1)", "0"], b"-ERR attempt to yield across metamethod/C-call boundary script: 72ff8263a9a7024a2bb6d14fdef2014006cc8c9f, on @user_script:1.\r\n"),
        (&["eval", "local t = setmetatable({}, {__metatable = 'locked'}) return setmetatable(t, {})", "0"], b"-ERR user_script:1: cannot change a protected metatable script: a5c896b8b788c3a102e5252d09f3591e746f4d48, on @user_script:1.\r\n"),
        (&["eval", "return next({}, 'nokey')", "0"], b"-ERR invalid key to 'next' script: f27dc2a9951ade42a5f85a8b584e0390da6ce499, on @user_script:1.\r\n"),
        (&["eval", "return rawget()", "0"], b"-ERR user_script:1: bad argument #1 to 'rawget' (table expected, got no value) script: 7bb6b9ef5848f3d587ef2afe27a073f8c7ed4a9a, on @user_script:1.\r\n"),
        (&["eval", "return {pcall(error, {err='x'})}", "0"], b"*2\r\n$-1\r\n$1\r\nx\r\n"),
        (&["eval", "return {pcall(error, 'x')}", "0"], b"*2\r\n$-1\r\n$1\r\nx\r\n"),
        (&["eval", "return {pcall(function() error('boom') end)}", "0"], b"*2\r\n$-1\r\n$19\r\nuser_script:1: boom\r\n"),
        (&["eval", "return {xpcall(function() error('z') end, function(e) return 'handled ' .. e end)}", "0"], b"*2\r\n$-1\r\n$24\r\nhandled user_script:1: z\r\n"),
        (&["eval", "return loadstring('y = 2')()", "0"], b"-ERR [string \"y = 2\"]:1: Attempt to modify a readonly table script: a9fd64b2c3627f5ef096dc5c4c69a964f05cff47, on y = 2:1.\r\n"),
        (&["eval", "return select(2, loadstring('return ('))", "0"], b"$53\r\n[string \"return (\"]:1: unexpected symbol near '<eof>'\r\n"),
        (&["eval", "return redis.sha1hex()", "0"], b"-ERR wrong number of arguments script: 3c7ce947ae74a835cc575b6ee87fb27503cb7ba4, on @user_script:1.\r\n"),
        (&["eval", "return redis.setresp(4)", "0"], b"-ERR RESP version must be 2 or 3. script: 921c0a48021d97dfd5884aeea41875972c7804d9, on @user_script:1.\r\n"),
        (&["eval", "return redis.set_repl(99)", "0"], b"-ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: fae934173b6296d6836d5d5f52e192640f8897d9, on @user_script:1.\r\n"),
        (&["eval", "return redis.log(1)", "0"], b"-ERR redis.log() requires two arguments or more. script: f5438245431406aa19fc387d93c6d03a0d5bcb0f, on @user_script:1.\r\n"),
        (&["eval", "return redis.log('x', 'y')", "0"], b"-ERR First argument must be a number (log level). script: abaa422549b33ecc9a0466b3166971ce5a4734f0, on @user_script:1.\r\n"),
        (&["eval", "return redis.log(9, 'y')", "0"], b"-ERR Invalid debug level. script: 2bcb2397ed4e2b60674929abd77fcc674f1d1669, on @user_script:1.\r\n"),
        ]);
    }

    /// Read-only globals and libraries, missing globals, and what the sandbox contains.
    #[test]
    fn globals_are_protected() {
        check(&[
        (&["eval", "x = 1", "0"], b"-ERR user_script:1: Attempt to modify a readonly table script: 34bce5f775de97f557a34088509c8bfe1ea17e52, on @user_script:1.\r\n"),
        (&["eval", "function f() end", "0"], b"-ERR user_script:1: Attempt to modify a readonly table script: f37995b1d7c626139c9a239b83b074295e82ad29, on @user_script:1.\r\n"),
        (&["eval", "return x", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: 03c387736bb5cc009ff35151572cee04677aa374, on @user_script:1.\r\n"),
        (&["eval", "return _G.nosuch", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'nosuch' script: 434fa3e610ec2fb3c76472bda5965a75eef9cde8, on @user_script:1.\r\n"),
        (&["eval", "local t = {} t.x = 1 return t.x", "0"], b":1\r\n"),
        (&["eval", "redis.call = nil", "0"], b"-ERR user_script:1: Attempt to modify a readonly table script: 2786c35ed73d3860851cf52e0b5dfbbc0bdb4803, on @user_script:1.\r\n"),
        (&["eval", "string.foo = 1", "0"], b"-ERR user_script:1: Attempt to modify a readonly table script: 46f9bf166bc7e1ab2ed3b9de7b99c4e1e7dc1f7d, on @user_script:1.\r\n"),
        (&["eval", "rawset(_G, 'x', 1)", "0"], b"-ERR Attempt to modify a readonly table script: e2c706419da183d6229a1230c3be09cc32cdeee0, on @user_script:1.\r\n"),
        (&["eval", "setmetatable(_G, nil)", "0"], b"-ERR Attempt to modify a readonly table script: 22fdd3b51da2d4bc6703d71d651cd782d8e5a35f, on @user_script:1.\r\n"),
        (&["eval", "KEYS = {}", "0"], b"-ERR user_script:1: Attempt to modify a readonly table script: 6f9c2135c385ef4406555ad3ccccb97d6af382cb, on @user_script:1.\r\n"),
        (&["eval", "KEYS[1] = 'x' return KEYS[1]", "1", "a"], b"$1\r\nx\r\n"),
        (&["eval", "return rawget(_G, 'nosuch')", "0"], b"$-1\r\n"),
        (&["eval", "return _G['redis'] == redis", "0"], b":1\r\n"),
        (&["eval", "return type(getmetatable(_G))", "0"], b"$5\r\ntable\r\n"),
        (&["eval", "return type(getmetatable(string))", "0"], b"$3\r\nnil\r\n"),
        (&["eval", "return getmetatable('').__index == string", "0"], b":1\r\n"),
        (&["eval", "return ('abc'):upper()", "0"], b"$3\r\nABC\r\n"),
        (&["eval", "return loadfile", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile' script: a08fbe72c95f67027cc9b6349f5d335b598397b7, on @user_script:1.\r\n"),
        (&["eval", "return type(dofile)", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'dofile' script: f14b399205539f5db37113032a1a25c72b8c6743, on @user_script:1.\r\n"),
        (&["eval", "return type(print)", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'print' script: 296aa29e565df267b5e30e498f3872c9f9e8e8cc, on @user_script:1.\r\n"),
        (&["eval", "return type(debug)", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'debug' script: 21bcbd6f0f3639ee18732cb6907e65a4859b9625, on @user_script:1.\r\n"),
        (&["eval", "return type(os)", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'os' script: 88bfcb2247db0b6fa4925f3cddc3fd0651459f99, on @user_script:1.\r\n"),
        (&["eval", "return type(io)", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'io' script: 918bbded8bab006be53c3db116d9c93508fc799a, on @user_script:1.\r\n"),
        (&["eval", "return type(require)", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'require' script: a10ff9bcfafac54cee41502b0e65e31ab05862c3, on @user_script:1.\r\n"),
        (&["eval", "return type(getfenv)", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'getfenv' script: d2c7282719af3bf866eec648f4592730ecb3a75f, on @user_script:1.\r\n"),
        (&["eval", "return type(newproxy)", "0"], b"-ERR user_script:1: Script attempted to access nonexistent global variable 'newproxy' script: 2db8cbf73e97a4b7d8d1a7ce472bf57302f0f369, on @user_script:1.\r\n"),
        (&["eval", "return {type(loadstring), type(coroutine), type(gcinfo), _VERSION}", "0"], b"*4\r\n$8\r\nfunction\r\n$5\r\ntable\r\n$8\r\nfunction\r\n$7\r\nLua 5.1\r\n"),
        (&["eval", "return loadstring('return zz')()", "0"], b"-ERR [string \"return zz\"]:1: Script attempted to access nonexistent global variable 'zz' script: 395b4c29eaf7e1889207ea23c43b3c3be2dbf1b8, on return zz:1.\r\n"),
        (&["eval", "local co = coroutine.create(function() return gg end) return {coroutine.resume(co)}", "0"], b"*2\r\n$-1\r\n$74\r\nuser_script:1: Script attempted to access nonexistent global variable 'gg'\r\n"),
        (&["eval", "local t = {} for k,v in pairs(redis) do t[#t+1]=k .. '=' .. tostring(type(v) == 'function' and 'f' or v) end table.sort(t) return t", "0"], b"*23\r\n$11\r\nLOG_DEBUG=0\r\n$12\r\nLOG_NOTICE=2\r\n$13\r\nLOG_VERBOSE=1\r\n$13\r\nLOG_WARNING=3\r\n$20\r\nREDIS_VERSION=7.0.15\r\n$24\r\nREDIS_VERSION_NUM=458767\r\n$10\r\nREPL_ALL=3\r\n$10\r\nREPL_AOF=1\r\n$11\r\nREPL_NONE=0\r\n$14\r\nREPL_REPLICA=2\r\n$12\r\nREPL_SLAVE=2\r\n$15\r\nacl_check_cmd=f\r\n$12\r\nbreakpoint=f\r\n$6\r\ncall=f\r\n$7\r\ndebug=f\r\n$13\r\nerror_reply=f\r\n$5\r\nlog=f\r\n$7\r\npcall=f\r\n$20\r\nreplicate_commands=f\r\n$10\r\nset_repl=f\r\n$9\r\nsetresp=f\r\n$9\r\nsha1hex=f\r\n$14\r\nstatus_reply=f\r\n"),
        (&["eval", "local t = {} for k in pairs(math) do t[#t+1]=k end table.sort(t) return t", "0"], b"*31\r\n$3\r\nabs\r\n$4\r\nacos\r\n$4\r\nasin\r\n$4\r\natan\r\n$5\r\natan2\r\n$4\r\nceil\r\n$3\r\ncos\r\n$4\r\ncosh\r\n$3\r\ndeg\r\n$3\r\nexp\r\n$5\r\nfloor\r\n$4\r\nfmod\r\n$5\r\nfrexp\r\n$4\r\nhuge\r\n$5\r\nldexp\r\n$3\r\nlog\r\n$5\r\nlog10\r\n$3\r\nmax\r\n$3\r\nmin\r\n$3\r\nmod\r\n$4\r\nmodf\r\n$2\r\npi\r\n$3\r\npow\r\n$3\r\nrad\r\n$6\r\nrandom\r\n$10\r\nrandomseed\r\n$3\r\nsin\r\n$4\r\nsinh\r\n$4\r\nsqrt\r\n$3\r\ntan\r\n$4\r\ntanh\r\n"),
        (&["eval", "local t = {} for k in pairs(string) do t[#t+1]=k end table.sort(t) return t", "0"], b"*15\r\n$4\r\nbyte\r\n$4\r\nchar\r\n$4\r\ndump\r\n$4\r\nfind\r\n$6\r\nformat\r\n$5\r\ngfind\r\n$6\r\ngmatch\r\n$4\r\ngsub\r\n$3\r\nlen\r\n$5\r\nlower\r\n$5\r\nmatch\r\n$3\r\nrep\r\n$7\r\nreverse\r\n$3\r\nsub\r\n$5\r\nupper\r\n"),
        (&["eval", "local t = {} for k in pairs(table) do t[#t+1]=k end table.sort(t) return t", "0"], b"*9\r\n$6\r\nconcat\r\n$7\r\nforeach\r\n$8\r\nforeachi\r\n$4\r\ngetn\r\n$6\r\ninsert\r\n$4\r\nmaxn\r\n$6\r\nremove\r\n$4\r\nsetn\r\n$4\r\nsort\r\n"),
        (&["eval", "return {redis.sha1hex(''), redis.sha1hex(12), redis.replicate_commands(), redis.set_repl(redis.REPL_ALL), redis.log(redis.LOG_WARNING, 'x')}", "0"], b"*3\r\n$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n$40\r\n7b52009b64fd0a2a49e6d8a939753077792b0554\r\n:1\r\n"),
        ]);
    }

    /// Redis's redisLrand48: one sequence from server start, not reset by SCRIPT FLUSH.
    #[test]
    fn math_random_is_redis_sequence() {
        check(&[
        (&["eval", "return {tostring(math.random()), tostring(math.random()), math.random(100), math.random(5, 10), tostring(math.random())}", "0"], b"*5\r\n$16\r\n0.39646477363839\r\n$16\r\n0.84048536971234\r\n:36\r\n:7\r\n$16\r\n0.31869277233197\r\n"),
        (&["eval", "return tostring(math.random())", "0"], b"$16\r\n0.88642843341754\r\n"),
        (&["script", "flush"], b"+OK\r\n"),
        (&["eval", "return tostring(math.random())", "0"], b"$17\r\n0.015582849278852\r\n"),
        (&["eval", "math.randomseed(7) return {tostring(math.random()), math.random(1000000)}", "0"], b"*2\r\n$16\r\n0.26644419658298\r\n:682036\r\n"),
        (&["eval", "return math.random(2.9)", "0"], b":1\r\n"),
        (&["eval", "return math.random('3')", "0"], b":1\r\n"),
        (&["eval", "return math.random('x')", "0"], b"-ERR user_script:1: bad argument #1 to 'random' (number expected, got string) script: d36aee4c433f6d1a257f71070b6a0b37a40bbb04, on @user_script:1.\r\n"),
        (&["eval", "return math.random(0)", "0"], b"-ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: 008bcb60f86ee36d26c67b641b46674578d9cba0, on @user_script:1.\r\n"),
        (&["eval", "return math.random(3, 1)", "0"], b"-ERR user_script:1: bad argument #2 to 'random' (interval is empty) script: e7eba8cfa2634198f693e80c6baa2d58a99a9060, on @user_script:1.\r\n"),
        (&["eval", "return math.random(1,2,3)", "0"], b"-ERR user_script:1: wrong number of arguments script: 5cd983b5db563301a1c7ab05351573640323e7a9, on @user_script:1.\r\n"),
        (&["eval", "local r = math.random; return r('a')", "0"], b"-ERR user_script:1: bad argument #1 to 'r' (number expected, got string) script: 142399c67544e9908d627dff46626c3386e407bd, on @user_script:1.\r\n"),
        (&["eval", "return math.randomseed()", "0"], b"-ERR user_script:1: bad argument #1 to 'randomseed' (number expected, got no value) script: 9eed10cf76a7a6865ba6e0fcf62b0b32831bf4da, on @user_script:1.\r\n"),
        ]);
    }

    /// EVAL's numkeys, EVALSHA and NOSCRIPT, SCRIPT LOAD/EXISTS/FLUSH, shebang lines.
    #[test]
    fn script_cache_and_shebang() {
        check(&[
        (&["eval", "return 1", "-1"], b"-ERR Number of keys can't be negative\r\n"),
        (&["eval", "return 1", "2", "a"], b"-ERR Number of keys can't be greater than number of args\r\n"),
        (&["eval", "return 1", "x"], b"-ERR value is not an integer or out of range\r\n"),
        (&["eval", "return (", "x"], b"-ERR value is not an integer or out of range\r\n"),
        (&["evalsha", "abc", "0"], b"-NOSCRIPT No matching script. Please use EVAL.\r\n"),
        (&["evalsha", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"], b"-NOSCRIPT No matching script. Please use EVAL.\r\n"),
        (&["script", "exists", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"], b"*1\r\n:0\r\n"),
        (&["eval", "return 1", "0"], b":1\r\n"),
        (&["evalsha", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"], b":1\r\n"),
        (&["evalsha", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "x"], b"-ERR value is not an integer or out of range\r\n"),
        (&["evalsha", "abc", "x"], b"-NOSCRIPT No matching script. Please use EVAL.\r\n"),
        (&["script", "exists", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "nope"], b"*3\r\n:1\r\n:1\r\n:0\r\n"),
        (&["script", "load", "return ARGV[1]"], b"$40\r\n098e0f0d1448c0a81dafe820f66d460eb09263da\r\n"),
        (&["evalsha", "098e0f0d1448c0a81dafe820f66d460eb09263da", "0", "v"], b"$1\r\nv\r\n"),
        (&["script", "load", "return ("], b"-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n"),
        (&["script", "load", "#!lua flags=bogus\nreturn 1"], b"-ERR Unexpected flag in script shebang: bogus\r\n"),
        (&["script", "flush", "bogus"], b"-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"),
        (&["script", "flush", "sync", "x"], b"-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"),
        (&["script", "flush", "async"], b"+OK\r\n"),
        (&["script", "exists", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"], b"*1\r\n:0\r\n"),
        (&["evalsha", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"], b"-NOSCRIPT No matching script. Please use EVAL.\r\n"),
        (&["script", "flush", "SYNC"], b"+OK\r\n"),
        (&["script", "flush"], b"+OK\r\n"),
        (&["script", "load"], b"-ERR wrong number of arguments for 'script|load' command\r\n"),
        (&["script", "exists"], b"-ERR wrong number of arguments for 'script|exists' command\r\n"),
        (&["script", "bogus"], b"-ERR unknown subcommand 'bogus'. Try SCRIPT HELP.\r\n"),
        (&["eval", "return"], b"-ERR wrong number of arguments for 'eval' command\r\n"),
        (&["eval", "#!lua\nreturn 1", "0"], b":1\r\n"),
        (&["eval", "#!lua\n\nerror('l3')", "0"], b"-ERR user_script:3: l3 script: 22d5fe63f836e894f51a1ee9e72b15a39d396a41, on @user_script:3.\r\n"),
        (&["eval", "#!lua flags=no-writes,allow-stale\nreturn 2", "0"], b":2\r\n"),
        (&["eval", "#!lua flags=\nreturn 1", "0"], b":1\r\n"),
        (&["eval", "#!lua flags=bogus\nreturn 1", "0"], b"-ERR Unexpected flag in script shebang: bogus\r\n"),
        (&["eval", "#!lua foo=bar\nreturn 1", "0"], b"-ERR Unknown lua shebang option: foo=bar\r\n"),
        (&["eval", "#!python\nreturn 1", "0"], b"-ERR Unexpected engine in script shebang: #!python\r\n"),
        (&["eval", "#!lua", "0"], b"-ERR Invalid script shebang\r\n"),
        ]);
    }

    /// redis.call and redis.pcall before a command runs: argument checks, unknown commands, arity,
    /// commands refused in scripts, writes from read-only scripts.
    #[test]
    fn commands_refused_from_scripts() {
        check(&[
        (&["eval", "return redis.call()", "0"], b"-ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1.\r\n"),
        (&["eval", "return redis.pcall()", "0"], b"-ERR Please specify at least one argument for this redis lib call\r\n"),
        (&["eval", "return redis.call('get', {})", "0"], b"-ERR Lua redis lib command arguments must be strings or integers script: 4368e88f98d93af9caf358186e5fbf273374ee91, on @user_script:1.\r\n"),
        (&["eval", "return redis.pcall('get', nil)", "0"], b"-ERR Lua redis lib command arguments must be strings or integers\r\n"),
        (&["eval", "return redis.call('nosuch')", "0"], b"-ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.\r\n"),
        (&["eval", "return redis.pcall('nosuch')", "0"], b"-ERR Unknown Redis command called from script\r\n"),
        (&["eval", "\n\nlocal x = 1\nreturn redis.call('nosuch', 1, 2.5)", "0"], b"-ERR Unknown Redis command called from script script: 9f2eeec5954ad33d8512cf5349a416c076ff67dd, on @user_script:4.\r\n"),
        (&["eval", "local function f()\n  return redis.call('nosuch')\nend\n\nreturn f()", "0"], b"-ERR Unknown Redis command called from script script: b2ed206280f6858cb8f673209d3ce09522925c90, on @user_script:2.\r\n"),
        (&["eval", "return redis.call('get')", "0"], b"-ERR Wrong number of args calling Redis command from script script: f187dee77f607f7cff00bbabc9df38507582c78d, on @user_script:1.\r\n"),
        (&["eval", "return redis.call('xgroup')", "0"], b"-ERR Wrong number of args calling Redis command from script script: a0568f3857904b292adb850f833fda417c9c5e2c, on @user_script:1.\r\n"),
        (&["eval", "return redis.call('xgroup', 'nope')", "0"], b"-ERR Unknown Redis command called from script script: 50638bd3307c00099fa5584d03ea27b8a221a616, on @user_script:1.\r\n"),
        (&["eval", "return redis.call('multi')", "0"], b"-ERR This Redis command is not allowed from script script: c329a1a294be6bf95b44144f7502610661ae925a, on @user_script:1.\r\n"),
        (&["eval", "return redis.call('eval', 'return 1', '0')", "0"], b"-ERR This Redis command is not allowed from script script: c013ef47ef4bbac034f89c37b0e3ed18f87cd82e, on @user_script:1.\r\n"),
        (&["eval", "return redis.pcall('script', 'flush')", "0"], b"-ERR This Redis command is not allowed from script\r\n"),
        (&["eval", "return {pcall(redis.call, 'nosuch')}", "0"], b"*2\r\n$-1\r\n$44\r\nERR Unknown Redis command called from script\r\n"),
        (&["eval", "local r = redis.pcall('nosuch') return {r.err, tostring(r.ignore_error_stats_update)}", "0"], b"*2\r\n$44\r\nERR Unknown Redis command called from script\r\n$4\r\ntrue\r\n"),
        (&["eval", "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')", "0"], b"-ERR Write commands are not allowed from read-only scripts. script: dc1cd29611dfdd3da1119939494ffa204052ccff, on @user_script:2.\r\n"),
        (&["eval", "#!lua flags=no-writes\nreturn redis.pcall('xadd', 's', '*', 'f', 'v')", "0"], b"-ERR Write commands are not allowed from read-only scripts.\r\n"),
        (&["eval", "return redis.acl_check_cmd('get', 'x')", "0"], b":1\r\n"),
        (&["eval", "return redis.acl_check_cmd('xgroup')", "0"], b":1\r\n"),
        (&["eval", "return redis.acl_check_cmd('nosuch')", "0"], b"-ERR Invalid command passed to redis.acl_check_cmd() script: d2491587bab5149c93be0dce4426f7a06ba9e1a1, on @user_script:1.\r\n"),
        (&["eval", "local co = coroutine.wrap(function() return redis.call('nosuch') end) return co()", "0"], b"-ERR Unknown Redis command called from script script: fcf3a2dcfb7b40d2c5ae629b768eb78068868b1d, on @user_script:1.\r\n"),
        ]);
    }

    /// Redis's reply to a self-referencing table: arrays as deep as Lua's stack, then an error.
    #[test]
    fn self_referencing_table_stops_at_lua_stack_limit() {
        // The reply is 7995 arrays deep: encode and drop it on a thread with room for that.
        let bytes = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(|| {
                let mut server = Server::new();
                let client = server.connect();
                let request =
                    [&b"eval"[..], b"local t = {} t[1] = t return t", b"0"].map(Bytes::from_static);
                match server.execute(client, &request, 0) {
                    Reply::Frame(frame) => frame.to_bytes(),
                    Reply::Block(_) => unreachable!(),
                }
            })
            .expect("spawn")
            .join()
            .expect("no panic");
        let mut expected = b"*1\r\n".repeat(7995);
        expected.extend_from_slice(b"-ERR reached lua stack limit\r\n");
        assert!(
            bytes == expected,
            "reply of {} bytes differs from Redis's",
            bytes.len()
        );
    }
}

/// Scripts that call the string, hash, set, list and stream commands; the expected bytes are
/// Redis 7.0.15's.
#[cfg(test)]
mod calls {
    use super::tests::check;
    use super::*;

    #[test]
    fn scripts_call_commands() {
        check(&[
        (&["eval", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"], b"+OK\r\n"),
        (&["eval", "return redis.call('get', KEYS[1])", "1", "k"], b"$1\r\nv\r\n"),
        (&["eval", "return redis.call('get', 'missing')", "0"], b"$-1\r\n"),
        (&["eval", "return redis.call('get', 'missing') == false", "0"], b":1\r\n"),
        (&["eval", "return redis.call('set', 'k', 'w', 'nx')", "0"], b"$-1\r\n"),
        (&["eval", "return {redis.call('set', 'k2', 'v'), redis.call('get', 'k2'), redis.call('ping')}", "0"], b"*3\r\n+OK\r\n$1\r\nv\r\n+PONG\r\n"),
        (&["eval", "return redis.call('incrby', 'n', 5)", "0"], b":5\r\n"),
        (&["eval", "return redis.call('incrby', 'n', 1.5)", "0"], b"-ERR value is not an integer or out of range script: db9496c2f4f6dc67fed6f01abaf8292a65436fae, on @user_script:1.\r\n"),
        (&["eval", "redis.call('set', 'f', 3.0) redis.call('set', 'g', 0.1) return {redis.call('get', 'f'), redis.call('get', 'g')}", "0"], b"*2\r\n$1\r\n3\r\n$19\r\n0.10000000000000001\r\n"),
        (&["eval", "return redis.call('hset', 'h', 'a', '1', 'b', '2')", "0"], b":2\r\n"),
        (&["eval", "return redis.call('hgetall', 'h')", "0"], b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["eval", "return redis.call('hset', 'k', 'a', 'b')", "0"], b"-WRONGTYPE Operation against a key holding the wrong kind of value script: d8dc4e6bf046c0909f324304b1a61a9d6ca0195b, on @user_script:1.\r\n"),
        (&["eval", "return redis.pcall('hset', 'k', 'a', 'b')", "0"], b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["eval", "local r = redis.pcall('hset', 'k', 'a', 'b') return {r.err, tostring(r.ignore_error_stats_update)}", "0"], b"*2\r\n$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n$4\r\ntrue\r\n"),
        (&["eval", "return {pcall(redis.call, 'incrby', 'k', 1)}", "0"], b"*2\r\n$-1\r\n$43\r\nERR value is not an integer or out of range\r\n"),
        (&["eval", "redis.call('set', 'a', '1') redis.call('incrby', 'a', 'x')", "0"], b"-ERR value is not an integer or out of range script: 773f294eba1f35a724b7aee0b7da360267c34376, on @user_script:1.\r\n"),
        (&["get", "a"], b"$1\r\n1\r\n"),
        (&["eval", "return redis.call('xadd', 's', '1-1', 'f', 'v')", "0"], b"$3\r\n1-1\r\n"),
        (&["eval", "return redis.call('xrange', 's', '-', '+')", "0"], b"*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
        (&["eval", "redis.call('xgroup', 'create', 'gs', 'grp', '$', 'mkstream') return redis.call('xreadgroup', 'group', 'grp', 'c', 'block', '0', 'streams', 'gs', '>')", "0"], b"-ERR xreadgroup command is not allowed with BLOCK option from scripts script: d3c4b98ef233f5d17ceb1d01639b62aab304cc1f, on @user_script:1.\r\n"),
        (&["eval", "if redis.call('sadd', KEYS[1], ARGV[1]) == 1 then redis.call('rpush', KEYS[2], ARGV[1]) end return redis.call('lrange', KEYS[2], 0, -1)", "2", "seen", "log", "e1"], b"*1\r\n$2\r\ne1\r\n"),
        (&["eval", "if redis.call('sadd', KEYS[1], ARGV[1]) == 1 then redis.call('rpush', KEYS[2], ARGV[1]) end return redis.call('lrange', KEYS[2], 0, -1)", "2", "seen", "log", "e1"], b"*1\r\n$2\r\ne1\r\n"),
        (&["eval", "return redis.call('del', 'k', 'h', 'nokey')", "0"], b":2\r\n"),
        (&["eval", "redis.setresp(3) return redis.call('get', 'missing') == nil", "0"], b":1\r\n"),
        ]);
    }

    /// A reply that expands without end (a table reachable twice from itself) is an error
    /// reply, not a panic of the connection's task.
    #[test]
    fn a_self_doubling_reply_is_an_error() {
        use crate::model::cmd::testing::run;
        use crate::model::frame::Frame;
        let mut server = crate::model::server::Server::new();
        let client = server.connect();
        let reply = run(
            &mut server,
            client,
            0,
            "EVAL local\tt={}\tt[1]={t,t}\treturn\tt 0",
        );
        let Frame::Error(text) = reply else {
            panic!("expected an error, got {reply:?}")
        };
        assert!(text.starts_with("ERR reply too large"), "{text}");
        assert_eq!(
            run(&mut server, client, 0, "PING"),
            Frame::Simple("PONG".into())
        );
    }

    /// Redis 7.0 makes the strings' shared metatable read-only like its library tables: a
    /// script can read it (`__index` is the string library) but not change it.
    #[test]
    fn the_string_metatable_is_read_only() {
        check(&[
        (&["eval", "getmetatable('').__index = function() return 1 end", "0"], b"-ERR user_script:1: Attempt to modify a readonly table script: 1cc7236222751b574bcf07366f52394412f14643, on @user_script:1.\r\n"),
        (&["eval", "local m = getmetatable('') m.x = 1", "0"], b"-ERR user_script:1: Attempt to modify a readonly table script: 7fea5b466c18e5224c5e82f77ba537f9e3f93f17, on @user_script:1.\r\n"),
        (&["eval", "local m = getmetatable('') rawset(m, 'a', 1)", "0"], b"-ERR Attempt to modify a readonly table script: 7f1c97268b35d3c6b65d6e4448b92d3e449e3364, on @user_script:1.\r\n"),
        (&["eval", "return {pcall(setmetatable, getmetatable(''), {})}", "0"], b"*2\r\n$-1\r\n$34\r\nAttempt to modify a readonly table\r\n"),
        (&["eval", "return rawequal(getmetatable('').__index, string)", "0"], b":1\r\n"),
        (&["eval", "return rawequal(getmetatable(''), getmetatable('x'))", "0"], b":1\r\n"),
        (&["eval", "return ('abc'):upper()", "0"], b"$3\r\nABC\r\n"),
        (&["eval", "getmetatable(nil).__index = 1", "0"], b"-ERR user_script:1: attempt to index a nil value script: 0cff4b5977b0a3c24d19b680491a527ea6ec5de3, on @user_script:1.\r\n"),
        ]);
    }

    /// A shebang script is a write command unless it says `no-writes`, and grows memory unless
    /// it says `allow-oom` (Redis's `evalGetCommandFlags`); a script without one is checked at
    /// its first write instead. Over `maxmemory` (1 byte: always) a command that may grow
    /// memory is refused, and inside MULTI anything but its end.
    #[test]
    fn script_flags_decide_noreplicas_and_oom() {
        check(&[
        (&["config", "set", "min-replicas-to-write", "1"], b"+OK\r\n"),
        (&["eval", "#!lua\nreturn 1", "0"], b"-NOREPLICAS Not enough good replicas to write.\r\n"),
        (&["eval", "#!lua flags=no-writes\nreturn 2", "0"], b":2\r\n"),
        (&["eval", "return redis.call('set','x','1')", "1", "x"], b"-NOREPLICAS Not enough good replicas to write. script: 8b2ae6dd76cda7fc3e27f97431ae27d7b08a221d, on @user_script:1.\r\n"),
        (&["eval", "return 3", "0"], b":3\r\n"),
        (&["config", "set", "min-replicas-to-write", "0"], b"+OK\r\n"),
        (&["config", "set", "maxmemory", "1"], b"+OK\r\n"),
        (&["eval", "#!lua\nreturn 1", "0"], b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"),
        (&["eval", "#!lua flags=allow-oom\nreturn redis.call('set','x','y')", "1", "x"], b"+OK\r\n"),
        (&["eval", "#!lua flags=no-writes\nreturn 1", "0"], b":1\r\n"),
        (&["eval", "return redis.call('set','x','y')", "1", "x"], b"-OOM command not allowed when used memory > 'maxmemory'. script: 71e6319f97b0fe8bdfa1c5df3ce4489946dda479, on @user_script:1.\r\n"),
        (&["eval", "return redis.pcall('set','x','y')", "1", "x"], b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"),
        (&["eval", "redis.call('del','x') return redis.call('set','x','z')", "1", "x"], b"+OK\r\n"),
        (&["set", "a", "b"], b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"),
        (&["get", "a"], b"$-1\r\n"),
        (&["del", "a"], b":0\r\n"),
        (&["multi"], b"+OK\r\n"),
        (&["get", "a"], b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"),
        (&["exec"], b"-EXECABORT Transaction discarded because of previous errors.\r\n"),
        (&["multi"], b"+OK\r\n"),
        (&["discard"], b"+OK\r\n"),
        (&["config", "set", "maxmemory", "0"], b"+OK\r\n"),
        (&["set", "a", "b"], b"+OK\r\n"),
        ]);
    }

    /// An error a command raised inside a script is counted once, by the command (a rejected
    /// call when refused before it ran); the script counts as failed without a second error.
    #[test]
    fn a_script_error_is_counted_once() {
        let mut server = Server::new();
        let client = server.connect();
        let run = |server: &mut Server, parts: &[&str]| {
            let args: Vec<Bytes> = parts
                .iter()
                .map(|p| Bytes::copy_from_slice(p.as_bytes()))
                .collect();
            server.execute(client, &args, 0)
        };
        run(&mut server, &["config", "set", "maxmemory", "1"]);
        server.stats = Default::default();
        for body in [
            "return redis.call('set','x','y')",
            "return redis.pcall('set','x','y')",
        ] {
            run(&mut server, &["eval", body, "1", "x"]);
        }
        run(
            &mut server,
            &[
                "eval",
                "local t = redis.pcall('set','x','y') return 1",
                "1",
                "x",
            ],
        );
        assert_eq!(server.stats.errors.get("OOM"), Some(&3));
        assert_eq!(server.stats.error_replies, 3);
        let set = server.stats.commands["set"];
        assert_eq!((set.calls, set.rejected, set.failed), (0, 3, 0));
        let eval = server.stats.commands["eval"];
        assert_eq!((eval.calls, eval.rejected, eval.failed), (3, 0, 2));
    }
}
