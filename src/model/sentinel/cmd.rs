//! The commands a Sentinel answers on its port: what clients (the pipeline's connector, the
//! worlds' topology code) and the other Sentinels send.
//!
//! ```text
//! PING
//! SENTINEL GET-MASTER-ADDR-BY-NAME <name>
//! SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid|*>
//! SENTINEL MASTER <name> | MASTERS | REPLICAS <name> | SLAVES <name> | SENTINELS <name> | MYID
//! PUBLISH __sentinel__:hello <payload>
//! ROLE
//! CLIENT SETNAME ...          (CLIENT SETINFO, which clients send, is refused as 7.0 does)
//! ```
//!
//! Replies and error texts follow Redis 7.0.15 in Sentinel mode. It must never send anything or
//! read a clock: it answers from the state, with time as an argument.

use super::state::{InstanceAddr, Sentinel, HELLO_CHANNEL};
use crate::model::frame::Frame;
use bytes::Bytes;

/// Answers one request.
pub fn execute(sentinel: &mut Sentinel, args: &[Bytes], now_ms: u64) -> Frame {
    let words: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let Some(name) = words.first() else {
        return Frame::error("ERR empty command");
    };
    match name.to_ascii_uppercase().as_str() {
        "PING" => Frame::Simple("PONG".into()),
        "SENTINEL" => sentinel_command(sentinel, &words, now_ms),
        "PUBLISH" => publish(sentinel, &words, now_ms),
        "ROLE" => Frame::Array(vec![
            Frame::bulk("sentinel"),
            Frame::Array(vec![Frame::bulk(sentinel.config().master_name.clone())]),
        ]),
        "CLIENT" => client(&words),
        _ => unknown_command(&words),
    }
}

fn unknown_command(words: &[String]) -> Frame {
    let args: String = words[1..].iter().map(|w| format!("'{w}' ")).collect();
    Frame::error(format!(
        "ERR unknown command '{}', with args beginning with: {args}",
        words[0]
    ))
}

fn wrong_arity(words: &[String]) -> Frame {
    Frame::error(format!(
        "ERR wrong number of arguments for '{}' command",
        words
            .iter()
            .take(2)
            .map(|w| w.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("|")
    ))
}

fn client(words: &[String]) -> Frame {
    match words.get(1).map(|w| w.to_ascii_uppercase()).as_deref() {
        // Redis 7.0 has no CLIENT SETINFO (the `redis` crate ignores the refusal).
        Some("SETNAME") => Frame::ok(),
        _ => Frame::error(format!(
            "ERR unknown subcommand '{}'. Try CLIENT HELP.",
            words.get(1).cloned().unwrap_or_default()
        )),
    }
}

fn publish(sentinel: &mut Sentinel, words: &[String], now_ms: u64) -> Frame {
    let [_, channel, payload] = words else {
        return wrong_arity(words);
    };
    if channel == HELLO_CHANNEL {
        sentinel.on_hello(payload, now_ms);
    }
    // Sentinel has no subscribers of its own: nobody received it.
    Frame::Integer(0)
}

fn sentinel_command(sentinel: &mut Sentinel, words: &[String], now_ms: u64) -> Frame {
    let Some(sub) = words.get(1) else {
        return wrong_arity(words);
    };
    let args = &words[2..];
    match (sub.to_ascii_uppercase().as_str(), args.len()) {
        ("GET-MASTER-ADDR-BY-NAME", 1) => {
            if args[0] != sentinel.config().master_name {
                return Frame::NullArray;
            }
            let addr = sentinel.current_master_addr();
            Frame::Array(vec![
                Frame::bulk(addr.host.clone()),
                Frame::bulk(addr.port.to_string()),
            ])
        }
        ("IS-MASTER-DOWN-BY-ADDR", 4) => is_master_down_by_addr(sentinel, args, now_ms),
        ("MASTER", 1) => match known_master(sentinel, &args[0]) {
            Ok(()) => master_fields(sentinel, now_ms),
            Err(e) => e,
        },
        ("MASTERS", 0) => Frame::Array(vec![master_fields(sentinel, now_ms)]),
        ("REPLICAS" | "SLAVES", 1) => match known_master(sentinel, &args[0]) {
            Ok(()) => Frame::Array(
                sentinel
                    .replica_fields(now_ms)
                    .into_iter()
                    .map(fields_frame)
                    .collect(),
            ),
            Err(e) => e,
        },
        ("SENTINELS", 1) => match known_master(sentinel, &args[0]) {
            Ok(()) => Frame::Array(
                sentinel
                    .sentinel_fields(now_ms)
                    .into_iter()
                    .map(fields_frame)
                    .collect(),
            ),
            Err(e) => e,
        },
        ("MYID", 0) => Frame::bulk(sentinel.config().run_id.clone()),
        (
            "GET-MASTER-ADDR-BY-NAME"
            | "IS-MASTER-DOWN-BY-ADDR"
            | "MASTER"
            | "MASTERS"
            | "REPLICAS"
            | "SLAVES"
            | "SENTINELS"
            | "MYID",
            _,
        ) => wrong_arity(words),
        _ => Frame::error(format!(
            "ERR unknown subcommand '{sub}'. Try SENTINEL HELP."
        )),
    }
}

fn known_master(sentinel: &Sentinel, name: &str) -> Result<(), Frame> {
    if name == sentinel.config().master_name {
        Ok(())
    } else {
        Err(Frame::error("ERR No such master with that name"))
    }
}

/// `SENTINEL is-master-down-by-addr`: our view of the master at that address, and our vote when
/// a run id asks for one.
fn is_master_down_by_addr(sentinel: &mut Sentinel, args: &[String], now_ms: u64) -> Frame {
    let (Ok(port), Ok(req_epoch)) = (args[1].parse::<u16>(), args[2].parse::<u64>()) else {
        return Frame::error("ERR value is not an integer or out of range");
    };
    let addr = InstanceAddr::new(args[0].clone(), port);
    let watched = *sentinel.master_addr() == addr;
    let is_down = watched && sentinel.master_s_down();
    let mut leader = None;
    let mut leader_epoch = 0;
    if watched && args[3] != "*" {
        let (vote, epoch) = sentinel.vote_leader(req_epoch, &args[3], now_ms);
        leader = vote;
        leader_epoch = epoch;
    }
    Frame::Array(vec![
        Frame::Integer(i64::from(is_down)),
        Frame::bulk(leader.unwrap_or_else(|| "*".to_string())),
        Frame::Integer(leader_epoch as i64),
    ])
}

fn master_fields(sentinel: &Sentinel, now_ms: u64) -> Frame {
    fields_frame(sentinel.master_fields(now_ms))
}

fn fields_frame(fields: Vec<(&'static str, String)>) -> Frame {
    Frame::Array(
        fields
            .into_iter()
            .flat_map(|(k, v)| [Frame::bulk(k), Frame::bulk(v)])
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sentinel::state::SentinelConfig;

    fn sentinel() -> Sentinel {
        let mut cfg = SentinelConfig::new(
            InstanceAddr::new("sentinel-1", 26379),
            InstanceAddr::new("redis", 6379),
            2,
            1,
        );
        cfg.known_replicas = vec![InstanceAddr::new("replica-1", 6379)];
        cfg.known_sentinels = vec![
            InstanceAddr::new("sentinel-2", 26379),
            InstanceAddr::new("sentinel-3", 26379),
        ];
        Sentinel::new(cfg, 0)
    }

    fn run(s: &mut Sentinel, words: &[&str]) -> Frame {
        let args: Vec<Bytes> = words.iter().map(|w| Bytes::from(w.to_string())).collect();
        execute(s, &args, 0)
    }

    #[test]
    fn get_master_addr_names_the_master_or_nil() {
        let mut s = sentinel();
        assert_eq!(
            run(&mut s, &["SENTINEL", "get-master-addr-by-name", "mymaster"]),
            Frame::Array(vec![Frame::bulk("redis"), Frame::bulk("6379")])
        );
        assert_eq!(
            run(&mut s, &["sentinel", "GET-MASTER-ADDR-BY-NAME", "other"]),
            Frame::NullArray
        );
    }

    #[test]
    fn a_vote_is_given_once_per_epoch() {
        let mut s = sentinel();
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let ask = |s: &mut Sentinel, epoch: &str, runid: &str| {
            run(
                s,
                &[
                    "SENTINEL",
                    "is-master-down-by-addr",
                    "redis",
                    "6379",
                    epoch,
                    runid,
                ],
            )
        };
        let vote = |runid: &str, epoch: i64| {
            Frame::Array(vec![
                Frame::Integer(0),
                Frame::bulk(runid.to_string()),
                Frame::Integer(epoch),
            ])
        };
        assert_eq!(ask(&mut s, "1", &a), vote(&a, 1));
        assert_eq!(ask(&mut s, "1", &b), vote(&a, 1), "the epoch-1 vote stands");
        assert_eq!(ask(&mut s, "2", &b), vote(&b, 2), "a new epoch, a new vote");
        assert_eq!(
            ask(&mut s, "1", &a),
            vote(&b, 2),
            "an old epoch gets the current vote"
        );
        assert_eq!(
            ask(&mut s, "3", "*"),
            Frame::Array(vec![Frame::Integer(0), Frame::bulk("*"), Frame::Integer(0)]),
            "no run id, no vote"
        );
    }

    #[test]
    fn unknown_names_and_arity_errors_read_as_redis() {
        let mut s = sentinel();
        assert_eq!(
            run(&mut s, &["SENTINEL", "master", "nope"]),
            Frame::error("ERR No such master with that name")
        );
        assert_eq!(
            run(&mut s, &["SENTINEL", "bogus"]),
            Frame::error("ERR unknown subcommand 'bogus'. Try SENTINEL HELP.")
        );
        assert_eq!(run(&mut s, &["PING"]), Frame::Simple("PONG".into()));
    }
}
