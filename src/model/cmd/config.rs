//! CONFIG GET, SET, RESETSTAT and REWRITE over the server's [`Config`](crate::model::config::Config).
//!
//! Parameters are checked and stored by the config module; this file only parses the requests
//! and shapes the replies (RESP2 flattens CONFIG GET's map into pairs). It must never touch a
//! file: REWRITE answers as a server started without a config file does.

use crate::model::frame::Frame;
use crate::model::parse::ERR_SYNTAX;
use crate::model::server::{Call, Reply, Server};

/// ```text
/// CONFIG GET parameter [parameter ...]
/// ```
pub fn config_get(server: &mut Server, call: Call<'_>) -> Reply {
    let mut seen = std::collections::BTreeSet::new();
    let mut items = Vec::new();
    for pattern in &call.args[2..] {
        for (name, value) in server.config.matching(pattern) {
            if seen.insert(name.clone()) {
                items.push(Frame::bulk(name));
                items.push(Frame::bulk(value));
            }
        }
    }
    Frame::Array(items).into()
}

/// ```text
/// CONFIG SET parameter value [parameter value ...]
/// ```
/// All or nothing: one bad pair leaves every parameter as it was.
pub fn config_set(server: &mut Server, call: Call<'_>) -> Reply {
    if call.args.len() % 2 == 1 {
        return Frame::error(ERR_SYNTAX).into();
    }
    let pairs: Vec<(&[u8], &[u8])> = call.args[2..]
        .chunks_exact(2)
        .map(|pair| (&pair[0][..], &pair[1][..]))
        .collect();
    match server.config.set(&pairs) {
        Ok(()) => Frame::ok().into(),
        Err(text) => Frame::Error(text).into(),
    }
}

/// ```text
/// CONFIG RESETSTAT
/// ```
pub fn config_resetstat(server: &mut Server, _call: Call<'_>) -> Reply {
    server.stats = Default::default();
    server.commands_processed = 0;
    for db in server.dbs_mut() {
        db.expired = 0;
    }
    Frame::ok().into()
}

/// ```text
/// CONFIG REWRITE
/// ```
pub fn config_rewrite(_server: &mut Server, _call: Call<'_>) -> Reply {
    Frame::error("ERR The server is running without a config file").into()
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::testing::{bulk, run};
    use crate::model::frame::Frame;
    use crate::model::server::Server;

    #[test]
    fn get_set_and_errors() {
        let mut s = Server::new();
        let c = s.connect();
        assert_eq!(
            run(&mut s, c, 0, "CONFIG GET save"),
            Frame::Array(vec![bulk("save"), bulk("3600 1 300 100 60 10000")])
        );
        assert_eq!(
            run(&mut s, c, 0, "CONFIG SET lua-time-limit 10 maxmemory 0"),
            Frame::ok()
        );
        assert_eq!(
            run(&mut s, c, 0, "CONFIG GET busy-reply-threshold"),
            Frame::Array(vec![bulk("busy-reply-threshold"), bulk("10")])
        );
        assert_eq!(
            run(&mut s, c, 0, "CONFIG SET a"),
            Frame::error("ERR wrong number of arguments for 'config|set' command")
        );
        assert_eq!(run(&mut s, c, 0, "CONFIG GET nosuch"), Frame::Array(vec![]));
    }
}
