//! ACL users as Redis 7.0.15 keeps them: `ACL SETUSER/DELUSER/USERS/WHOAMI`, `AUTH`, and the
//! permission check `processCommand` and `scriptCall` make (commands by name and category, keys by
//! pattern), plus what `redis.acl_check_cmd` asks.
//!
//! The facts it needs about each command (legacy key positions, ACL categories) are Redis's
//! `COMMAND` output for the model's commands, in [`TABLE`]. It must never grant what Redis denies;
//! what it does not model (selectors, channels, hashed passwords, a default user that requires a
//! password) is refused or answered as Redis answers a user without them, and README lists it.

use crate::model::cmd::keys::glob_match;
use crate::model::frame::Frame;
use crate::model::keyspace::ClientId;
use crate::model::parse::is_keyword;
use crate::model::server::{Call, Reply, Server};
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};

/// One command's ACL facts (Redis's `COMMAND` fields 4–7).
pub struct CommandAcl {
    pub name: &'static str,
    first: i8,
    last: i8,
    step: i8,
    categories: u32,
    /// Keys found by the command's own rule (EVAL's numkeys, XREAD's STREAMS).
    movable: bool,
}

const fn acl(
    name: &'static str,
    first: i8,
    last: i8,
    step: i8,
    categories: u32,
    movable: bool,
) -> CommandAcl {
    CommandAcl {
        name,
        first,
        last,
        step,
        categories,
        movable,
    }
}

/// Why a request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    Command,
    Key,
}

impl Denied {
    /// The NOPERM reply of `processCommand`.
    pub fn reply(self, spec_name: &str) -> Frame {
        match self {
            Denied::Command => Frame::error(format!(
                "NOPERM this user has no permissions to run the '{spec_name}' command"
            )),
            Denied::Key => Frame::error(
                "NOPERM this user has no permissions to access one of the keys used as arguments",
            ),
        }
    }

    /// What a script sees (`scriptVerifyACL`, then `ERR ...`).
    pub fn script_text(self) -> String {
        let why = match self {
            Denied::Command => "can't run this command or subcommand",
            Denied::Key => {
                "can't access at least one of the keys mentioned in the command arguments"
            }
        };
        format!("The user executing the script {why}")
    }
}

/// One user: `on`/`off`, passwords, the commands it may run and the key patterns it may touch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    enabled: bool,
    nopass: bool,
    passwords: BTreeSet<Bytes>,
    /// Full names (`client|kill`) of the commands allowed.
    allowed: BTreeSet<&'static str>,
    all_keys: bool,
    patterns: Vec<Bytes>,
}

impl User {
    /// A user ACL SETUSER creates: off, no password, no command, no key.
    fn new() -> User {
        User {
            enabled: false,
            nopass: false,
            passwords: BTreeSet::new(),
            allowed: BTreeSet::new(),
            all_keys: false,
            patterns: Vec::new(),
        }
    }

    /// The default user as Redis starts it: `on nopass ~* &* +@all`.
    fn default_user() -> User {
        User {
            enabled: true,
            nopass: true,
            passwords: BTreeSet::new(),
            allowed: TABLE.iter().map(|c| c.name).collect(),
            all_keys: true,
            patterns: Vec::new(),
        }
    }

    fn unrestricted(&self) -> bool {
        self.all_keys && self.allowed.len() == TABLE.len()
    }

    /// Applies one ACL SETUSER rule (`ACLSetUser`); the error is Redis's reason text.
    fn apply(&mut self, op: &[u8]) -> Result<(), &'static str> {
        const UNKNOWN: &str = "Unknown command or category name in ACL";
        const SYNTAX: &str = "Syntax error";
        let word = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if word("on") {
            self.enabled = true;
        } else if word("off") {
            self.enabled = false;
        } else if word("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if word("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if word("allkeys") || op == b"~*" {
            self.all_keys = true;
            self.patterns.clear();
        } else if word("resetkeys") {
            self.all_keys = false;
            self.patterns.clear();
        } else if word("allchannels") || word("resetchannels") || op.first() == Some(&b'&') {
            // The model has no pub/sub: channel rules have nothing to restrict.
        } else if word("allcommands") {
            self.allowed = TABLE.iter().map(|c| c.name).collect();
        } else if word("nocommands") {
            self.allowed.clear();
        } else if word("reset") {
            *self = User::new();
            self.apply(b"resetpass")?;
            self.apply(b"resetkeys")?;
        } else {
            match op.split_first() {
                Some((b'>', pass)) => {
                    self.passwords.insert(Bytes::copy_from_slice(pass));
                    self.nopass = false;
                }
                Some((b'<', pass)) => {
                    if !self.passwords.remove(pass) {
                        return Err("no such password");
                    }
                }
                Some((b'~', pattern)) => {
                    if self.all_keys {
                        return Err(
                            "Adding a pattern after the * pattern (or the 'allkeys' flag) is not \
                             valid and does not have any effect. Try 'resetkeys' to start with an \
                             empty list of patterns",
                        );
                    }
                    self.patterns.push(Bytes::copy_from_slice(pattern));
                }
                Some((&sign @ (b'+' | b'-'), rest)) => {
                    let names = commands_named(rest).ok_or(UNKNOWN)?;
                    for name in names {
                        if sign == b'+' {
                            self.allowed.insert(name);
                        } else {
                            self.allowed.remove(name);
                        }
                    }
                }
                _ => return Err(SYNTAX),
            }
        }
        Ok(())
    }

    /// `ACLCheckAllUserCommandPerm`: may this user run `argv` (command `spec_name`)?
    pub fn check(&self, spec_name: &str, argv: &[Bytes]) -> Result<(), Denied> {
        if !self.allowed.contains(spec_name) {
            return Err(Denied::Command);
        }
        if self.all_keys {
            return Ok(());
        }
        let keys = key_indexes(spec_name, argv);
        if keys
            .into_iter()
            .filter_map(|i| argv.get(i))
            .all(|key| self.patterns.iter().any(|p| glob_match(p, key)))
        {
            Ok(())
        } else {
            Err(Denied::Key)
        }
    }
}

/// The commands `+name`/`-name` stands for: a category (`@read`), a command with all its
/// subcommands, or one subcommand (`client|kill`).
fn commands_named(name: &[u8]) -> Option<Vec<&'static str>> {
    let name = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
    if let Some(category) = name.strip_prefix('@') {
        if category == "all" {
            return Some(TABLE.iter().map(|c| c.name).collect());
        }
        let bit = CATEGORIES.iter().position(|c| *c == category)?;
        return Some(
            TABLE
                .iter()
                .filter(|c| c.categories & (1 << bit) != 0)
                .map(|c| c.name)
                .collect(),
        );
    }
    let prefix = format!("{name}|");
    let named: Vec<_> = TABLE
        .iter()
        .filter(|c| c.name == name || c.name.starts_with(&prefix))
        .map(|c| c.name)
        .collect();
    (!named.is_empty()).then_some(named)
}

fn table_entry(name: &str) -> Option<&'static CommandAcl> {
    TABLE
        .binary_search_by(|c| c.name.cmp(name))
        .ok()
        .map(|i| &TABLE[i])
}

/// The argument positions that are keys, as Redis's `getKeysFromCommand` finds them for the
/// model's commands.
fn key_indexes(spec_name: &str, argv: &[Bytes]) -> Vec<usize> {
    let Some(entry) = table_entry(spec_name) else {
        return Vec::new();
    };
    let argc = argv.len();
    let numkeys_at = |at: usize| -> Vec<usize> {
        let n = argv
            .get(at)
            .and_then(|n| crate::model::parse::parse_i64(n))
            .filter(|n| *n >= 0)
            .unwrap_or(0) as usize;
        (at + 1..(at + 1 + n).min(argc)).collect()
    };
    if entry.movable {
        match spec_name {
            "eval" | "eval_ro" | "evalsha" | "evalsha_ro" | "fcall" | "fcall_ro" => {
                return numkeys_at(2)
            }
            "sintercard" => return numkeys_at(1),
            // `georadiusGetKeys`: the source, and the last STORE/STOREDIST key.
            "georadius" | "georadiusbymember" => {
                let mut keys = vec![1];
                let mut i = 5;
                while i < argc {
                    if (is_keyword(&argv[i], "STORE") || is_keyword(&argv[i], "STOREDIST"))
                        && i + 1 < argc
                    {
                        keys.truncate(1);
                        keys.push(i + 1);
                        i += 1;
                    }
                    i += 1;
                }
                return keys;
            }
            "xread" | "xreadgroup" => {
                let Some(at) = argv.iter().position(|a| is_keyword(a, "STREAMS")) else {
                    return Vec::new();
                };
                let rest = argc - at - 1;
                return (at + 1..at + 1 + rest / 2).collect();
            }
            _ => {}
        }
    }
    if entry.first <= 0 {
        return Vec::new();
    }
    let first = entry.first as usize;
    let last = if entry.last < 0 {
        (argc as i64 + entry.last as i64).max(0) as usize
    } else {
        entry.last as usize
    };
    (first..=last.min(argc.saturating_sub(1)))
        .step_by(entry.step.max(1) as usize)
        .collect()
}

/// Every user by name; `default` always exists.
#[derive(Clone, Debug)]
pub struct Acl {
    users: BTreeMap<Bytes, User>,
    /// The default user may run everything: every command skips the lookup.
    default_open: bool,
    /// A client has logged in as another user since the start: checks need the client's user.
    logged_in: bool,
}

impl Default for Acl {
    fn default() -> Acl {
        Acl {
            users: BTreeMap::from([(Bytes::from_static(b"default"), User::default_user())]),
            default_open: true,
            logged_in: false,
        }
    }
}

impl Acl {
    /// The user a client runs as: `None` for the default user while it may run everything (the
    /// common case, checked without a lookup).
    pub fn restricted_user(&self, name: Option<&Bytes>) -> Option<&User> {
        if name.is_none() && self.default_open {
            return None;
        }
        let name = name.map_or(&b"default"[..], |n| &n[..]);
        self.users.get(name).filter(|u| !u.unrestricted())
    }

    /// `ACLAuthenticateUser`.
    fn authenticate(&self, user: &[u8], pass: &[u8]) -> bool {
        self.users
            .get(user)
            .is_some_and(|u| u.enabled && (u.nopass || u.passwords.contains(pass)))
    }
}

/// Whether `client` may run `argv` (command `spec_name`); `None` when it may.
pub fn check(server: &Server, client: ClientId, spec_name: &str, argv: &[Bytes]) -> Option<Denied> {
    if server.acl.default_open && !server.acl.logged_in {
        return None;
    }
    // AUTH and HELLO carry Redis's `no-auth` flag: `ACLCheckAllUserCommandPerm` lets any user run
    // them, or a restricted user could never log in as another.
    if spec_name.eq_ignore_ascii_case("auth") || spec_name.eq_ignore_ascii_case("hello") {
        return None;
    }
    let name = server.clients.get(&client).and_then(|c| c.user.as_ref());
    let user = server.acl.restricted_user(name)?;
    user.check(spec_name, argv).err()
}

/// The caller's user for `redis.acl_check_cmd`, `None` when it may run everything.
pub fn user_of(server: &Server, client: ClientId) -> Option<User> {
    let name = server.clients.get(&client).and_then(|c| c.user.as_ref());
    server.acl.restricted_user(name).cloned()
}

/// AUTH [username] password
pub fn auth(server: &mut Server, call: Call<'_>) -> Reply {
    let (user, pass) = match call.args {
        [_, pass] => {
            if server
                .acl
                .users
                .get(&b"default"[..])
                .is_some_and(|u| u.nopass)
            {
                return Frame::error(
                    "ERR AUTH <password> called without any password configured for the default \
                     user. Are you sure your configuration is correct?",
                )
                .into();
            }
            (Bytes::from_static(b"default"), pass)
        }
        [_, user, pass] => (user.clone(), pass),
        _ => return Frame::error("ERR syntax error").into(),
    };
    login(server, call.client, user, pass).into()
}

/// Authenticates `client` as `user` (AUTH, HELLO AUTH): OK or WRONGPASS.
pub fn login(server: &mut Server, client: ClientId, user: Bytes, pass: &[u8]) -> Frame {
    if !server.acl.authenticate(&user, pass) {
        return Frame::error("WRONGPASS invalid username-password pair or user is disabled.");
    }
    let user = (user.as_ref() != b"default").then_some(user);
    server.acl.logged_in |= user.is_some();
    server.client(client).user = user;
    Frame::ok()
}

/// ACL SETUSER username [rule ...]
pub fn acl_setuser(server: &mut Server, call: Call<'_>) -> Reply {
    let name = &call.args[2];
    if name.iter().any(|b| b.is_ascii_whitespace() || *b == 0) {
        return Frame::error("ERR Usernames can't contain spaces or null characters").into();
    }
    // Rules apply to a copy, so a bad rule leaves the user as it was.
    let mut user = server
        .acl
        .users
        .get(name)
        .cloned()
        .unwrap_or_else(User::new);
    for op in &call.args[3..] {
        if let Err(why) = user.apply(op) {
            let op = String::from_utf8_lossy(op);
            return Frame::error(format!("ERR Error in ACL SETUSER modifier '{op}': {why}")).into();
        }
    }
    if name.as_ref() == b"default" {
        server.acl.default_open = user.unrestricted();
    }
    server.acl.users.insert(name.clone(), user);
    Frame::ok().into()
}

/// ACL DELUSER username [username ...]: its clients are disconnected, as Redis does.
pub fn acl_deluser(server: &mut Server, call: Call<'_>) -> Reply {
    let names = &call.args[2..];
    if names.iter().any(|n| n.as_ref() == b"default") {
        return Frame::error("ERR The 'default' user cannot be removed").into();
    }
    let mut deleted = 0;
    for name in names {
        if server.acl.users.remove(name).is_some() {
            deleted += 1;
            let gone: Vec<ClientId> = server
                .clients
                .iter()
                .filter(|(_, c)| c.user.as_ref() == Some(name))
                .map(|(id, _)| *id)
                .collect();
            server.killed.extend(gone);
        }
    }
    Frame::Integer(deleted).into()
}

/// ACL USERS
pub fn acl_users(server: &mut Server, _: Call<'_>) -> Reply {
    Frame::Array(server.acl.users.keys().cloned().map(Frame::Bulk).collect()).into()
}

/// ACL WHOAMI
pub fn acl_whoami(server: &mut Server, call: Call<'_>) -> Reply {
    let name = server
        .clients
        .get(&call.client)
        .and_then(|c| c.user.clone())
        .unwrap_or_else(|| Bytes::from_static(b"default"));
    Frame::Bulk(name).into()
}

pub const CATEGORIES: [&str; 21] = [
    "admin",
    "bitmap",
    "blocking",
    "connection",
    "dangerous",
    "fast",
    "geo",
    "hash",
    "hyperloglog",
    "keyspace",
    "list",
    "pubsub",
    "read",
    "scripting",
    "set",
    "slow",
    "sortedset",
    "stream",
    "string",
    "transaction",
    "write",
];
static TABLE: &[CommandAcl] = &[
    acl("acl", 0, 0, 0, 0x8000, false),
    acl("acl|deluser", 0, 0, 0, 0x8011, false),
    acl("acl|setuser", 0, 0, 0, 0x8011, false),
    acl("acl|users", 0, 0, 0, 0x8011, false),
    acl("acl|whoami", 0, 0, 0, 0x8000, false),
    acl("append", 1, 1, 1, 0x140020, false),
    acl("auth", 0, 0, 0, 0x28, false),
    acl("blmove", 1, 2, 1, 0x108404, false),
    acl("blpop", 1, -2, 1, 0x108404, false),
    acl("brpop", 1, -2, 1, 0x108404, false),
    acl("brpoplpush", 1, 2, 1, 0x108404, false),
    acl("bzpopmax", 1, -2, 1, 0x110024, false),
    acl("bzpopmin", 1, -2, 1, 0x110024, false),
    acl("client", 0, 0, 0, 0x8000, false),
    acl("client|getname", 0, 0, 0, 0x8008, false),
    acl("client|id", 0, 0, 0, 0x8008, false),
    acl("client|kill", 0, 0, 0, 0x8019, false),
    acl("client|setname", 0, 0, 0, 0x8008, false),
    acl("cluster", 0, 0, 0, 0x8000, false),
    acl("config", 0, 0, 0, 0x8000, false),
    acl("config|get", 0, 0, 0, 0x8011, false),
    acl("config|resetstat", 0, 0, 0, 0x8011, false),
    acl("config|rewrite", 0, 0, 0, 0x8011, false),
    acl("config|set", 0, 0, 0, 0x8011, false),
    acl("copy", 1, 2, 1, 0x108200, false),
    acl("dbsize", 0, 0, 0, 0x1220, false),
    acl("decr", 1, 1, 1, 0x140020, false),
    acl("decrby", 1, 1, 1, 0x140020, false),
    acl("del", 1, -1, 1, 0x108200, false),
    acl("discard", 0, 0, 0, 0x80020, false),
    acl("dump", 1, 1, 1, 0x9200, false),
    acl("echo", 0, 0, 0, 0x28, false),
    acl("eval", 0, 0, 0, 0xa000, true),
    acl("eval_ro", 0, 0, 0, 0xa000, true),
    acl("evalsha", 0, 0, 0, 0xa000, true),
    acl("evalsha_ro", 0, 0, 0, 0xa000, true),
    acl("exec", 0, 0, 0, 0x88000, false),
    acl("exists", 1, -1, 1, 0x1220, false),
    acl("expire", 1, 1, 1, 0x100220, false),
    acl("expireat", 1, 1, 1, 0x100220, false),
    acl("expiretime", 1, 1, 1, 0x1220, false),
    acl("fcall", 0, 0, 0, 0xa000, true),
    acl("fcall_ro", 0, 0, 0, 0xa000, true),
    acl("flushall", 0, 0, 0, 0x108210, false),
    acl("flushdb", 0, 0, 0, 0x108210, false),
    acl("function", 0, 0, 0, 0x8000, false),
    acl("function|delete", 0, 0, 0, 0x10a000, false),
    acl("function|flush", 0, 0, 0, 0x10a000, false),
    acl("function|kill", 0, 0, 0, 0xa000, false),
    acl("function|list", 0, 0, 0, 0xa000, false),
    acl("function|load", 0, 0, 0, 0x10a000, false),
    acl("geoadd", 1, 1, 1, 0x108040, false),
    acl("geodist", 1, 1, 1, 0x9040, false),
    acl("geohash", 1, 1, 1, 0x9040, false),
    acl("geopos", 1, 1, 1, 0x9040, false),
    acl("georadius", 1, 1, 1, 0x108040, true),
    acl("georadius_ro", 1, 1, 1, 0x9040, false),
    acl("georadiusbymember", 1, 1, 1, 0x108040, true),
    acl("georadiusbymember_ro", 1, 1, 1, 0x9040, false),
    acl("geosearch", 1, 1, 1, 0x9040, false),
    acl("geosearchstore", 1, 2, 1, 0x108040, false),
    acl("get", 1, 1, 1, 0x41020, false),
    acl("getdel", 1, 1, 1, 0x140020, false),
    acl("getex", 1, 1, 1, 0x140020, false),
    acl("getrange", 1, 1, 1, 0x49000, false),
    acl("getset", 1, 1, 1, 0x140020, false),
    acl("hdel", 1, 1, 1, 0x1000a0, false),
    acl("hello", 0, 0, 0, 0x28, false),
    acl("hexists", 1, 1, 1, 0x10a0, false),
    acl("hget", 1, 1, 1, 0x10a0, false),
    acl("hgetall", 1, 1, 1, 0x9080, false),
    acl("hincrby", 1, 1, 1, 0x1000a0, false),
    acl("hincrbyfloat", 1, 1, 1, 0x1000a0, false),
    acl("hkeys", 1, 1, 1, 0x9080, false),
    acl("hlen", 1, 1, 1, 0x10a0, false),
    acl("hmget", 1, 1, 1, 0x10a0, false),
    acl("hmset", 1, 1, 1, 0x1000a0, false),
    acl("hrandfield", 1, 1, 1, 0x9080, false),
    acl("hset", 1, 1, 1, 0x1000a0, false),
    acl("hsetnx", 1, 1, 1, 0x1000a0, false),
    acl("hstrlen", 1, 1, 1, 0x10a0, false),
    acl("hvals", 1, 1, 1, 0x9080, false),
    acl("incr", 1, 1, 1, 0x140020, false),
    acl("incrby", 1, 1, 1, 0x140020, false),
    acl("incrbyfloat", 1, 1, 1, 0x140020, false),
    acl("info", 0, 0, 0, 0x8010, false),
    acl("keys", 0, 0, 0, 0x9210, false),
    acl("lastsave", 0, 0, 0, 0x31, false),
    acl("llen", 1, 1, 1, 0x1420, false),
    acl("lmove", 1, 2, 1, 0x108400, false),
    acl("lpop", 1, 1, 1, 0x100420, false),
    acl("lpush", 1, 1, 1, 0x100420, false),
    acl("lrange", 1, 1, 1, 0x9400, false),
    acl("memory", 0, 0, 0, 0x8000, false),
    acl("memory|usage", 2, 2, 1, 0x9000, false),
    acl("mget", 1, -1, 1, 0x41020, false),
    acl("move", 1, 1, 1, 0x100220, false),
    acl("mset", 1, -1, 2, 0x148000, false),
    acl("msetnx", 1, -1, 2, 0x148000, false),
    acl("multi", 0, 0, 0, 0x80020, false),
    acl("object", 0, 0, 0, 0x8000, false),
    acl("object|encoding", 2, 2, 1, 0x9200, false),
    acl("object|refcount", 2, 2, 1, 0x9200, false),
    acl("persist", 1, 1, 1, 0x100220, false),
    acl("pexpire", 1, 1, 1, 0x100220, false),
    acl("pexpireat", 1, 1, 1, 0x100220, false),
    acl("pexpiretime", 1, 1, 1, 0x1220, false),
    acl("ping", 0, 0, 0, 0x28, false),
    acl("psetex", 1, 1, 1, 0x148000, false),
    acl("psync", 0, 0, 0, 0x8011, false),
    acl("pttl", 1, 1, 1, 0x1220, false),
    acl("quit", 0, 0, 0, 0x28, false),
    acl("randomkey", 0, 0, 0, 0x9200, false),
    acl("rename", 1, 2, 1, 0x108200, false),
    acl("renamenx", 1, 2, 1, 0x100220, false),
    acl("replconf", 0, 0, 0, 0x8011, false),
    acl("replicaof", 0, 0, 0, 0x8011, false),
    acl("restore", 1, 1, 1, 0x108210, false),
    acl("role", 0, 0, 0, 0x31, false),
    acl("rpop", 1, 1, 1, 0x100420, false),
    acl("rpoplpush", 1, 2, 1, 0x108400, false),
    acl("rpush", 1, 1, 1, 0x100420, false),
    acl("sadd", 1, 1, 1, 0x104020, false),
    acl("save", 0, 0, 0, 0x8011, false),
    acl("scan", 0, 0, 0, 0x9200, false),
    acl("scard", 1, 1, 1, 0x5020, false),
    acl("script", 0, 0, 0, 0x8000, false),
    acl("script|exists", 0, 0, 0, 0xa000, false),
    acl("script|flush", 0, 0, 0, 0xa000, false),
    acl("script|kill", 0, 0, 0, 0xa000, false),
    acl("script|load", 0, 0, 0, 0xa000, false),
    acl("sdiff", 1, -1, 1, 0xd000, false),
    acl("sdiffstore", 1, -1, 1, 0x10c000, false),
    acl("select", 0, 0, 0, 0x28, false),
    acl("set", 1, 1, 1, 0x148000, false),
    acl("setex", 1, 1, 1, 0x148000, false),
    acl("setnx", 1, 1, 1, 0x140020, false),
    acl("setrange", 1, 1, 1, 0x148000, false),
    acl("shutdown", 0, 0, 0, 0x8011, false),
    acl("sinter", 1, -1, 1, 0xd000, false),
    acl("sintercard", 0, 0, 0, 0xd000, true),
    acl("sinterstore", 1, -1, 1, 0x10c000, false),
    acl("sismember", 1, 1, 1, 0x5020, false),
    acl("slaveof", 0, 0, 0, 0x8011, false),
    acl("smembers", 1, 1, 1, 0xd000, false),
    acl("smismember", 1, 1, 1, 0x5020, false),
    acl("smove", 1, 2, 1, 0x104020, false),
    acl("sort", 1, 1, 1, 0x11c410, true),
    acl("sort_ro", 1, 1, 1, 0x1d410, true),
    acl("spop", 1, 1, 1, 0x104020, false),
    acl("srandmember", 1, 1, 1, 0xd000, false),
    acl("srem", 1, 1, 1, 0x104020, false),
    acl("strlen", 1, 1, 1, 0x41020, false),
    acl("sunion", 1, -1, 1, 0xd000, false),
    acl("sunionstore", 1, -1, 1, 0x10c000, false),
    acl("swapdb", 0, 0, 0, 0x100230, false),
    acl("time", 0, 0, 0, 0x20, false),
    acl("ttl", 1, 1, 1, 0x1220, false),
    acl("type", 1, 1, 1, 0x1220, false),
    acl("unlink", 1, -1, 1, 0x100220, false),
    acl("unwatch", 0, 0, 0, 0x80020, false),
    acl("wait", 0, 0, 0, 0x8008, false),
    acl("watch", 1, -1, 1, 0x80020, false),
    acl("xack", 1, 1, 1, 0x120020, false),
    acl("xadd", 1, 1, 1, 0x120020, false),
    acl("xautoclaim", 1, 1, 1, 0x120020, false),
    acl("xclaim", 1, 1, 1, 0x120020, false),
    acl("xdel", 1, 1, 1, 0x120020, false),
    acl("xgroup", 0, 0, 0, 0x8000, false),
    acl("xgroup|create", 2, 2, 1, 0x128000, false),
    acl("xgroup|createconsumer", 2, 2, 1, 0x128000, false),
    acl("xgroup|delconsumer", 2, 2, 1, 0x128000, false),
    acl("xgroup|destroy", 2, 2, 1, 0x128000, false),
    acl("xgroup|setid", 2, 2, 1, 0x128000, false),
    acl("xinfo", 0, 0, 0, 0x8000, false),
    acl("xinfo|consumers", 2, 2, 1, 0x29000, false),
    acl("xinfo|groups", 2, 2, 1, 0x29000, false),
    acl("xinfo|stream", 2, 2, 1, 0x29000, false),
    acl("xlen", 1, 1, 1, 0x21020, false),
    acl("xpending", 1, 1, 1, 0x29000, false),
    acl("xrange", 1, 1, 1, 0x29000, false),
    acl("xread", 0, 0, 0, 0x29004, true),
    acl("xreadgroup", 0, 0, 0, 0x128004, true),
    acl("xrevrange", 1, 1, 1, 0x29000, false),
    acl("xsetid", 1, 1, 1, 0x120020, false),
    acl("xtrim", 1, 1, 1, 0x128000, false),
    acl("zadd", 1, 1, 1, 0x110020, false),
    acl("zcard", 1, 1, 1, 0x11020, false),
    acl("zincrby", 1, 1, 1, 0x110020, false),
    acl("zmscore", 1, 1, 1, 0x11020, false),
    acl("zpopmax", 1, 1, 1, 0x110020, false),
    acl("zpopmin", 1, 1, 1, 0x110020, false),
    acl("zrange", 1, 1, 1, 0x19000, false),
    acl("zrank", 1, 1, 1, 0x11020, false),
    acl("zrem", 1, 1, 1, 0x110020, false),
    acl("zrevrange", 1, 1, 1, 0x19000, false),
    acl("zrevrank", 1, 1, 1, 0x11020, false),
    acl("zscore", 1, 1, 1, 0x11020, false),
];

#[cfg(test)]
mod tests {
    //! Expected replies are Redis 7.0.15's (its `unit/scripting` "Script ACL check" and
    //! `unit/acl` texts).
    use super::*;
    use crate::model::cmd::testing::{bulk, run};

    #[test]
    fn every_model_command_has_its_redis_facts() {
        let mut names = Vec::new();
        for spec in super::super::COMMANDS {
            names.push(spec.name);
            names.extend(spec.subcommands.iter().map(|s| s.name));
        }
        for name in names {
            assert!(
                table_entry(name).is_some(),
                "{name} missing from the ACL table"
            );
        }
        assert!(TABLE.windows(2).all(|w| w[0].name < w[1].name), "sorted");
    }

    #[test]
    fn key_positions_like_redis() {
        let argv = |s: &str| -> Vec<Bytes> {
            s.split(' ')
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect()
        };
        assert_eq!(key_indexes("set", &argv("set k v")), vec![1]);
        assert_eq!(key_indexes("mset", &argv("mset a 1 b 2")), vec![1, 3]);
        assert_eq!(key_indexes("del", &argv("del a b c")), vec![1, 2, 3]);
        assert_eq!(key_indexes("eval", &argv("eval s 2 a b x")), vec![3, 4]);
        assert_eq!(key_indexes("eval", &argv("eval s 9 a")), vec![3]);
        assert_eq!(
            key_indexes("xread", &argv("xread count 1 streams a b 0 0")),
            vec![4, 5]
        );
        assert_eq!(key_indexes("ping", &argv("ping")), Vec::<usize>::new());
    }

    #[test]
    fn users_commands_keys_and_auth() {
        let mut s = Server::new();
        let c = s.connect();
        assert_eq!(
            run(&mut s, c, 0, "AUTH x"),
            Frame::error(
                "ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?"
            )
        );
        assert_eq!(
            run(&mut s, c, 0, "ACL SETUSER bob on >123 +@scripting +set ~x*"),
            Frame::ok()
        );
        assert_eq!(
            run(&mut s, c, 0, "ACL SETUSER bob +nosuch"),
            Frame::error(
                "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name \
                 in ACL"
            )
        );
        assert_eq!(
            run(&mut s, c, 0, "AUTH bob 12"),
            Frame::error("WRONGPASS invalid username-password pair or user is disabled.")
        );
        assert_eq!(run(&mut s, c, 0, "AUTH bob 123"), Frame::ok());
        assert_eq!(run(&mut s, c, 0, "SET xx 1"), Frame::ok());
        assert_eq!(
            run(&mut s, c, 0, "SET yy 1"),
            Frame::error(
                "NOPERM this user has no permissions to access one of the keys used as arguments"
            )
        );
        assert_eq!(
            run(&mut s, c, 0, "GET xx"),
            Frame::error("NOPERM this user has no permissions to run the 'get' command")
        );
        let check = |s: &mut Server, body: &str| {
            let argv = [&b"EVAL"[..], body.as_bytes(), b"0"].map(Bytes::copy_from_slice);
            match s.execute(c, &argv, 0) {
                Reply::Frame(frame) => frame,
                Reply::Block(_) => unreachable!("EVAL does not block"),
            }
        };
        assert_eq!(
            check(&mut s, "return redis.acl_check_cmd('set','xx',1)"),
            Frame::Integer(1)
        );
        assert_eq!(
            check(&mut s, "return redis.acl_check_cmd('hset','xx','f',1)"),
            Frame::Null
        );
        assert_eq!(
            check(&mut s, "return redis.acl_check_cmd('set','yy',1)"),
            Frame::Null
        );
        let denied = check(&mut s, "return redis.call('set','yy',1)");
        assert!(
            matches!(&denied, Frame::Error(t) if t.starts_with("ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script:")),
            "{denied:?}"
        );
        assert_eq!(
            run(&mut s, c, 0, "ACL WHOAMI"),
            Frame::error("NOPERM this user has no permissions to run the 'acl|whoami' command")
        );
        assert_eq!(run(&mut s, c, 0, "AUTH default anything"), Frame::ok());
        assert_eq!(run(&mut s, c, 0, "ACL WHOAMI"), bulk("default"));
        assert_eq!(run(&mut s, c, 0, "GET xx"), bulk("1"));
        assert_eq!(
            run(&mut s, c, 0, "ACL DELUSER default"),
            Frame::error("ERR The 'default' user cannot be removed")
        );
        assert_eq!(
            run(&mut s, c, 0, "ACL DELUSER bob nobody"),
            Frame::Integer(1)
        );
    }
}
