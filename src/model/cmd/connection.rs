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
/// RESP2 only: `HELLO 3` answers NOPROTO, as a server without RESP3 would (Redis 7 has it; the
/// `redis` crate never asks for it unless configured to).
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
            let user = args.required().expect("counted");
            // The password is not checked: the default user is `nopass`, and the only user.
            args.required().expect("counted");
            if user.as_ref() != b"default" {
                return Frame::error(
                    "WRONGPASS invalid username-password pair or user is disabled.",
                )
                .into();
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
    fn hello_speaks_resp2_only() {
        let mut s = Server::new();
        let c = s.connect();
        let Frame::Array(map) = run(&mut s, c, 0, "HELLO 2 SETNAME app") else {
            panic!("HELLO 2")
        };
        assert_eq!(map[6..8], [bulk("id"), Frame::Integer(c as i64)]);
        assert_eq!(run(&mut s, c, 0, "CLIENT GETNAME"), bulk("app"));
        assert_eq!(
            run(&mut s, c, 0, "HELLO 3"),
            Frame::error("NOPROTO unsupported protocol version")
        );
        assert_eq!(
            run(&mut s, c, 0, "HELLO 2 LOUD"),
            Frame::error("ERR Syntax error in HELLO option 'LOUD'")
        );
    }
}
