//! Redis 7.0's functions: FUNCTION LOAD / DELETE / FLUSH / LIST and FCALL / FCALL_RO.
//!
//! A library is Lua code with a `#!lua name=<library>` first line; loading runs it once, and the
//! functions it registers (`redis.register_function`) are callable by name until the library is
//! deleted, replaced or flushed. The libraries live in [`Functions`] on the server, with their own
//! Lua [`Engine`] (Redis keeps functions in a Lua state apart from EVAL's, so SCRIPT FLUSH does not
//! touch them). A function runs like a script (see [`crate::model::cmd::script`]): its commands go
//! through the same checks, and it is atomic.
//!
//! What it must never do: run a library's code anywhere but in FUNCTION LOAD, or answer with texts
//! other than Redis 7.0.15's.

use crate::model::cmd::keys::glob_match;
use crate::model::cmd::script::{caller_db, prepare_run, restore_db, split_keys, ScriptHost};
use crate::model::frame::Frame;
use crate::model::lua::{Engine, Registered, ScriptFlags};
use crate::model::parse::is_keyword;
use crate::model::server::{Call, Reply, Server};
use bytes::Bytes;
use std::collections::BTreeMap;

/// The loaded libraries and the interpreter their functions live in.
#[derive(Default)]
pub struct Functions {
    /// Created on first use; taken out while a function runs (see [`with_engine`]).
    engine: Option<Engine>,
    libraries: BTreeMap<String, Library>,
    /// Function name -> the library that registered it.
    owners: BTreeMap<String, String>,
}

struct Library {
    /// The whole payload of FUNCTION LOAD, shebang included (FUNCTION LIST WITHCODE).
    code: Bytes,
    functions: Vec<FunctionInfo>,
}

struct FunctionInfo {
    name: String,
    description: Option<String>,
    flags: ScriptFlags,
}

impl Functions {
    /// The flags of a function, if one of that name is loaded.
    pub fn flags(&self, name: &str) -> Option<ScriptFlags> {
        let library = self.libraries.get(self.owners.get(name)?)?;
        library
            .functions
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.flags)
    }

    fn unlink(&mut self, library: &str) -> Option<Library> {
        let removed = self.libraries.remove(library)?;
        for function in &removed.functions {
            self.owners.remove(&function.name);
            if let Some(engine) = self.engine.as_mut() {
                engine.uninstall(&function.name);
            }
        }
        Some(removed)
    }

    fn link(&mut self, name: String, library: Library, registered: &[Registered]) {
        let Some(engine) = self.engine.as_mut() else {
            unreachable!("a library is linked after its code ran in the engine")
        };
        for function in registered {
            engine.install(function);
        }
        for function in &library.functions {
            self.owners.insert(function.name.clone(), name.clone());
        }
        self.libraries.insert(name, library);
    }
}

/// `functionsVerifyName`: letters, digits and underscores, at least one.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `functionExtractLibMetaData`: the engine and library name of the shebang line, and the
/// offset where the code starts (at the shebang's newline, so line numbers stay the user's).
fn library_metadata(payload: &[u8]) -> Result<(String, String, usize), String> {
    if !payload.starts_with(b"#!") {
        return Err("Missing library metadata".to_string());
    }
    let Some(end) = payload.iter().position(|b| *b == b'\n') else {
        return Err("Invalid library metadata".to_string());
    };
    let line = String::from_utf8_lossy(&payload[..end]);
    let mut parts = line.split_ascii_whitespace();
    let engine = parts
        .next()
        .ok_or_else(|| "Invalid library metadata".to_string())?;
    let engine = engine[2..].to_string();
    let mut name = None;
    for part in parts {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case("name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".to_string(),
                );
            }
            name = Some(part[5..].to_string());
            continue;
        }
        return Err(format!("Invalid metadata value given: {part}"));
    }
    let name = name.ok_or_else(|| "Library name was not given".to_string())?;
    Ok((engine, name, end))
}

/// ```text
/// FUNCTION LOAD [REPLACE] function-code
/// ```
pub fn function_load(server: &mut Server, call: Call<'_>) -> Reply {
    let args = &call.args[2..];
    let (options, code) = args.split_at(args.len() - 1);
    let mut replace = false;
    for option in options {
        if is_keyword(option, "REPLACE") {
            replace = true;
        } else {
            return Frame::error(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(option)
            ))
            .into();
        }
    }
    match load_library(server, &code[0], replace) {
        Ok(name) => Frame::bulk(name).into(),
        Err(text) => Frame::error(format!("ERR {text}")).into(),
    }
}

/// `functionsCreateWithLibraryCtx`: checks the metadata, runs the code, checks the names it
/// registered, then links the library (replacing the old one only when all went well).
fn load_library(server: &mut Server, payload: &Bytes, replace: bool) -> Result<String, String> {
    let (engine, name, code_start) = library_metadata(payload)?;
    if !valid_name(&name) {
        return Err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".to_string());
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("Engine '{engine}' not found"));
    }
    let run_state = server.script_run.clone();
    let functions = &mut server.functions;
    if functions.libraries.contains_key(&name) && !replace {
        return Err(format!("Library '{name}' already exists"));
    }
    let registered = functions
        .engine
        .get_or_insert_with(|| Engine::with_run_state(run_state))
        .load_library(&payload[code_start..])?;
    if registered.is_empty() {
        return Err("No functions registered".to_string());
    }
    if let Some(taken) = registered.iter().find(|f| {
        functions
            .owners
            .get(&f.name)
            .is_some_and(|owner| *owner != name)
    }) {
        return Err(format!("Function {} already exists", taken.name));
    }
    functions.unlink(&name);
    let library = Library {
        code: payload.clone(),
        functions: registered
            .iter()
            .map(|f| FunctionInfo {
                name: f.name.clone(),
                description: f.description.clone(),
                flags: f.flags,
            })
            .collect(),
    };
    functions.link(name.clone(), library, &registered);
    Ok(name)
}

/// ```text
/// FUNCTION FLUSH [ASYNC | SYNC]
/// ```
pub fn function_flush(server: &mut Server, call: Call<'_>) -> Reply {
    match &call.args[2..] {
        [] => {}
        [mode] if is_keyword(mode, "ASYNC") || is_keyword(mode, "SYNC") => {}
        _ => return Frame::error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option").into(),
    }
    server.functions = Functions::default();
    Frame::ok().into()
}

/// ```text
/// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
/// ```
pub fn function_list(server: &mut Server, call: Call<'_>) -> Reply {
    let mut with_code = false;
    let mut pattern: Option<&Bytes> = None;
    let mut i = 2;
    while i < call.args.len() {
        let arg = &call.args[i];
        if !with_code && is_keyword(arg, "WITHCODE") {
            with_code = true;
        } else if pattern.is_none() && is_keyword(arg, "LIBRARYNAME") {
            let Some(p) = call.args.get(i + 1) else {
                return Frame::error("ERR library name argument was not given").into();
            };
            pattern = Some(p);
            i += 1;
        } else {
            return Frame::error(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(arg)
            ))
            .into();
        }
        i += 1;
    }
    let text = |s: &str| Frame::bulk(Bytes::copy_from_slice(s.as_bytes()));
    let mut out = Vec::new();
    for (name, library) in &server.functions.libraries {
        if pattern.is_some_and(|p| !glob_match_nocase(p, name.as_bytes())) {
            continue;
        }
        let functions = library
            .functions
            .iter()
            .map(|f| {
                Frame::Array(vec![
                    text("name"),
                    text(&f.name),
                    text("description"),
                    f.description.as_deref().map_or(Frame::Null, text),
                    text("flags"),
                    Frame::Array(flag_names(f.flags).into_iter().map(text).collect()),
                ])
            })
            .collect();
        let mut entry = vec![
            text("library_name"),
            text(name),
            text("engine"),
            text("LUA"),
            text("functions"),
            Frame::Array(functions),
        ];
        if with_code {
            entry.push(text("library_code"));
            entry.push(Frame::Bulk(library.code.clone()));
        }
        out.push(Frame::Array(entry));
    }
    Frame::Array(out).into()
}

fn glob_match_nocase(pattern: &[u8], text: &[u8]) -> bool {
    glob_match(&pattern.to_ascii_lowercase(), &text.to_ascii_lowercase())
}

/// Redis's `scripts_flags_def` order.
fn flag_names(flags: ScriptFlags) -> Vec<&'static str> {
    let mut names = Vec::new();
    for (set, name) in [
        (flags.no_writes, "no-writes"),
        (flags.allow_oom, "allow-oom"),
        (flags.allow_stale, "allow-stale"),
        (flags.no_cluster, "no-cluster"),
        (flags.allow_cross_slot_keys, "allow-cross-slot-keys"),
    ] {
        if set {
            names.push(name);
        }
    }
    names
}

/// ```text
/// FUNCTION DELETE library-name
/// ```
pub fn function_delete(server: &mut Server, call: Call<'_>) -> Reply {
    let name = String::from_utf8_lossy(&call.args[2]);
    match server.functions.unlink(&name) {
        Some(_) => Frame::ok().into(),
        None => Frame::error("ERR Library not found").into(),
    }
}

/// ```text
/// FCALL function numkeys [key ...] [arg ...]
/// ```
pub fn fcall(server: &mut Server, call: Call<'_>) -> Reply {
    fcall_generic(server, call, false)
}

/// ```text
/// FCALL_RO function numkeys [key ...] [arg ...]
/// ```
pub fn fcall_ro(server: &mut Server, call: Call<'_>) -> Reply {
    fcall_generic(server, call, true)
}

fn fcall_generic(server: &mut Server, call: Call<'_>, ro: bool) -> Reply {
    let name = String::from_utf8_lossy(&call.args[1]).into_owned();
    let Some(flags) = server.functions.flags(&name) else {
        return Frame::error("ERR Function not found").into();
    };
    let (keys, argv) = match split_keys(call.args) {
        Ok(split) => split,
        Err(Frame::Error(text)) if text.starts_with("ERR value is not an integer") => {
            return Frame::error("ERR Bad number of keys provided").into()
        }
        Err(error) => return error.into(),
    };
    let limits = match prepare_run(server, call.client, &flags, ro, call.now_ms) {
        Ok(limits) => limits,
        Err(refusal) => return refusal.into(),
    };
    let run_state = server.script_run.clone();
    let mut engine = server
        .functions
        .engine
        .take()
        .unwrap_or_else(|| Engine::with_run_state(run_state.clone()));
    run_state.running.set(Some(false));
    run_state
        .acl_user
        .replace(crate::model::cmd::acl::user_of(server, call.client));
    let db = caller_db(server, call.client);
    let reply = {
        let mut host = ScriptHost {
            server,
            client: call.client,
            now_ms: call.now_ms,
            limits,
        };
        engine.run_fcall(&name, keys, argv, &mut host)
    };
    run_state.finish();
    restore_db(server, call.client, db);
    server.functions.engine = Some(engine);
    reply.into()
}

/// ```text
/// FUNCTION KILL
/// ```
/// Runs while a function is busy, as SCRIPT KILL does
/// (see [`crate::model::cmd::script::script_kill`]).
pub fn function_kill(server: &mut Server, _call: Call<'_>) -> Reply {
    crate::model::cmd::script::kill_reply(&server.script_run, false).into()
}
