//! Connection and server commands: PING, ECHO, HELLO, CLIENT, ROLE, TIME, QUIT.
//!
//! These answer as a Redis 7.0.15 standalone primary with RESP2 only. They must
//! never read the process's own state (pid, wall clock, hostname): everything they report comes
//! from the [`Server`] and the call's `now_ms`, so a simulated run stays replayable.

use crate::model::frame::Frame;
use crate::model::parse::{self, is_keyword, Args};
use crate::model::server::{Call, Reply, Server};
use bytes::Bytes;

/// The version every reply that names one reports (HELLO, INFO).
pub const REDIS_VERSION: &str = "7.0.15";

/// ```text
/// PING [message]
/// ```
pub fn ping(_server: &mut Server, call: Call<'_>) -> Reply {
    match call.args {
        [_] => Frame::Simple("PONG".into()).into(),
        [_, message] => Frame::Bulk(message.clone()).into(),
        // Redis declares PING as `-1` and checks the upper bound itself.
        _ => Frame::error("ERR wrong number of arguments for 'ping' command").into(),
    }
}

/// ```text
/// ECHO message
/// ```
pub fn echo(_server: &mut Server, call: Call<'_>) -> Reply {
    Frame::Bulk(call.args[1].clone()).into()
}

/// ```text
/// HELLO [protover [AUTH username password] [SETNAME clientname]]
/// ```
/// `HELLO 3` switches the connection to RESP3 (maps and nulls; see `frame.rs`), `HELLO 2` back;
/// any other version answers NOPROTO, as Redis 7.0 does.
pub fn hello(server: &mut Server, call: Call<'_>) -> Reply {
    let mut args = Args::new(call.args, 1);
    let mut resp3 = None;
    if let Some(version) = args.next() {
        match parse::parse_i64(version) {
            None => {
                return Frame::error("ERR Protocol version is not an integer or out of range")
                    .into()
            }
            Some(2) => resp3 = Some(false),
            Some(3) => resp3 = Some(true),
            Some(_) => return Frame::error("NOPROTO unsupported protocol version").into(),
        }
    }
    while let Some(option) = args.next() {
        let more = args.remaining().len();
        if is_keyword(option, "AUTH") && more >= 2 {
            let (Some(user), Some(pass)) = (args.next(), args.next()) else {
                return Frame::error("ERR syntax error").into();
            };
            let login = crate::model::cmd::acl::login(server, call.client, user.clone(), pass);
            if matches!(login, Frame::Error(_)) {
                return login.into();
            }
        } else if is_keyword(option, "SETNAME") && more >= 1 {
            let name = args.required().expect("counted");
            if let Err(e) = set_client_name(server, call, name) {
                return e.into();
            }
        } else {
            let option = String::from_utf8_lossy(c_string(option));
            return Frame::error(format!("ERR Syntax error in HELLO option '{option}'")).into();
        }
    }
    if let Some(resp3) = resp3 {
        server.client(call.client).resp3 = resp3;
    }
    let proto = if server.client(call.client).resp3 {
        3
    } else {
        2
    };
    hello_map(call.client, proto, server.repl.is_replica()).into()
}

/// HELLO's reply: a map, which RESP2 flattens into an array of alternating keys and values;
/// `role` is `replica` on a replica, as Redis's `helloCommand` says.
fn hello_map(client: u64, proto: i64, replica: bool) -> Frame {
    let text = |s: &'static str| Frame::bulk(s);
    Frame::Map(vec![
        text("server"),
        text("redis"),
        text("version"),
        text(REDIS_VERSION),
        text("proto"),
        Frame::Integer(proto),
        text("id"),
        Frame::Integer(client as i64),
        text("mode"),
        text("standalone"),
        text("role"),
        text(if replica { "replica" } else { "master" }),
        text("modules"),
        Frame::Array(vec![]),
    ])
}

/// ```text
/// CLIENT SETNAME connection-name
/// ```
pub fn client_setname(server: &mut Server, call: Call<'_>) -> Reply {
    match set_client_name(server, call, &call.args[2]) {
        Ok(()) => Frame::ok().into(),
        Err(e) => e.into(),
    }
}

/// An empty name removes the name; a name with spaces or control characters is refused.
fn set_client_name(server: &mut Server, call: Call<'_>, name: &Bytes) -> Result<(), Frame> {
    if name.iter().any(|b| !(b'!'..=b'~').contains(b)) {
        return Err(Frame::error(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    server.client(call.client).name = (!name.is_empty()).then(|| name.clone());
    Ok(())
}

/// ```text
/// CLIENT GETNAME
/// ```
pub fn client_getname(server: &mut Server, call: Call<'_>) -> Reply {
    match &server.client(call.client).name {
        Some(name) => Frame::Bulk(name.clone()).into(),
        None => Frame::Null.into(),
    }
}

/// ```text
/// CLIENT ID
/// ```
pub fn client_id(_server: &mut Server, call: Call<'_>) -> Reply {
    Frame::Integer(call.client as i64).into()
}

/// ```text
/// CLIENT KILL ip:port
/// CLIENT KILL [ID client-id] [TYPE normal|master|slave|replica|pubsub] [SKIPME yes|no] ...
/// ```
/// Marks the matching clients killed (their connections close without a reply) and answers how
/// many. The model keeps no client addresses, so the old form finds no client and `ADDR`,
/// `LADDR` and `USER` match none. Sentinel sends `CLIENT KILL TYPE normal` with every
/// `SLAVEOF`, so the clients of a server it moved reconnect and ask again.
pub fn client_kill(server: &mut Server, call: Call<'_>) -> Reply {
    let args = &call.args[2..];
    if args.len() == 1 {
        return Frame::error("ERR No such client").into();
    }
    if !args.len().is_multiple_of(2) {
        return Frame::error("ERR syntax error").into();
    }
    let mut id = None;
    let mut kind: Option<&str> = None;
    let mut skip_me = true;
    let mut matches_none = false;
    for pair in args.chunks(2) {
        let value = String::from_utf8_lossy(&pair[1]).to_ascii_lowercase();
        match pair[0].to_ascii_lowercase().as_slice() {
            b"id" => match value.parse::<u64>() {
                Ok(n) if n > 0 => id = Some(n),
                _ => return Frame::error("ERR client-id should be greater than 0").into(),
            },
            b"type" => {
                kind = Some(match value.as_str() {
                    "normal" => "normal",
                    "master" => "master",
                    "slave" | "replica" => "replica",
                    "pubsub" => "pubsub",
                    _ => {
                        let raw = String::from_utf8_lossy(&pair[1]);
                        return Frame::error(format!("ERR Unknown client type '{raw}'")).into();
                    }
                })
            }
            b"skipme" => match value.as_str() {
                "yes" => skip_me = true,
                "no" => skip_me = false,
                _ => return Frame::error("ERR syntax error").into(),
            },
            b"addr" | b"laddr" | b"user" => matches_none = true,
            b"maxage" => {}
            _ => return Frame::error("ERR syntax error").into(),
        }
    }
    let victims: Vec<_> = server
        .clients
        .keys()
        .copied()
        .filter(|_| !matches_none)
        .filter(|c| !(skip_me && *c == call.client))
        .filter(|c| id.is_none_or(|id| id == *c))
        .filter(|c| {
            let replica = server.repl.replicas.contains_key(c);
            match kind {
                None => true,
                Some("normal") => !replica,
                Some("replica") => replica,
                // No pub/sub, and a replica's link to its primary is not a served connection.
                Some(_) => false,
            }
        })
        .collect();
    let count = victims.len();
    server.killed.extend(victims);
    Frame::Integer(count as i64).into()
}

/// ```text
/// TIME
/// ```
/// The call's time (the simulation's clock in a simulation), as seconds and microseconds.
pub fn time(_server: &mut Server, call: Call<'_>) -> Reply {
    Frame::Array(vec![
        Frame::bulk((call.now_ms / 1000).to_string()),
        Frame::bulk((call.now_ms % 1000 * 1000).to_string()),
    ])
    .into()
}

/// ```text
/// QUIT
/// ```
/// Answers OK; the connection closes once the reply is written.
pub fn quit(server: &mut Server, call: Call<'_>) -> Reply {
    server.client(call.client).close_after_reply = true;
    Frame::ok().into()
}

/// The bytes up to the first NUL: Redis prints C strings in some error texts.
pub(crate) fn c_string(arg: &[u8]) -> &[u8] {
    arg.split(|b| *b == 0).next().unwrap_or(arg)
}

/// ```text
/// CLUSTER subcommand [argument ...]
/// ```
/// The model is a standalone server, as Redis with `cluster-enabled no`.
pub fn cluster(_server: &mut Server, _call: Call<'_>) -> Reply {
    Frame::error("ERR This instance has cluster support disabled").into()
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::testing::{bulk, run};
    use crate::model::frame::Frame;
    use crate::model::server::Server;

    #[test]
    fn hello_speaks_resp2_and_resp3() {
        let mut s = Server::new();
        let c = s.connect();
        let Frame::Map(map) = run(&mut s, c, 0, "HELLO 2 SETNAME app") else {
            panic!("HELLO 2")
        };
        assert_eq!(
            map[4..8],
            [
                bulk("proto"),
                Frame::Integer(2),
                bulk("id"),
                Frame::Integer(c as i64)
            ]
        );
        assert_eq!(run(&mut s, c, 0, "CLIENT GETNAME"), bulk("app"));
        let Frame::Map(map) = run(&mut s, c, 0, "HELLO 3") else {
            panic!("HELLO 3")
        };
        assert_eq!(map[4..6], [bulk("proto"), Frame::Integer(3)]);
        assert_eq!(
            run(&mut s, c, 0, "HELLO 4"),
            Frame::error("NOPROTO unsupported protocol version")
        );
        assert_eq!(
            run(&mut s, c, 0, "HELLO 2 LOUD"),
            Frame::error("ERR Syntax error in HELLO option 'LOUD'")
        );
    }
}
