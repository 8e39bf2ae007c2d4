//! The Lua 5.1 scripting engine behind EVAL: Redis 7.0's script sandbox on a stock Lua.
//!
//! What it is for: running a script so that every reply is byte-identical to Redis 7.0.15's — the
//! same globals and `redis` API, read-only globals and library tables, Redis's own deterministic
//! `math.random`, the same conversions between Lua values and RESP replies, and the same error
//! texts with their `script: <sha>, on @user_script:<line>.` suffix.
//!
//! How: Redis patches its Lua with read-only tables; stock Lua 5.1.5 (mlua, vendored) has none, so
//! scripts see read-only *faces* — empty proxy tables whose metatables forward reads and refuse
//! writes — and the few base functions that could see through a face (`rawset`, `next`,
//! `setmetatable`, ...) are wrapped. The wrappers and the `redis` API live in one Lua chunk,
//! [`SANDBOX`], whose frames the error handler skips, so an error names the script's line exactly
//! as Redis's C functions make it do. Only what must touch Rust (commands, SHA1, the random
//! generator, error tables) calls back into this file.
//!
//! What it must never do: read a clock or an OS source of randomness, touch files, load bytecode,
//! or let one script leave anything another script can see (other than through `redis.call`). It
//! knows nothing of the server: commands reach the keyspace only through the `host` callback of
//! [`Engine::run`], which applies Redis's rules for commands called from scripts.
//!
//! Redis's own `cjson`, `cmsgpack`, `bit` and `struct` (C, `csrc/redis-lua`) are opened in every
//! state. A hook every 100,000 instructions calls the host's [`Host::tick`], where the server lets
//! the network adapter enforce `busy-reply-threshold` (and serve other clients meanwhile), and
//! SCRIPT KILL takes effect.
//!
//! Known limits: `redis.setresp(3)` changes nulls, booleans and maps only (the model's commands
//! answer other RESP3 types as RESP2); a script that prints table addresses (`tostring({})`) or
//! iterates tables keyed by tables is not deterministic, in the model as in Redis.

use crate::model::cmd;
use crate::model::frame::Frame;
use bytes::Bytes;
use mlua::state::RawLua;
use mlua::{
    ffi, FromLuaMulti, Function, IntoLua, Lua, LuaOptions, LuaString, MultiValue, StdLib, Table,
    Value, Variadic,
};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::os::raw::c_int;
use std::ptr::NonNull;
use std::rc::Rc;

/// Redis's `LUAI_MAXCSTACK`: converting a reply deeper than the Lua stack allows ends in an error.
const LUA_STACK_SLOTS_MAX: usize = 8000;
/// Stack slots in use when Redis starts converting a script's result (error handler, result).
const LUA_STACK_SLOTS_AT_RESULT: usize = 2;
/// Most values one script reply may hold. A table reachable twice from itself (`t[1] = {t, t}`)
/// expands exponentially; Redis then runs out of memory, the model answers an error reply
/// (bounded so the conversion stays within a few hundred megabytes).
const REPLY_VALUES_MAX: usize = 1 << 21;
/// The chunk name of [`SANDBOX`]; the error handler skips frames of this source.
const SANDBOX_NAME: &str = "=(redis sandbox)";

/// What a script called from `redis.call` gets back from the host: the command's reply, or the
/// text of a refusal before the command ran (`Unknown Redis command called from script`, ...).
pub type HostReply = Result<Frame, String>;

/// Lua instructions between two calls of the run's `tick` (Redis's hook runs every 100,000).
const HOOK_INSTRUCTIONS: u32 = 100_000;
/// Redis's error for a script stopped by SCRIPT KILL / FUNCTION KILL.
pub const KILLED: &str = "Script killed by user with SCRIPT KILL...";

/// The script running now, as a time limit sees it (Redis's `scriptRunCtx` flags): shared by a
/// server's interpreters and the network adapter, which is the only one that reads a clock.
///
/// The engine's hook calls the run's [`Host::tick`] every [`HOOK_INSTRUCTIONS`] instructions;
/// the server runs there what Redis's `scriptInterrupt` does (past `busy-reply-threshold`, let
/// other clients in, as the network adapter decides). A kill is honoured at the next tick, and
/// `pcall` cannot swallow it.
#[derive(Default)]
pub struct RunState {
    /// While a script runs: whether it is an EVAL (else a function).
    pub running: Cell<Option<bool>>,
    /// The running script has called a write command (it can no longer be killed).
    pub wrote: Cell<bool>,
    pub killed: Cell<bool>,
    /// Past `busy-reply-threshold`: other clients are answered BUSY.
    pub busy: Cell<bool>,
    /// The script's reply is an error that the command which raised it already counted (Redis's
    /// `ignore_error_stats_update`): the server counts the script as failed but not the error
    /// again. Taken by the server right after the script.
    pub error_counted: Cell<bool>,
    /// The caller's ACL user while a script runs, for `redis.acl_check_cmd`; `None`: a user who
    /// may run everything.
    pub acl_user: std::cell::RefCell<Option<crate::model::cmd::acl::User>>,
}

impl RunState {
    /// Clears the state when a run ends.
    pub fn finish(&self) {
        self.running.set(None);
        self.wrote.set(false);
        self.killed.set(false);
        self.busy.set(false);
        self.acl_user.replace(None);
    }
}

/// The Lua error of a killed script.
#[derive(Debug)]
struct Killed;

impl std::fmt::Display for Killed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(KILLED)
    }
}

impl std::error::Error for Killed {}

/// Flags from a script's `#!lua flags=...` shebang (Redis's `SCRIPT_FLAG_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    /// No shebang: Redis's backwards-compatible EVAL mode.
    pub compat: bool,
    pub no_writes: bool,
    pub allow_oom: bool,
    pub allow_stale: bool,
    pub no_cluster: bool,
    pub allow_cross_slot_keys: bool,
}

impl ScriptFlags {
    /// Whether write commands are refused (`Write commands are not allowed from read-only
    /// scripts.`): only a shebang script that declares `no-writes`.
    pub fn read_only(&self) -> bool {
        !self.compat && self.no_writes
    }
}

/// A function a library registered at FUNCTION LOAD (`redis.register_function`).
#[derive(Clone)]
pub struct Registered {
    pub name: String,
    pub description: Option<String>,
    pub flags: ScriptFlags,
    function: Function,
}

/// A compiled script, as Redis keeps `f_<sha>` in its Lua registry.
struct Script {
    function: Function,
    flags: ScriptFlags,
}

/// The interpreter of one server: a Lua state with Redis's sandbox and the compiled scripts.
///
/// Everything is built once per server (state, sandbox, the Rust functions scripts call) and
/// reused by every run; a run only lends the engine its `host` (see [`HostSlot`]).
pub struct Engine {
    lua: Lua,
    sandbox: Sandbox,
    scripts: BTreeMap<String, Script>,
    /// `redisLrand48`'s state. Redis keeps it in a C global: it is never reseeded per script and
    /// survives SCRIPT FLUSH, so it lives outside the Lua state.
    rand: Rc<Cell<u64>>,
    host: Rc<HostSlot>,
    run_state: Rc<RunState>,
}

/// Handles into the sandbox chunk.
struct Sandbox {
    /// `compile(body) -> function | nil, message`
    compile: Function,
    /// `run(function, KEYS, ARGV) -> true, result, resp | false, 'table', err, source, line,
    /// counted | false, 'raw', message`
    run: Function,
    /// `load_library(code) -> {name, callback, flags, desc}... | nil, message`
    load_library: Function,
    /// `as_call(f, KEYS, ARGV) -> function` calling `f(KEYS, ARGV)` (FCALL's calling convention)
    as_call: Function,
}

/// The command callback of the run in progress, which `native.command` (built once per Lua
/// state) calls. Empty outside a run: a script that kept `redis.call` can only use it while it
/// runs.
#[derive(Default)]
struct HostSlot(Cell<Option<NonNull<DynHost<'static>>>>);

/// What a script run is lent: the server side of `redis.call`, and of the hook's ticks.
pub trait Host {
    /// Runs a command the script called (`redis.call`, `redis.pcall`).
    fn call(&mut self, args: &[Bytes]) -> HostReply;
    /// Called from the hook every [`HOOK_INSTRUCTIONS`] instructions, between two Lua
    /// instructions (never inside `redis.call`): where a long script lets the server serve other
    /// clients (Redis's `scriptInterrupt` and `processEventsWhileBlocked`).
    fn tick(&mut self) {}
}

/// A host that only answers commands (tests, a run nobody may interrupt).
impl<F: FnMut(&[Bytes]) -> HostReply> Host for F {
    fn call(&mut self, args: &[Bytes]) -> HostReply {
        self(args)
    }
}

type DynHost<'a> = dyn Host + 'a;

/// Empties the slot when the run ends, however it ends.
struct Lent<'a>(&'a HostSlot);

impl HostSlot {
    /// Lends `host` to the slot until the returned guard drops.
    fn lend<'s>(&'s self, host: &mut DynHost<'_>) -> Lent<'s> {
        assert!(self.0.get().is_none(), "a script run inside a script run");
        let host = NonNull::from(host);
        // SAFETY: only the lifetime is erased. The pointer is dereferenced only by `with`, while
        // the guard lives; the guard cannot outlive the `&mut` borrow it was made from, and it
        // empties the slot when dropped (also on unwinding).
        let host =
            unsafe { std::mem::transmute::<NonNull<DynHost<'_>>, NonNull<DynHost<'static>>>(host) };
        self.0.set(Some(host));
        Lent(self)
    }

    /// Runs `f` with the lent host; `None` outside a run. The slot is empty while `f` runs, so
    /// the host is never borrowed twice.
    fn with<R>(&self, f: impl FnOnce(&mut DynHost<'_>) -> R) -> Option<R> {
        let mut host = self.0.take()?;
        // SAFETY: the host was lent by `lend`, whose guard is alive (it empties the slot), and
        // taking it out of the slot makes this the only reference until it is put back.
        let result = f(unsafe { host.as_mut() });
        self.0.set(Some(host));
        Some(result)
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        self.0 .0.set(None);
    }
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

impl Engine {
    pub fn new() -> Engine {
        Engine::with_run_state(Rc::default())
    }

    /// An engine whose runs are watched through `run_state` (shared with the server).
    pub fn with_run_state(run_state: Rc<RunState>) -> Engine {
        let rand = Rc::new(Cell::new(RAND48_SEED));
        let host = Rc::new(HostSlot::default());
        let (lua, sandbox) = open(&rand, &host, &run_state);
        Engine {
            lua,
            sandbox,
            scripts: BTreeMap::new(),
            rand,
            host,
            run_state,
        }
    }

    /// SCRIPT FLUSH: a fresh interpreter without scripts, as Redis's `scriptingReset`. The random
    /// generator goes on where it was.
    pub fn reset(&mut self) {
        let (lua, sandbox) = open(&self.rand, &self.host, &self.run_state);
        self.scripts.clear();
        self.sandbox = sandbox;
        self.lua = lua;
    }

    pub fn contains(&self, sha: &str) -> bool {
        self.scripts.contains_key(sha)
    }

    /// The shebang flags of a compiled script.
    pub fn flags(&self, sha: &str) -> Option<ScriptFlags> {
        self.scripts.get(sha).map(|script| script.flags)
    }

    /// Compiles a script body unless it is already known (Redis's `luaCreateFunction`) and returns
    /// its SHA1, or the error reply: a bad shebang or a compile error.
    pub fn load(&mut self, body: &[u8]) -> Result<String, Frame> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) =
            parse_shebang(body).map_err(|text| Frame::error(format!("ERR {text}")))?;
        // The shebang line is cut but its newline kept, so line numbers stay the user's.
        let code = &body[shebang_len..];
        let compiled = self.compile(code).map_err(|e| internal_error(&sha, &e))?;
        let function = compiled.map_err(|message| {
            reply_error_format(&format!("Error compiling script (new function): {message}"))
        })?;
        self.scripts.insert(sha.clone(), Script { function, flags });
        Ok(sha)
    }

    fn compile(&self, code: &[u8]) -> mlua::Result<Result<Function, String>> {
        let (function, message): (Option<Function>, Option<LuaString>) =
            self.sandbox.compile.call(self.lua.create_string(code)?)?;
        Ok(function.ok_or_else(|| message.map(|m| m.to_string_lossy()).unwrap_or_default()))
    }

    /// Runs a compiled script with its KEYS and ARGV and returns the reply for the client.
    /// `host` executes each command the script calls (`redis.call`, `redis.pcall`).
    pub fn run(&mut self, sha: &str, keys: &[Bytes], argv: &[Bytes], host: &mut dyn Host) -> Frame {
        let function = match self.scripts.get(sha) {
            Some(script) => script.function.clone(),
            None => panic!("script {sha} run before it was loaded"),
        };
        self.run_function(sha, function, keys, argv, host)
            .unwrap_or_else(|e| internal_error(sha, &e))
    }

    /// FUNCTION LOAD's engine part: runs a library's code (after its shebang line, whose newline
    /// it keeps) and returns the functions it registered, or the error text (without `ERR`).
    /// Nothing is installed: the caller checks names against other libraries, then calls
    /// [`Engine::install`].
    pub fn load_library(&mut self, code: &[u8]) -> Result<Vec<Registered>, String> {
        let outcome: mlua::Result<(Option<Table>, Option<LuaString>)> = self
            .lua
            .create_string(code)
            .and_then(|code| self.sandbox.load_library.call(code));
        let (list, message) = outcome.map_err(|e| format!("Error registering functions: {e}"))?;
        let Some(list) = list else {
            return Err(message.map(|m| c_string(&m)).unwrap_or_default());
        };
        let mut registered = Vec::new();
        for entry in list.sequence_values::<Table>() {
            let entry = entry.map_err(|e| e.to_string())?;
            let name: String = entry.get("name").map_err(|e| e.to_string())?;
            let flag_list: String = entry.get("flags").map_err(|e| e.to_string())?;
            let mut flags = ScriptFlags::default();
            for flag in flag_list.split(',').filter(|f| !f.is_empty()) {
                set_flag(&mut flags, flag);
            }
            registered.push(Registered {
                name,
                description: entry.get("desc").map_err(|e| e.to_string())?,
                flags,
                function: entry.get("callback").map_err(|e| e.to_string())?,
            });
        }
        Ok(registered)
    }

    /// Makes a registered function callable by [`Engine::run_fcall`] under its name.
    pub fn install(&mut self, registered: &Registered) {
        self.scripts.insert(
            registered.name.clone(),
            Script {
                function: registered.function.clone(),
                flags: registered.flags,
            },
        );
    }

    /// Forgets a function (FUNCTION DELETE, a library replaced).
    pub fn uninstall(&mut self, name: &str) {
        self.scripts.remove(name);
    }

    /// FCALL: runs an installed function with KEYS and ARGV as its two arguments. Errors name
    /// the function where EVAL's name the script's SHA1.
    pub fn run_fcall(
        &mut self,
        name: &str,
        keys: &[Bytes],
        argv: &[Bytes],
        host: &mut dyn Host,
    ) -> Frame {
        let Some(script) = self.scripts.get(name) else {
            return Frame::error("ERR Function not found");
        };
        let function = script.function.clone();
        let call: mlua::Result<Function> =
            self.sandbox
                .as_call
                .call((function, StringArray(keys), StringArray(argv)));
        match call {
            Ok(call) => self
                .run_function(name, call, keys, argv, host)
                .unwrap_or_else(|e| internal_error(name, &e)),
            Err(e) => internal_error(name, &e),
        }
    }

    fn run_function(
        &self,
        sha: &str,
        function: Function,
        keys: &[Bytes],
        argv: &[Bytes],
        host: &mut dyn Host,
    ) -> mlua::Result<Frame> {
        let _lent = self.host.lend(host);
        let outcome: MultiValue =
            self.sandbox
                .run
                .call((function, StringArray(keys), StringArray(argv)))?;
        let (frame, counted) = script_reply(sha, outcome.into_vec())?;
        self.run_state.error_counted.set(counted);
        Ok(frame)
    }
}

/// Creates a Lua state with the sandbox: base, table, string and math, and `debug` only for the
/// sandbox's own use (the chunk keeps what it needs and scripts never see the library).
fn open(rand: &Rc<Cell<u64>>, host: &Rc<HostSlot>, run_state: &Rc<RunState>) -> (Lua, Sandbox) {
    let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
    // SAFETY: `debug` is unsafe only in scripts' hands; SANDBOX captures `debug.getinfo` and
    // `debug.getmetatable` in locals and builds the scripts' globals without it.
    let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::new()) };
    open_redis_libraries(&lua).expect("Redis's Lua libraries open");
    let sandbox = build_sandbox(&lua, rand, host, run_state).expect("the Lua sandbox initialises");
    let state = Rc::clone(run_state);
    let slot = Rc::clone(host);
    lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS),
        move |_, _| {
            // Outside a run (a library's code at FUNCTION LOAD) there is no host to tick.
            let _ = slot.with(|host| host.tick());
            if state.killed.get() {
                return Err(mlua::Error::external(Killed));
            }
            Ok(mlua::VmState::Continue)
        },
    )
    .expect("the Lua hook installs");
    (lua, sandbox)
}

// Redis's Lua libraries, compiled by build.rs from `csrc/redis-lua`.
extern "C-unwind" {
    fn luaopen_cjson(state: *mut ffi::lua_State) -> c_int;
    fn luaopen_cmsgpack(state: *mut ffi::lua_State) -> c_int;
    fn luaopen_bit(state: *mut ffi::lua_State) -> c_int;
    fn luaopen_struct(state: *mut ffi::lua_State) -> c_int;
}

/// Opens `cjson`, `cmsgpack`, `bit` and `struct` as globals of the state, where [`SANDBOX`]
/// finds them and gives scripts read-only faces of them, as Redis's `luaLoadLibraries`.
fn open_redis_libraries(lua: &Lua) -> mlua::Result<()> {
    let libraries: [(&str, ffi::lua_CFunction); 4] = [
        ("cjson", luaopen_cjson),
        ("cmsgpack", luaopen_cmsgpack),
        ("bit", luaopen_bit),
        ("struct", luaopen_struct),
    ];
    for (name, open) in libraries {
        // SAFETY: each `luaopen_*` is a Lua C function of the Lua 5.1 API this state runs,
        // compiled against the same headers; it pushes its module table and returns 1.
        let open = unsafe { lua.create_c_function(open)? };
        let module: Table = open.call(name)?;
        lua.globals().set(name, module)?;
    }
    Ok(())
}

fn build_sandbox(
    lua: &Lua,
    rand: &Rc<Cell<u64>>,
    host: &Rc<HostSlot>,
    run_state: &Rc<RunState>,
) -> mlua::Result<Sandbox> {
    let native = native_functions(lua, rand, host, run_state)?;
    let api: Table =
        lua.load(SANDBOX)
            .set_name(SANDBOX_NAME)
            .call((native, SANDBOX_NAME, ERROR_HANDLER))?;
    Ok(Sandbox {
        compile: api.get("compile")?,
        run: api.get("run")?,
        load_library: api.get("load_library")?,
        as_call: api.get("as_call")?,
    })
}

/// The Rust side of the sandbox: what Lua cannot do by itself.
fn native_functions(
    lua: &Lua,
    rand: &Rc<Cell<u64>>,
    host: &Rc<HostSlot>,
    run_state: &Rc<RunState>,
) -> mlua::Result<Table> {
    let native = lua.create_table()?;
    let state = Rc::clone(run_state);
    native.set(
        "killed",
        lua.create_function(move |_, ()| Ok(state.killed.get()))?,
    )?;
    let slot = Rc::clone(host);
    native.set(
        "command",
        lua.create_function(move |lua, args: CommandArgs| {
            slot.with(|host| command_bridge(lua, host, args))
                .unwrap_or_else(|| Err(mlua::Error::runtime("redis.call outside a script run")))
        })?,
    )?;
    native.set(
        "sha1hex",
        lua.create_function(|_, s: LuaString| Ok(sha1_hex(&s.as_bytes())))?,
    )?;
    let state = Rc::clone(rand);
    native.set(
        "lrand48",
        lua.create_function(move |_, ()| Ok(lrand48(&state)))?,
    )?;
    let state = Rc::clone(rand);
    native.set(
        "srand48",
        lua.create_function(move |_, seed: i64| {
            srand48(&state, seed as i32);
            Ok(())
        })?,
    )?;
    native.set(
        "error_table",
        lua.create_function(|lua, (buf, ignore): (LuaString, bool)| {
            error_table(lua, &buf.to_string_lossy(), ignore)
        })?,
    )?;
    let state = Rc::clone(run_state);
    native.set(
        "acl_check",
        lua.create_function(move |lua, args: Variadic<Value>| acl_check(lua, &state, &args))?,
    )?;
    // SAFETY: `c_wrap` and `c_trampoline` follow the Lua C API's rules and own no Rust values, so
    // a Lua error unwinding through them (longjmp) skips no destructor.
    native.set("cwrap", unsafe { lua.create_c_function(c_wrap)? })?;
    native.set("KILLED", KILLED)?;
    Ok(native)
}

/// `native.cwrap(f)`: a C closure around the Lua function `f` (see [`SANDBOX`] for why).
unsafe extern "C-unwind" fn c_wrap(state: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(state, 1, ffi::LUA_TFUNCTION);
    ffi::lua_settop(state, 1);
    ffi::lua_pushcclosure(state, c_trampoline, 1);
    1
}

/// Calls the Lua function in upvalue 1 with this call's arguments and returns all its results;
/// its errors pass through unchanged.
unsafe extern "C-unwind" fn c_trampoline(state: *mut ffi::lua_State) -> c_int {
    let nargs = ffi::lua_gettop(state);
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_insert(state, 1);
    ffi::lua_call(state, nargs, ffi::LUA_MULTRET);
    ffi::lua_gettop(state)
}

// ---------------------------------------------------------------------------------------------
// Commands called from scripts
// ---------------------------------------------------------------------------------------------

/// `redis.call`/`redis.pcall`: checks the arguments, runs the command through `host` and converts
/// its reply. Returns the Lua value and whether `redis.call` must raise it.
fn command_bridge(
    lua: &Lua,
    host: &mut DynHost<'_>,
    CommandArgs { raise, resp3, argv }: CommandArgs,
) -> mlua::Result<(Value, bool)> {
    let argv = match argv {
        Ok(argv) => argv,
        Err(text) => return Ok((Value::Table(error_table(lua, text, false)?), raise)),
    };
    match host.call(&argv) {
        Err(refusal) => Ok((Value::Table(error_table(lua, &refusal, true)?), raise)),
        Ok(Frame::Error(text)) => Ok((
            Value::Table(error_table(lua, &format!("-{text}"), true)?),
            raise,
        )),
        Ok(reply) => Ok((frame_to_lua(lua, &reply, resp3)?, false)),
    }
}

/// `luaArgsToRedisArgv`: strings as they are, numbers as `%.17g`, anything else refused.
fn script_argv(args: &[Value]) -> Result<Vec<Bytes>, &'static str> {
    if args.is_empty() {
        return Err(NO_ARGUMENTS);
    }
    args.iter()
        .map(|arg| match arg {
            Value::String(s) => Ok(Bytes::copy_from_slice(&s.as_bytes())),
            Value::Integer(n) => Ok(Bytes::from(format_g17(*n as f64))),
            Value::Number(n) => Ok(Bytes::from(format_g17(*n))),
            _ => Err(BAD_ARGUMENT),
        })
        .collect()
}

/// What the sandbox passes to `native.command`: `raise, resp, command, args...`.
struct CommandArgs {
    /// `redis.call` (raise the error reply) rather than `redis.pcall`.
    raise: bool,
    resp3: bool,
    /// The command's argv, or the text of the refusal of a bad argument.
    argv: Result<Vec<Bytes>, &'static str>,
}

impl FromLuaMulti for CommandArgs {
    fn from_lua_multi(values: MultiValue, _: &Lua) -> mlua::Result<CommandArgs> {
        let values = values.into_vec();
        let arg = |i: usize| values.get(i).unwrap_or(&Value::Nil);
        Ok(CommandArgs {
            raise: !matches!(arg(0), Value::Nil | Value::Boolean(false)),
            resp3: number(arg(1)) == Some(3.0),
            argv: script_argv(values.get(2..).unwrap_or_default()),
        })
    }

    /// Every `redis.call` comes here: the arguments are read off the Lua stack as
    /// `luaArgsToRedisArgv` reads them, without a Rust handle per value.
    unsafe fn from_stack_args(
        nargs: c_int,
        _: usize,
        _: Option<&str>,
        lua: &RawLua,
    ) -> mlua::Result<CommandArgs> {
        let state = lua.state();
        let at = |i: c_int| i - nargs; // the arguments are the top `nargs` slots
        let raise = nargs > 0 && ffi::lua_toboolean(state, at(0)) != 0;
        let resp3 = nargs > 1 && ffi::lua_tonumber(state, at(1)) == 3.0;
        let argv = if nargs <= 2 {
            Err(NO_ARGUMENTS)
        } else {
            (2..nargs).map(|i| stack_arg(state, at(i))).collect()
        };
        // The arguments are copied: pop them, so that the reply (and mlua's own `check_stack`s
        // while it is built) has room. Redis's C function may take 8,000 arguments
        // (`LUAI_MAXCSTACK`), and a stack that full refuses every further `lua_checkstack`.
        ffi::lua_settop(state, -nargs - 1);
        Ok(CommandArgs { raise, resp3, argv })
    }
}

const NO_ARGUMENTS: &str = "Please specify at least one argument for this redis lib call";
const BAD_ARGUMENT: &str = "Lua redis lib command arguments must be strings or integers";

/// One argument of `redis.call` at stack index `index`: a string as it is, a number as `%.17g`.
///
/// # Safety
/// `index` must be a valid index of `state`'s stack.
unsafe fn stack_arg(state: *mut ffi::lua_State, index: c_int) -> Result<Bytes, &'static str> {
    match ffi::lua_type(state, index) {
        ffi::LUA_TSTRING => {
            let mut len = 0usize;
            // A string is read in place: no conversion, so no Lua error.
            let data = ffi::lua_tolstring(state, index, &mut len);
            Ok(Bytes::copy_from_slice(std::slice::from_raw_parts(
                data.cast::<u8>(),
                len,
            )))
        }
        ffi::LUA_TNUMBER => Ok(Bytes::from(format_g17(ffi::lua_tonumber(state, index)))),
        _ => Err(BAD_ARGUMENT),
    }
}

/// KEYS or ARGV: a fresh Lua array of strings for each run, as Redis makes them.
struct StringArray<'a>(&'a [Bytes]);

impl IntoLua for StringArray<'_> {
    fn into_lua(self, lua: &Lua) -> mlua::Result<Value> {
        string_array(lua, self.0).map(Value::Table)
    }

    /// Builds the table on the stack, without a Rust handle per string.
    unsafe fn push_into_stack(self, lua: &RawLua) -> mlua::Result<()> {
        let state = lua.state();
        if ffi::lua_checkstack(state, 2) == 0 {
            return Err(mlua::Error::StackError);
        }
        ffi::lua_createtable(state, self.0.len().try_into().unwrap_or(c_int::MAX), 0);
        for (i, item) in self.0.iter().enumerate() {
            ffi::lua_pushlstring(state, item.as_ptr().cast(), item.len());
            ffi::lua_rawseti(state, -2, (i + 1) as ffi::lua_Integer);
        }
        Ok(())
    }
}

/// `redis.acl_check_cmd`: whether the caller's user may run this command on these keys; an
/// error for a command Redis does not know.
fn acl_check(lua: &Lua, run: &RunState, args: &[Value]) -> mlua::Result<(Value, bool)> {
    let argv = match script_argv(args) {
        Ok(argv) => argv,
        Err(text) => return Ok((Value::Table(error_table(lua, text, false)?), true)),
    };
    if is_known_command(&argv) {
        let allowed = match (run.acl_user.borrow().as_ref(), cmd::find_command(&argv)) {
            (Some(user), Some(spec)) => user.check(spec.name, &argv).is_ok(),
            _ => true,
        };
        Ok((Value::Boolean(allowed), false))
    } else {
        let error = error_table(
            lua,
            "Invalid command passed to redis.acl_check_cmd()",
            false,
        )?;
        Ok((Value::Table(error), true))
    }
}

/// Redis's `lookupCommand` succeeds whatever the argument count, so an arity error still names a
/// known command.
fn is_known_command(argv: &[Bytes]) -> bool {
    match cmd::lookup(argv) {
        Ok(_) => true,
        Err(Frame::Error(text)) => is_arity_error(&text),
        Err(_) => false,
    }
}

/// Whether a lookup error is the arity one (the command exists). Relies on the command table's
/// text, which is Redis's and fixed.
pub fn is_arity_error(text: &str) -> bool {
    text.starts_with("ERR wrong number of arguments")
}

/// `luaPushErrorBuff`: the `{err = "CODE message"}` table scripts see for an error. `buf` is
/// either `-CODE message` (a reply) or a bare message that gets the `ERR` code.
fn error_table(lua: &Lua, buf: &str, ignore_stats: bool) -> mlua::Result<Table> {
    let (code, msg) = match buf.strip_prefix('-') {
        Some(reply) => match reply.split_once(' ') {
            Some((code, msg)) => (code, msg),
            None => ("ERR", reply),
        },
        None => ("ERR", buf),
    };
    let msg = msg.trim_matches(['\r', '\n']);
    let table = lua.create_table()?;
    table.raw_set("err", format!("{code} {msg}"))?;
    if ignore_stats {
        // Redis marks errors that a command already counted in its stats; scripts can see it.
        table.raw_set("ignore_error_stats_update", true)?;
    }
    Ok(table)
}

/// A command's RESP2 reply as the script sees it (`redisProtocolToLuaType`).
fn frame_to_lua(lua: &Lua, frame: &Frame, resp3: bool) -> mlua::Result<Value> {
    Ok(match frame {
        Frame::Simple(status) => {
            let table = lua.create_table()?;
            table.raw_set("ok", status.as_str())?;
            Value::Table(table)
        }
        Frame::Error(text) => Value::Table(error_table(lua, &format!("-{text}"), true)?),
        Frame::Integer(n) => Value::Number(*n as f64),
        Frame::Bulk(data) => Value::String(lua.create_string(data)?),
        // RESP3's null is Lua's nil; RESP2's null bulk and null array are false.
        Frame::Null | Frame::NullArray if resp3 => Value::Nil,
        Frame::Null | Frame::NullArray => Value::Boolean(false),
        Frame::Map(items) if resp3 => {
            let map = lua.create_table()?;
            for pair in items.chunks_exact(2) {
                map.raw_set(
                    frame_to_lua(lua, &pair[0], resp3)?,
                    frame_to_lua(lua, &pair[1], resp3)?,
                )?;
            }
            let table = lua.create_table()?;
            table.raw_set("map", map)?;
            Value::Table(table)
        }
        Frame::Array(items) | Frame::Map(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                table.raw_set(i + 1, frame_to_lua(lua, item, resp3)?)?;
            }
            Value::Table(table)
        }
    })
}

fn string_array(lua: &Lua, items: &[Bytes]) -> mlua::Result<Table> {
    let strings = items
        .iter()
        .map(|item| lua.create_string(item))
        .collect::<mlua::Result<Vec<_>>>()?;
    lua.create_sequence_from(strings)
}

// ---------------------------------------------------------------------------------------------
// The script's outcome as a reply
// ---------------------------------------------------------------------------------------------

/// Turns what the sandbox's `run` returned into the client's reply (`luaCallFunction`).
fn script_reply(sha: &str, outcome: Vec<Value>) -> mlua::Result<(Frame, bool)> {
    let mut values = outcome.into_iter();
    let ok = matches!(values.next(), Some(Value::Boolean(true)));
    let rest: Vec<Value> = values.collect();
    if ok {
        let resp3 = matches!(rest.get(1), Some(Value::Integer(3)));
        let result = rest.into_iter().next().unwrap_or(Value::Nil);
        // A returned error table (`return redis.pcall(...)`) keeps its mark too.
        let counted = match &result {
            Value::Table(t) => {
                matches!(t.raw_get::<Value>("err")?, Value::String(_))
                    && matches!(
                        t.raw_get::<Value>("ignore_error_stats_update")?,
                        Value::Boolean(true)
                    )
            }
            _ => false,
        };
        return Ok((lua_to_frame(result, resp3)?, counted));
    }
    let text = |i: usize| match rest.get(i) {
        Some(Value::String(s)) => Some(c_string(s)),
        _ => None,
    };
    if text(0).as_deref() == Some("table") {
        let counted = matches!(rest.get(4), Some(Value::Boolean(true)));
        return Ok((failure(sha, text(1), text(2).zip(text(3))), counted));
    }
    let message = text(1).unwrap_or_else(|| "execution failure".to_string());
    Ok((
        reply_error_format(&format!(
            "Error running script {sha}, {}\n",
            truncate_chars(&message, 100)
        )),
        false,
    ))
}

/// The reply for a script that raised an error table: its `err` text, and where it happened.
fn failure(sha: &str, msg: Option<String>, place: Option<(String, String)>) -> Frame {
    // A table without `err` makes Redis 7.0.15 dereference NULL and crash; the model answers.
    let mut text = msg.unwrap_or_else(|| "ERR unknown error".to_string());
    if let Some((source, line)) = place {
        text.push_str(&format!(" script: {sha}, on {source}:{line}."));
    }
    // The reference server's reply has spaces where the message had line breaks.
    Frame::Error(text.replace(['\r', '\n'], " "))
}

/// `addReplyErrorFormat`: trims line breaks at the ends, turns inner ones into spaces, and adds
/// the `ERR` code unless the text starts with `-CODE`.
fn reply_error_format(text: &str) -> Frame {
    let text = text.trim_matches(['\r', '\n']).replace(['\r', '\n'], " ");
    match text.strip_prefix('-') {
        Some(coded) => Frame::Error(coded.to_string()),
        None => Frame::Error(format!("ERR {text}")),
    }
}

/// An error of the engine itself (out of memory, a bug): never a Redis reply, but one line.
fn internal_error(sha: &str, error: &mlua::Error) -> Frame {
    reply_error_format(&format!("Error running script {sha}, {error}"))
}

fn truncate_chars(text: &str, max_bytes: usize) -> &str {
    let mut end = text.len().min(max_bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// One step of the conversion of a Lua value into a reply.
enum Step {
    /// Convert this value; the number is how many Lua stack slots Redis would be using.
    Convert(Value, usize),
    /// Gather the last `n` converted replies into an array.
    Collect(usize),
    /// Gather the last `n` converted replies (keys and values in turn) into a map.
    CollectMap(usize),
}

/// `luaReplyToRedisReply`, without recursion so a self-referencing table cannot overflow the
/// Rust stack: it ends, as in Redis, in `reached lua stack limit` at Lua's stack depth.
fn lua_to_frame(value: Value, resp3: bool) -> mlua::Result<Frame> {
    let mut work = vec![Step::Convert(value, LUA_STACK_SLOTS_AT_RESULT)];
    let mut done: Vec<Frame> = Vec::new();
    let mut converted = 0usize;
    while let Some(step) = work.pop() {
        converted += 1;
        if converted > REPLY_VALUES_MAX {
            return Ok(Frame::error(format!(
                "ERR reply too large: a script's reply may hold at most {REPLY_VALUES_MAX} values"
            )));
        }
        match step {
            Step::Collect(n) => {
                let items = done.split_off(done.len() - n);
                done.push(Frame::Array(items));
            }
            Step::CollectMap(n) => {
                let items = done.split_off(done.len() - n);
                done.push(Frame::Map(items));
            }
            Step::Convert(_, slots) if slots + 4 > LUA_STACK_SLOTS_MAX => {
                done.push(Frame::error("ERR reached lua stack limit"));
            }
            Step::Convert(Value::Table(table), slots) => {
                if let Some(frame) = table_reply(&table, slots, &mut work)? {
                    done.push(frame);
                }
            }
            Step::Convert(value, _) => done.push(scalar_reply(&value, resp3)),
        }
    }
    Ok(done.pop().expect("a converted reply"))
}

fn scalar_reply(value: &Value, resp3: bool) -> Frame {
    match value {
        Value::String(s) => Frame::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(true) => Frame::Integer(1),
        // A script that switched to RESP3 answers a RESP2 client's false with 0.
        Value::Boolean(false) if resp3 => Frame::Integer(0),
        Value::Integer(n) => Frame::Integer(*n),
        Value::Number(n) => Frame::Integer(c_double_to_i64(*n)),
        _ => Frame::Null,
    }
}

/// A table reply: an error, a status, one of RESP3's typed tables (sent as RESP2), or an array.
/// Returns the frame, or `None` after queueing the table's elements on `work`.
fn table_reply(table: &Table, slots: usize, work: &mut Vec<Step>) -> mlua::Result<Option<Frame>> {
    if let Value::String(err) = table.raw_get::<Value>("err")? {
        return Ok(Some(reply_error_format(&format!("-{}", c_string(&err)))));
    }
    if let Value::String(ok) = table.raw_get::<Value>("ok")? {
        return Ok(Some(Frame::Simple(
            c_string(&ok).replace(['\r', '\n'], " "),
        )));
    }
    if let Some(double) = number(&table.raw_get::<Value>("double")?) {
        return Ok(Some(Frame::bulk(format_double_resp2(double))));
    }
    if let Value::String(big) = table.raw_get::<Value>("big_number")? {
        let text: Vec<u8> = big
            .as_bytes()
            .iter()
            .map(|b| if matches!(b, b'\r' | b'\n') { b' ' } else { *b })
            .collect();
        return Ok(Some(Frame::bulk(text)));
    }
    if let Value::Table(verbatim) = table.raw_get::<Value>("verbatim_string")? {
        let format = verbatim.raw_get::<Value>("format")?;
        let string = verbatim.raw_get::<Value>("string")?;
        if let (Value::String(_), Value::String(s)) = (format, string) {
            return Ok(Some(Frame::Bulk(Bytes::copy_from_slice(&s.as_bytes()))));
        }
    }
    if let Value::Table(map) = table.raw_get::<Value>("map")? {
        queue_pairs(&map, slots, work, true)?;
        return Ok(None);
    }
    if let Value::Table(set) = table.raw_get::<Value>("set")? {
        queue_pairs(&set, slots, work, false)?;
        return Ok(None);
    }
    queue_array(table, slots, work)?;
    Ok(None)
}

/// An array reply: elements 1, 2, ... up to the first nil.
fn queue_array(table: &Table, slots: usize, work: &mut Vec<Step>) -> mlua::Result<()> {
    let mut items = Vec::new();
    loop {
        match table.raw_get::<Value>(items.len() + 1)? {
            Value::Nil => break,
            item => items.push(item),
        }
    }
    work.push(Step::Collect(items.len()));
    // The element sits one slot above its table.
    work.extend(
        items
            .into_iter()
            .rev()
            .map(|item| Step::Convert(item, slots + 1)),
    );
    Ok(())
}

/// A map (keys and values, flattened for RESP2) or a set (keys), in `lua_next` order.
fn queue_pairs(
    table: &Table,
    slots: usize,
    work: &mut Vec<Step>,
    with_values: bool,
) -> mlua::Result<()> {
    let mut pairs = Vec::new();
    table.for_each(|key: Value, value: Value| {
        pairs.push((key, value));
        Ok(())
    })?;
    if with_values {
        work.push(Step::CollectMap(pairs.len() * 2));
    } else {
        work.push(Step::Collect(pairs.len()));
    }
    // Redis's stack: the inner table, then key and value, then a copy of the key being converted.
    for (key, value) in pairs.into_iter().rev() {
        if with_values {
            work.push(Step::Convert(value, slots + 3));
            work.push(Step::Convert(key, slots + 4));
        } else {
            work.push(Step::Convert(key, slots + 3));
        }
    }
    Ok(())
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// A Lua string as C's `lua_tostring` sees it: up to the first NUL byte.
fn c_string(s: &LuaString) -> String {
    let bytes = s.as_bytes();
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// C's `(long long)` cast of a double on x86-64: truncation toward zero, and the "integer
/// indefinite" value `i64::MIN` for NaN and anything out of range (Rust's `as` would saturate).
pub fn c_double_to_i64(n: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if n.is_nan() || !(-LIMIT..LIMIT).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

/// RESP2's `addReplyDouble`: `inf`/`-inf`, else `%.17g`.
fn format_double_resp2(n: f64) -> String {
    if n.is_infinite() {
        return if n > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    format_g17(n)
}

/// C's `printf("%.17g", n)` (glibc), which Redis uses for numbers passed to `redis.call` and for
/// doubles: 17 significant digits, trailing zeros dropped, exponent form below 1e-4 or from 1e17.
pub fn format_g17(n: f64) -> String {
    const PRECISION: i32 = 17;
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rounding to 17 significant digits first gives the exponent %g decides with.
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, n);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("Rust's {:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("a decimal exponent");
    if !(-4..PRECISION).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{sign}{:02}",
            strip_fraction_zeros(mantissa),
            exponent.abs()
        )
    } else {
        let decimals = (PRECISION - 1 - exponent) as usize;
        strip_fraction_zeros(&format!("{n:.decimals$}")).to_string()
    }
}

fn strip_fraction_zeros(number: &str) -> &str {
    if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    }
}

// ---------------------------------------------------------------------------------------------
// Shebang, SHA1, random numbers
// ---------------------------------------------------------------------------------------------

/// `evalExtractShebangFlags`: the flags of a `#!lua flags=a,b` first line and its length, or the
/// error text. No shebang is Redis's compatibility mode.
pub fn parse_shebang(body: &[u8]) -> Result<(ScriptFlags, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((
            ScriptFlags {
                compat: true,
                ..ScriptFlags::default()
            },
            0,
        ));
    }
    let Some(len) = body.iter().position(|b| *b == b'\n') else {
        return Err("Invalid script shebang".to_string());
    };
    let line = String::from_utf8_lossy(&body[..len]);
    let mut parts = line.split_ascii_whitespace();
    let engine = parts.next().ok_or("Invalid engine in script shebang")?;
    if engine != "#!lua" {
        return Err(format!("Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = ScriptFlags::default();
    for part in parts {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(format!("Unknown lua shebang option: {part}"));
        };
        for name in list.split(',').filter(|_| !list.is_empty()) {
            set_flag(&mut flags, name)
                .ok_or_else(|| format!("Unexpected flag in script shebang: {name}"))?;
        }
    }
    Ok((flags, len))
}

fn set_flag(flags: &mut ScriptFlags, name: &str) -> Option<()> {
    let flag = match name {
        "no-writes" => &mut flags.no_writes,
        "allow-oom" => &mut flags.allow_oom,
        "allow-stale" => &mut flags.allow_stale,
        "no-cluster" => &mut flags.no_cluster,
        "allow-cross-slot-keys" => &mut flags.allow_cross_slot_keys,
        _ => return None,
    };
    *flag = true;
    Some(())
}

/// Lowercase hex SHA1, the name of a script (and `redis.sha1hex`).
pub fn sha1_hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}

/// `redisLrand48`'s initial state (`X2 X1 X0` = 0x1234 0xABCD 0x330E), the same as libc's.
const RAND48_SEED: u64 = 0x1234_ABCD_330E;
const RAND48_MULTIPLIER: u64 = 0x5_DEEC_E66D;
const RAND48_INCREMENT: u64 = 0xB;
const RAND48_MASK: u64 = (1 << 48) - 1;

/// Redis's `redisLrand48`: the 48-bit linear congruential generator of `lrand48`, returning the
/// top 31 bits.
fn lrand48(state: &Cell<u64>) -> i64 {
    let next = (RAND48_MULTIPLIER
        .wrapping_mul(state.get())
        .wrapping_add(RAND48_INCREMENT))
        & RAND48_MASK;
    state.set(next);
    (next >> 17) as i64
}

/// Redis's `redisSrand48`: the seed's 32 bits above the fixed low word 0x330E.
fn srand48(state: &Cell<u64>, seed: i32) {
    state.set(((seed as u32 as u64) << 16) | 0x330E);
}

/// The sandbox, loaded once per Lua state with the native functions and its own chunk name.
/// It returns `compile` and `run`.
///
/// Every function a script can call is wrapped by `native.cwrap` into a C closure, because Redis's
/// are C functions: a script's `return redis.call(...)` then keeps the script's frame (Lua 5.1
/// replaces the caller's frame only in a tail call to a Lua function), and errors are positioned
/// at the script's line, as the error handler and `argerror` below expect.
const SANDBOX: &str = r#"
local native, SELF, handler_source = ...

-- Everything the sandbox needs, captured before the scripts' globals are built without it.
local type, tostring, tonumber, select, error, next, ipairs, unpack =
      type, tostring, tonumber, select, error, next, ipairs, unpack
local rawget, rawset, setmetatable, getmetatable = rawget, rawset, setmetatable, getmetatable
local pcall, xpcall, setfenv, loadstring, load = pcall, xpcall, setfenv, loadstring, load
local floor, sbyte = math.floor, string.byte
local getinfo, rawmetatable = debug.getinfo, debug.getmetatable
local cwrap, command = native.cwrap, native.command
local base = _G

-- The level, counted from the caller of api_level, of the C closure through which the script
-- entered the sandbox: the first frame that is not the sandbox's own.
local function api_level()
  local level = 3
  while true do
    local info = getinfo(level, 'S')
    if info == nil or info.source ~= SELF then return level - 1 end
    level = level + 1
  end
end
-- luaL_error raised by a C function: positioned at the line that called it.
local function c_error(msg)
  local k = api_level()
  error(msg, k + 1)
end
-- luaL_argerror: named as the script called the function.
local function argerror(narg, msg)
  local k = api_level()
  local ar = getinfo(k, 'n')
  if ar and ar.namewhat == 'method' then
    narg = narg - 1
    if narg == 0 then
      error("calling '" .. tostring(ar.name) .. "' on bad self (" .. msg .. ')', k + 1)
    end
  end
  error('bad argument #' .. narg .. " to '" .. tostring(ar and ar.name or '?') .. "' (" .. msg .. ')', k + 1)
end
local function typename(n, ...)
  if select('#', ...) < n then return 'no value' end
  return type((select(n, ...)))
end
local function check_type(want, n, ...)
  local got = typename(n, ...)
  if got ~= want then argerror(n, want .. ' expected, got ' .. got) end
end
local function check_any(n, ...)
  if select('#', ...) < n then argerror(n, 'value expected') end
end
-- luaL_checkint: a number or numeric string, truncated to a C int.
local function checkint(n, ...)
  local d = nil
  if select('#', ...) >= n then d = tonumber((select(n, ...))) end
  if d == nil then argerror(n, 'number expected, got ' .. typename(n, ...)) end
  d = d < 0 and -floor(-d) or floor(d)
  d = d % 4294967296
  if d >= 2147483648 then d = d - 4294967296 end
  return d
end
-- (int)lua_tonumber(...): anything not a number is 0.
local function c_int(v)
  local d = tonumber(v) or 0
  return d < 0 and -floor(-d) or floor(d)
end
local function pack(...) return {n = select('#', ...), ...} end

-- Read-only faces: empty tables whose metatable forwards reads to the real table and refuses
-- writes, standing in for Redis's read-only tables.
local real_of = {}
local faces = {}
local function refuse_write() error('Attempt to modify a readonly table', 2) end
local function face(real)
  local f = setmetatable({}, {__index = real, __newindex = refuse_write})
  real_of[f] = real
  faces[#faces + 1] = f
  return f
end

-- The scripts' globals: G behind the face `env`; reading a missing name is an error, as in Redis.
local G = {}
local G_meta = {}
function G_meta.__index(_, name)
  local t = type(name)
  if t ~= 'string' and t ~= 'number' then
    error('Second argument to luaProtectedTableError must be a string or number', 2)
  end
  error("Script attempted to access nonexistent global variable '" .. name .. "'", 2)
end
setmetatable(G, G_meta)
local env = face(G)
local G_meta_face = face(G_meta)

-- Base functions that could see through a face.
local sandbox_next = cwrap(function(...)
  check_type('table', 1, ...)
  local t, k = ...
  return next(real_of[t] or t, k)
end)
G.next = sandbox_next
G.pairs = cwrap(function(...)
  check_type('table', 1, ...)
  return sandbox_next, (...), nil
end)
G.rawget = cwrap(function(...)
  check_type('table', 1, ...)
  check_any(2, ...)
  local t, k = ...
  return rawget(real_of[t] or t, k)
end)
G.rawset = cwrap(function(...)
  check_type('table', 1, ...)
  check_any(2, ...)
  check_any(3, ...)
  local t, k, v = ...
  if real_of[t] then error('Attempt to modify a readonly table', 0) end
  return rawset(t, k, v)
end)
-- Strings share one metatable, read-only in Redis 7.0 like every table it ships: scripts get a
-- face of it (set up with the string library below).
local string_meta_face
G.getmetatable = cwrap(function(...)
  check_any(1, ...)
  local v = ...
  if v == env then return G_meta_face end
  if type(v) == 'string' then return string_meta_face end
  if real_of[v] then return nil end
  return getmetatable(v)
end)
G.setmetatable = cwrap(function(...)
  local t, mt = ...
  local mtype = typename(2, ...)
  check_type('table', 1, ...)
  if mtype ~= 'nil' and mtype ~= 'table' then argerror(2, 'nil or table expected') end
  local old = rawmetatable(t)
  if old and rawget(old, '__metatable') ~= nil then c_error('cannot change a protected metatable') end
  if real_of[t] then error('Attempt to modify a readonly table', 0) end
  return setmetatable(t, mt)
end)
-- Redis's pcall: an error table with an `err` field becomes its message.
local function pcall_result(ok, ...)
  if ok then return pack(true, ...) end
  local e = ...
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then e = m end
  end
  return pack(false, e)
end
-- A killed script stays killed: pcall re-raises once the kill is in.
local function killed_error() error({err = 'ERR ' .. native.KILLED}) end
G.pcall = cwrap(function(...)
  if select('#', ...) == 0 then return false, 'attempt to call a boolean value' end
  local r = pcall_result(pcall(...))
  if not r[1] and native.killed() then killed_error() end
  return unpack(r, 1, r.n)
end)

-- Redis's Lua only parses text: a leading ESC is a syntax error, never bytecode.
local function text_only(code)
  if sbyte(code, 1) == 27 then code = ' ' .. code end
  return code
end
G.loadstring = cwrap(function(...)
  local s, name = ...
  local ts = typename(1, ...)
  if ts ~= 'string' and ts ~= 'number' then argerror(1, 'string expected, got ' .. ts) end
  s = tostring(s)
  if name == nil then
    name = s
  elseif type(name) ~= 'string' and type(name) ~= 'number' then
    argerror(2, 'string expected, got ' .. type(name))
  end
  local f, err = loadstring(text_only(s), tostring(name))
  if f then setfenv(f, env) end
  return f, err
end)
G.load = cwrap(function(...)
  local reader, name = ...
  if name == nil then
    name = '=(load)'
  elseif type(name) ~= 'string' and type(name) ~= 'number' then
    argerror(2, 'string expected, got ' .. type(name))
  end
  check_type('function', 1, ...)
  local first = true
  local function text_reader()
    local piece = reader()
    if first and type(piece) == 'string' and piece ~= '' then
      first = false
      piece = text_only(piece)
    end
    return piece
  end
  local f, err = load(text_reader, tostring(name))
  if f then setfenv(f, env) end
  return f, err
end)
-- Redis's patched unpack: stock Lua 5.1 computes the count in int arithmetic that overflows
-- (undefined behaviour in C; a crash with a huge range), Redis refuses such ranges.
local base_unpack = unpack
G.unpack = cwrap(function(...)
  check_type('table', 1, ...)
  local t = ...
  local i, e = 1, nil
  if select('#', ...) >= 2 and (select(2, ...)) ~= nil then i = checkint(2, ...) end
  if select('#', ...) >= 3 and (select(3, ...)) ~= nil then e = checkint(3, ...) else e = #t end
  if i > e then return end
  -- lua_checkstack(L, n) of unpack's own frame, which holds its arguments.
  local n = e - i + 1
  if n >= 2147483647 or n + select('#', ...) > 8000 then c_error('too many results to unpack') end
  return base_unpack(...)
end)
for _, name in ipairs {'assert', 'collectgarbage', 'error', 'gcinfo', 'ipairs', 'rawequal', 'select',
                       'tonumber', 'tostring', 'type', 'xpcall', '_VERSION'} do
  G[name] = base[name]
end

-- Redis's math.random: redisLrand48, never reseeded behind the script's back.
math.random = cwrap(function(...)
  local r = (native.lrand48() % 2147483647) / 2147483647
  local n = select('#', ...)
  if n == 0 then return r end
  if n == 1 then
    local u = checkint(1, ...)
    if not (1 <= u) then argerror(1, 'interval is empty') end
    return floor(r * u) + 1
  end
  if n == 2 then
    local l = checkint(1, ...)
    local u = checkint(2, ...)
    if not (l <= u) then argerror(2, 'interval is empty') end
    return floor(r * (u - l + 1)) + l
  end
  c_error('wrong number of arguments')
end)
math.randomseed = cwrap(function(...)
  native.srand48(checkint(1, ...))
end)

-- The redis API.
local resp = 2
local function push_error(msg) return {err = 'ERR ' .. msg} end
local function raise(msg) error(push_error(msg)) end
local redis = {}
redis.call = cwrap(function(...)
  local r, fail = command(true, resp, ...)
  if fail then error(r) end
  return r
end)
redis.pcall = cwrap(function(...)
  local r = command(false, resp, ...)
  return r
end)
redis.sha1hex = cwrap(function(...)
  if select('#', ...) ~= 1 then raise('wrong number of arguments') end
  local s = ...
  if type(s) == 'number' then s = tostring(s) elseif type(s) ~= 'string' then s = '' end
  return native.sha1hex(s)
end)
redis.error_reply = cwrap(function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return push_error('wrong number or type of arguments') end
  if sbyte(s, 1) ~= 45 then s = '-' .. s end
  return native.error_table(s, false)
end)
redis.status_reply = cwrap(function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return push_error('wrong number or type of arguments') end
  return {ok = s}
end)
redis.setresp = cwrap(function(...)
  if select('#', ...) ~= 1 then raise('redis.setresp() requires one argument.') end
  local n = c_int((...))
  if n ~= 2 and n ~= 3 then raise('RESP version must be 2 or 3.') end
  resp = n
end)
redis.set_repl = cwrap(function(...)
  if select('#', ...) ~= 1 then raise('redis.set_repl() requires two arguments.') end
  local flags = c_int((...))
  if flags < 0 or flags > 3 then
    raise('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.')
  end
end)
redis.log = cwrap(function(...)
  if select('#', ...) < 2 then raise('redis.log() requires two arguments or more.') end
  local level = tonumber((...))
  if level == nil then raise('First argument must be a number (log level).') end
  level = c_int(level)
  if level < 0 or level > 3 then raise('Invalid debug level.') end
end)
redis.acl_check_cmd = cwrap(function(...)
  local r, fail = native.acl_check(...)
  if fail then error(r) end
  return r
end)
redis.replicate_commands = cwrap(function() return true end)
redis.breakpoint = cwrap(function() return false end)
redis.debug = cwrap(function() end)
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = '7.0.15', 458767

-- The error handler, compiled as Redis's is (see ERROR_HANDLER).
local handler = loadstring(handler_source, '@err_handler_def')(getinfo, SELF, type, tostring)

G.string = face(string)
getmetatable('').__index = G.string
string_meta_face = face(getmetatable(''))
G.math = face(math)
G.table = face(table)
G.coroutine = face(coroutine)
G.cjson = face(cjson)
G.cmsgpack = face(cmsgpack)
G.bit = face(bit)
G.struct = face(struct)
G.redis = face(redis)
G._G = env
G.__redis__err__handler = handler
-- Code loaded by scripts and their coroutines get the scripts' globals.
setfenv(0, env)

local function as_string(v)
  if type(v) == 'string' then return v elseif type(v) == 'number' then return tostring(v) end
  return nil
end
local function compile(body)
  local f, err = loadstring(text_only(body), '@user_script')
  if f == nil then return nil, err end
  setfenv(f, env)
  return f
end
-- Runs a script: true, result, resp; or false, 'table', err, source, line, counted
-- (luaExtractErrorInformation);
-- or false, 'raw', message for an error that is not a table.
local function run(f, keys, argv)
  rawset(G, 'KEYS', keys)
  rawset(G, 'ARGV', argv)
  resp = 2
  local ok, result = xpcall(f, handler)
  -- Raw writes that slipped into a face (table.insert on a library) must not outlive the run.
  for _, fc in ipairs(faces) do
    for k in next, fc do rawset(fc, k, nil) end
  end
  if ok then return true, result, resp end
  if type(result) ~= 'table' then return false, 'raw', as_string(result) end
  return false, 'table', as_string(result.err), as_string(result.source), as_string(result.line),
         result.ignore_error_stats_update == true
end

-- Functions (FUNCTION LOAD, FCALL): a library's code runs once at load time seeing only the
-- library API (`redis.register_function`, `redis.log`, versions), as Redis's functions engine
-- switches the `__index` of its globals' metatable; the functions it registers later run with
-- the scripts' globals. `fenv` is that switchable environment; writes to it are refused.
local lower, find, concat = string.lower, string.find, table.concat
local LIB = setmetatable({}, G_meta)
local fmeta = {__newindex = refuse_write, __index = G}
local fenv = setmetatable({}, fmeta)
real_of[fenv] = G
faces[#faces + 1] = fenv
local pending = nil
local function lib_error(msg) error({err = 'ERR ' .. msg}) end
local function is_text(v) return type(v) == 'string' or type(v) == 'number' end
local known_flags = {['no-writes'] = true, ['allow-oom'] = true, ['allow-stale'] = true,
                     ['no-cluster'] = true, ['allow-cross-slot-keys'] = true}
local lib_redis = {}
lib_redis.register_function = cwrap(function(...)
  if pending == nil then
    lib_error('redis.register_function can only be called on FUNCTION LOAD command')
  end
  local n = select('#', ...)
  if n < 1 or n > 2 then lib_error('wrong number of arguments to redis.register_function') end
  local name, callback, desc
  local flags = {}
  if n == 1 then
    local args = ...
    if type(args) ~= 'table' then
      lib_error('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    for k, v in next, args do
      if not is_text(k) then lib_error('named argument key given to redis.register_function is not a string') end
      k = lower(tostring(k))
      if k == 'function_name' then
        if not is_text(v) then lib_error('function_name argument given to redis.register_function must be a string') end
        name = tostring(v)
      elseif k == 'description' then
        if not is_text(v) then lib_error('description argument given to redis.register_function must be a string') end
        desc = tostring(v)
      elseif k == 'callback' then
        if type(v) ~= 'function' then lib_error('callback argument given to redis.register_function must be a function') end
        callback = v
      elseif k == 'flags' then
        if type(v) ~= 'table' then lib_error('flags argument to redis.register_function must be a table representing function flags') end
        local i = 1
        while v[i] ~= nil do
          local f = v[i]
          if not is_text(f) or not known_flags[lower(tostring(f))] then lib_error('unknown flag given') end
          flags[#flags + 1] = lower(tostring(f))
          i = i + 1
        end
      else
        lib_error('unknown argument given to redis.register_function')
      end
    end
    if name == nil then lib_error('redis.register_function must get a function name argument') end
    if callback == nil then lib_error('redis.register_function must get a callback argument') end
  else
    local a, b = ...
    if not is_text(a) then lib_error('first argument to redis.register_function must be a string') end
    if type(b) ~= 'function' then lib_error('second argument to redis.register_function must be a function') end
    name, callback = tostring(a), b
  end
  if not find(name, '^[%w_]+$') then
    lib_error('Function names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  for _, p in ipairs(pending) do
    if p.name == name then lib_error('Function already exists in the library') end
  end
  pending[#pending + 1] = {name = name, callback = callback, flags = concat(flags, ','), desc = desc}
end)
lib_redis.log = redis.log
lib_redis.LOG_DEBUG, lib_redis.LOG_VERBOSE, lib_redis.LOG_NOTICE, lib_redis.LOG_WARNING = 0, 1, 2, 3
lib_redis.REDIS_VERSION, lib_redis.REDIS_VERSION_NUM = redis.REDIS_VERSION, redis.REDIS_VERSION_NUM
LIB.redis = face(lib_redis)

-- Runs a library's code: a list of {name, callback, flags, desc}, or nil and the error text.
local function load_library(code)
  local f, err = loadstring(text_only(code), '@user_function')
  if f == nil then return nil, 'Error compiling function: ' .. tostring(err) end
  setfenv(f, fenv)
  fmeta.__index = LIB
  pending = {}
  local ok, e = pcall(f)
  fmeta.__index = G
  local got = pending
  pending = nil
  for _, fc in ipairs(faces) do
    for k in next, fc do rawset(fc, k, nil) end
  end
  if not ok then
    if type(e) == 'table' then e = e.err end
    return nil, 'Error registering functions: ' .. tostring(e)
  end
  return got
end
-- A registered function called as FCALL calls it: with KEYS and ARGV as its arguments.
local function as_call(f, keys, argv)
  return function()
    local r = f(keys, argv)
    return r
  end
end

return {compile = compile, run = run, load_library = load_library, as_call = as_call}
"#;

/// Redis's `__redis__err__handler` takes the frame that raised (level 2), or its caller when that
/// is a C function, and records its source and line in the error table. Here the sandbox's frames
/// are invisible, and so is a C function the sandbox calls (`error` raising for it): the C closure
/// the script called stands where Redis's C function stood.
///
/// It is its own chunk, `@err_handler_def`, with the `err['source']` write on line 10 as in Redis:
/// raising a read-only table (`error(redis)`) fails there, and Redis's reply names that place.
const ERROR_HANDLER: &str = r#"local getinfo, SELF, type, tostring = ...
return function(err)
  local first, second, level = nil, nil, 2
  local info = getinfo(level, 'Sl')
  while info ~= nil and second == nil and level < 256 do local caller = getinfo(level + 1, 'S'); local hidden = info.source == SELF or (info.what == 'C' and caller ~= nil and caller.source == SELF); if not hidden then if first == nil then first = info else second = info end end; level = level + 1; info = getinfo(level, 'Sl') end
  local at = first
  if at and at.what == 'C' then at = second end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if at then
    err['source'] = at.source
    err['line'] = at.currentline
  end
  return err
end
"#;

#[cfg(test)]
mod tests {
    //! The engine on its own, with a stand-in for the server: conversions in both directions and
    //! the helpers that must behave like C. Expected values are Redis 7.0.15's (see
    //! `cmd::script::tests` for whole requests compared byte for byte).

    use super::*;

    /// Loads and runs `body`; every command gets `reply(argv)`.
    fn run_with(body: &str, reply: impl Fn(&[Bytes]) -> HostReply) -> Frame {
        let mut engine = Engine::new();
        let sha = engine.load(body.as_bytes()).expect("compiles");
        engine.run(&sha, &[], &[], &mut |argv: &[Bytes]| reply(argv))
    }

    fn bulk(s: &str) -> Frame {
        Frame::bulk(s.to_string())
    }

    fn wrongtype() -> Frame {
        Frame::error(crate::model::keyspace::WRONGTYPE)
    }

    /// What a few commands answer, as RESP2 frames.
    fn canned(argv: &[Bytes]) -> HostReply {
        Ok(match &argv[0][..] {
            b"int" => Frame::Integer(7),
            b"bulk" => bulk("v"),
            b"nil" => Frame::Null,
            b"nilarray" => Frame::NullArray,
            b"status" => Frame::ok(),
            b"wrongtype" => wrongtype(),
            b"nested" => Frame::Array(vec![
                Frame::Integer(1),
                Frame::Null,
                Frame::Array(vec![bulk("x")]),
                Frame::error("ERR inner"),
            ]),
            _ => return Err("Unknown Redis command called from script".to_string()),
        })
    }

    #[test]
    fn arguments_are_strings_and_numbers_as_percent_17g() {
        let seen = std::cell::RefCell::new(Vec::new());
        let body = "return redis.call('set', 'k', 3, 1.5, 0.1, 1e20, -0.0, 2^53, '\\0z')";
        let reply = run_with(body, |argv| {
            seen.borrow_mut().extend(argv.iter().cloned());
            Ok(Frame::ok())
        });
        assert_eq!(reply, Frame::Simple("OK".into()));
        let expected = [
            "set",
            "k",
            "3",
            "1.5",
            "0.10000000000000001",
            "1e+20",
            "-0",
            "9007199254740992",
            "\0z",
        ];
        assert_eq!(
            *seen.borrow(),
            expected.map(|s| Bytes::copy_from_slice(s.as_bytes()))
        );
    }

    #[test]
    fn replies_reach_lua_as_redis_converts_them() {
        let script = "local r = redis.call('nested') \
                      return {redis.call('int') + 1, redis.call('bulk'), tostring(redis.call('nil')), \
                              tostring(redis.call('nilarray')), redis.call('status').ok, \
                              type(r[1]), tostring(r[2]), r[3][1], r[4].err, redis.call('status')}";
        let expected = Frame::Array(vec![
            Frame::Integer(8),
            bulk("v"),
            bulk("false"),
            bulk("false"),
            bulk("OK"),
            bulk("number"),
            bulk("false"),
            bulk("x"),
            bulk("ERR inner"),
            Frame::ok(),
        ]);
        assert_eq!(run_with(script, canned), expected);
    }

    #[test]
    fn call_raises_error_replies_and_pcall_returns_them() {
        let raised = run_with("\nreturn redis.call('wrongtype')", canned);
        let sha = sha1_hex(b"\nreturn redis.call('wrongtype')");
        let text = format!(
            "{} script: {sha}, on @user_script:2.",
            crate::model::keyspace::WRONGTYPE
        );
        assert_eq!(raised, Frame::Error(text));
        assert_eq!(
            run_with("return redis.pcall('wrongtype')", canned),
            wrongtype()
        );
        let refused = run_with("return redis.pcall('nosuch')", canned);
        assert_eq!(
            refused,
            Frame::error("ERR Unknown Redis command called from script")
        );
        let flagged = run_with(
            "return tostring(redis.pcall('wrongtype').ignore_error_stats_update)",
            canned,
        );
        assert_eq!(flagged, bulk("true"));
    }

    #[test]
    fn call_takes_as_many_arguments_as_a_c_function() {
        // Redis 7.0.15's `Script check unpack with massive arguments`: 8,001 arguments to
        // redis.call, the most `unpack` can give a C function (LUAI_MAXCSTACK is 8,000).
        let body =
            "local a = {} for i=1,7999 do a[i] = 1 end return redis.call('lpush', 'l', unpack(a))";
        let count = |argv: &[Bytes]| Ok(Frame::Integer(argv.len() as i64 - 2));
        assert_eq!(run_with(body, count), Frame::Integer(7999));
        let errs = |_: &[Bytes]| Ok(Frame::error("ERR no"));
        let pcalled = body.replace("redis.call", "redis.pcall");
        assert_eq!(run_with(&pcalled, errs), Frame::error("ERR no"));
        let raised = run_with(body, errs);
        assert!(
            matches!(&raised, Frame::Error(t) if t.starts_with("ERR no script:")),
            "{raised:?}"
        );
    }

    #[test]
    fn resp3_makes_nulls_nil() {
        let script =
            "redis.setresp(3) return {redis.call('nil') == nil, redis.call('nilarray') == nil}";
        assert_eq!(
            run_with(script, canned),
            Frame::Array(vec![Frame::Integer(1), Frame::Integer(1)])
        );
    }

    #[test]
    fn percent_17g_like_glibc() {
        let cases = [
            (0.1, "0.10000000000000001"),
            (1e300, "1.0000000000000001e+300"),
            (1e-7, "9.9999999999999995e-08"),
            (100.0, "100"),
            (3.5, "3.5"),
            (-0.0, "-0"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (0.0001, "0.0001"),
            (123456789.125, "123456789.125"),
            (f64::NAN, "nan"),
            (-f64::NAN, "-nan"),
            (f64::INFINITY, "inf"),
        ];
        for (n, text) in cases {
            assert_eq!(format_g17(n), text, "{n:e}");
        }
    }

    #[test]
    fn double_to_integer_like_x86_cast() {
        assert_eq!(c_double_to_i64(3.99), 3);
        assert_eq!(c_double_to_i64(-3.99), -3);
        assert_eq!(c_double_to_i64(1e30), i64::MIN);
        assert_eq!(c_double_to_i64(-1e30), i64::MIN);
        assert_eq!(c_double_to_i64(f64::NAN), i64::MIN);
        assert_eq!(c_double_to_i64(-9_223_372_036_854_775_808.0), i64::MIN);
    }

    #[test]
    fn lrand48_is_redis_sequence_and_reset_keeps_it() {
        let state = Cell::new(RAND48_SEED);
        assert_eq!([lrand48(&state), lrand48(&state)], [851401618, 1804928587]);
        srand48(&state, 7);
        let r = (lrand48(&state) % 2147483647) as f64 / 2147483647.0;
        assert_eq!(format!("{r:.14}"), "0.26644419658298");

        let mut engine = Engine::new();
        let sha = engine.load(b"return math.random(1000)").unwrap();
        let first = engine.run(&sha, &[], &[], &mut canned);
        engine.reset();
        let sha = engine.load(b"return math.random(1000)").unwrap();
        let second = engine.run(&sha, &[], &[], &mut canned);
        // The first two values of the sequence, scaled to 1..1000.
        assert_eq!((first, second), (Frame::Integer(397), Frame::Integer(841)));
    }

    #[test]
    fn shebang_flags_and_errors() {
        let flags = |body: &str| parse_shebang(body.as_bytes());
        assert_eq!(
            flags("return 1").unwrap(),
            (
                ScriptFlags {
                    compat: true,
                    ..ScriptFlags::default()
                },
                0
            )
        );
        let (parsed, len) = flags("#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(parsed.read_only() && parsed.allow_oom && !parsed.compat);
        assert_eq!(len, "#!lua flags=no-writes,allow-oom".len());
        assert_eq!(flags("#!lua flags=\n").unwrap().0, ScriptFlags::default());
        assert_eq!(flags("#!lua").unwrap_err(), "Invalid script shebang");
        assert_eq!(
            flags("#!js\n").unwrap_err(),
            "Unexpected engine in script shebang: #!js"
        );
        assert_eq!(
            flags("#!lua x=1\n").unwrap_err(),
            "Unknown lua shebang option: x=1"
        );
        assert_eq!(
            flags("#!lua flags=a,,b\n").unwrap_err(),
            "Unexpected flag in script shebang: a"
        );
    }

    #[test]
    fn scripts_cannot_leave_traces_for_the_next_one() {
        let mut engine = Engine::new();
        let sha = engine
            .load(b"table.insert(string, 'x') return string[1]")
            .unwrap();
        assert_eq!(engine.run(&sha, &[], &[], &mut canned), bulk("x"));
        let sha = engine.load(b"return string[1]").unwrap();
        assert_eq!(engine.run(&sha, &[], &[], &mut canned), Frame::Null);
    }
}
