//! Replication commands: REPLICAOF (SLAVEOF), ROLE, WAIT, and the replica's side of the
//! handshake, REPLCONF and PSYNC (Redis 7.0.15's `replication.c`).
//!
//! The handlers change `model::replication`'s state and answer; moving bytes is the network
//! adapter's job (`net/replication.rs`): it hands a connection that PSYNCed over to the feed
//! loop, and runs the replica's link to its primary.

use crate::model::frame::Frame;
use crate::model::parse::{is_keyword, parse_i64, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::model::replication::{
    encode_snapshot, psync_reply, LinkState, Psync, Replica, ReplicaState, ERR_WAIT_ON_REPLICA,
    WAIT_KEY,
};
use crate::model::server::{Block, Call, Reply, Server};
use bytes::Bytes;

/// ```text
/// REPLICAOF host port | REPLICAOF NO ONE
/// ```
/// Follows a new primary, or becomes one. Moving a server drops the clients blocked on it, as
/// Redis's `disconnectAllBlockedClients` (the network adapter does that: the generation moved).
pub fn replicaof(server: &mut Server, call: Call<'_>) -> Reply {
    let (host, port) = (&call.args[1], &call.args[2]);
    if is_keyword(host, "no") && is_keyword(port, "one") {
        server.repl.unset_master();
        return Frame::ok().into();
    }
    if server.repl.replicas.contains_key(&call.client) {
        return Frame::error("ERR Command is not valid when client is a replica.").into();
    }
    let port = match parse_i64(port) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Frame::error("ERR Invalid master port").into(),
    };
    let host = String::from_utf8_lossy(host).into_owned();
    if !server.repl.set_master(&host, port) {
        return Frame::Simple("OK Already connected to specified master".into()).into();
    }
    Frame::ok().into()
}

/// ```text
/// ROLE
/// ```
/// A primary: `master`, its offset, and `[ip, port, acked offset]` per online replica. A
/// replica: `slave`, its primary, the link's state and the offset it applied (-1 unlinked).
pub fn role(server: &mut Server, _call: Call<'_>) -> Reply {
    let repl = &server.repl;
    let Some(link) = &repl.master else {
        let replicas = repl
            .replicas
            .values()
            .filter(|r| r.state == ReplicaState::Online)
            .map(|r| {
                Frame::Array(vec![
                    Frame::bulk(r.ip.clone()),
                    Frame::bulk(r.listening_port.to_string()),
                    Frame::bulk(r.ack_offset.to_string()),
                ])
            })
            .collect();
        return Frame::Array(vec![
            Frame::bulk("master"),
            Frame::Integer(repl.offset as i64),
            Frame::Array(replicas),
        ])
        .into();
    };
    let offset = if link.client.is_some() {
        repl.offset as i64
    } else {
        -1
    };
    Frame::Array(vec![
        Frame::bulk("slave"),
        Frame::bulk(link.host.clone()),
        Frame::Integer(link.port as i64),
        Frame::bulk(link.state.role_name()),
        Frame::Integer(offset),
    ])
    .into()
}

/// ```text
/// WAIT numreplicas timeout
/// ```
/// How many replicas acknowledged this client's last write; blocks (in the network adapter)
/// until `numreplicas` did or `timeout` ms passed (0: forever), asking the replicas for an ACK.
pub fn wait(server: &mut Server, call: Call<'_>) -> Reply {
    if server.repl.is_replica() {
        return Frame::error(ERR_WAIT_ON_REPLICA).into();
    }
    let Some(wanted) = parse_i64(&call.args[1]) else {
        return Frame::error(ERR_NOT_INTEGER).into();
    };
    let timeout_ms = match parse_i64(&call.args[2]) {
        None => return Frame::error("ERR timeout is not an integer or out of range").into(),
        Some(t) if t < 0 => return Frame::error("ERR timeout is negative").into(),
        Some(t) => t as u64,
    };
    let woff = server.client(call.client).woff;
    let acked = server.repl.acks_at_least(woff) as i64;
    if acked >= wanted || !call.may_block() {
        return Frame::Integer(acked).into();
    }
    if call.context == crate::model::server::Context::Client {
        server.repl.ack_requested = true;
    }
    // A re-run after an ACK answers the same way; the adapter keeps the first deadline.
    let deadline_ms = (timeout_ms > 0).then(|| call.now_ms + timeout_ms);
    Reply::Block(Block {
        keys: vec![Bytes::from_static(WAIT_KEY)],
        deadline_ms,
        timeout_reply: Frame::Integer(acked),
    })
}

/// ```text
/// REPLCONF listening-port <port> | ip-address <ip> | capa <capa> ... | ACK <offset> | GETACK *
/// ```
/// The replica's half of the handshake, and its acknowledgements. `ACK` records the offset a
/// replica applied and wakes the clients in WAIT (the feed loop discards its reply: Redis sends
/// none).
pub fn replconf(server: &mut Server, call: Call<'_>) -> Reply {
    let args = &call.args[1..];
    if args.len() % 2 == 1 {
        return Frame::error(ERR_SYNTAX).into();
    }
    for pair in args.chunks_exact(2) {
        let (option, value) = (&pair[0], &pair[1]);
        if is_keyword(option, "listening-port") {
            let Some(port) = parse_i64(value).filter(|p| (0..=65535).contains(p)) else {
                return Frame::error(ERR_NOT_INTEGER).into();
            };
            server.client(call.client).replica_port = Some(port as u16);
        } else if is_keyword(option, "ip-address") {
            server.client(call.client).announced_ip =
                Some(String::from_utf8_lossy(value).into_owned());
        } else if is_keyword(option, "capa") || is_keyword(option, "getack") {
            // Every replica of the model speaks PSYNC2 and EOF transfers; GETACK is the
            // replica's to answer (its link does).
        } else if is_keyword(option, "ack") {
            let Some(offset) = parse_i64(value).filter(|o| *o >= 0) else {
                return Frame::error(ERR_NOT_INTEGER).into();
            };
            ack(server, call.client, offset as u64, call.now_ms);
        } else {
            let option = String::from_utf8_lossy(option);
            return Frame::error(format!("ERR Unrecognized REPLCONF option: {option}")).into();
        }
    }
    Frame::ok().into()
}

fn ack(server: &mut Server, client: u64, offset: u64, now_ms: u64) {
    let Some(replica) = server.repl.replicas.get_mut(&client) else {
        return;
    };
    replica.ack_offset = replica.ack_offset.max(offset);
    replica.ack_time_ms = now_ms;
    // Redis puts a diskless replica online at its first ACK.
    replica.state = ReplicaState::Online;
    server.keyspace.signal(WAIT_KEY);
}

/// ```text
/// PSYNC replid offset
/// ```
/// A replica asks for the stream from `offset`: `+CONTINUE` when this server still holds it,
/// else `+FULLRESYNC` and a snapshot taken now. The connection becomes a replica: its network
/// adapter sends the snapshot and then the stream.
pub fn psync(server: &mut Server, call: Call<'_>) -> Reply {
    if server.repl.is_replica() {
        // Chained replication is not modelled: a replica serves no replicas of its own.
        return Frame::error("NOMASTERLINK Can't SYNC while not connected with my master").into();
    }
    let replid = String::from_utf8_lossy(&call.args[1]).into_owned();
    let from = parse_i64(&call.args[2])
        .filter(|o| *o > 0)
        .map(|o| o as u64);
    let decision = server.repl.psync(&replid, from);
    let state = server.client(call.client).clone();
    let ip = state
        .announced_ip
        .or(state.peer)
        .unwrap_or_else(|| "?".into());
    let (next, snapshot) = match &decision {
        Psync::Full { offset, .. } => (offset + 1, Some(encode_snapshot(&server.all_dbs()))),
        Psync::Partial { from, .. } => (*from, None),
    };
    let replica = Replica {
        ip,
        listening_port: state.replica_port.unwrap_or(0),
        state: if snapshot.is_some() {
            ReplicaState::SendBulk
        } else {
            ReplicaState::Online
        },
        ack_offset: next - 1,
        ack_time_ms: call.now_ms,
        next,
        snapshot,
    };
    server.repl.replicas.insert(call.client, replica);
    psync_reply(&decision).into()
}

/// INFO's `# Replication` section, field by field as Redis 7.0.15's `genRedisInfoString`.
pub fn info_fields(server: &Server, now_ms: u64) -> Vec<(String, String)> {
    let repl = &server.repl;
    let secs = |ms: u64| (now_ms / 1000).saturating_sub(ms / 1000).to_string();
    let mut f: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| f.push((k.to_string(), v));
    put(
        "role",
        if repl.is_replica() { "slave" } else { "master" }.into(),
    );
    if let Some(link) = &repl.master {
        let up = link.state == LinkState::Connected;
        put("master_host", link.host.clone());
        put("master_port", link.port.to_string());
        put("master_link_status", if up { "up" } else { "down" }.into());
        let last_io = match link.client {
            Some(_) => secs(link.last_io_ms),
            None => "-1".into(),
        };
        put("master_last_io_seconds_ago", last_io);
        let syncing = link.state == LinkState::Transfer;
        put("master_sync_in_progress", (syncing as u8).to_string());
        put("slave_read_repl_offset", repl.offset.to_string());
        put("slave_repl_offset", repl.offset.to_string());
        if !up {
            let since = link.down_since_ms.map_or("-1".into(), secs);
            put("master_link_down_since_seconds", since);
        }
        put("slave_priority", "100".into());
        let read_only = server.config.get("replica-read-only") == "yes";
        put("slave_read_only", (read_only as u8).to_string());
        put("replica_announced", "1".into());
    }
    put("connected_slaves", repl.replicas.len().to_string());
    let needed = server.config.int("min-replicas-to-write");
    let max_lag_s = server.config.int("min-replicas-max-lag");
    if needed > 0 && max_lag_s > 0 {
        let good = repl.good_replicas(now_ms, max_lag_s as u64);
        put("min_slaves_good_slaves", good.to_string());
    }
    for (i, r) in repl.replicas.values().enumerate() {
        let (state, lag) = match r.state {
            ReplicaState::SendBulk => ("send_bulk", "0".to_string()),
            ReplicaState::Online => ("online", secs(r.ack_time_ms)),
        };
        let line = format!(
            "ip={},port={},state={state},offset={},lag={lag}",
            r.ip, r.listening_port, r.ack_offset
        );
        put(&format!("slave{i}"), line);
    }
    put("master_failover_state", "no-failover".into());
    put("master_replid", repl.replid.clone());
    put("master_replid2", repl.replid2.clone());
    put("master_repl_offset", repl.offset.to_string());
    put("second_repl_offset", repl.second_offset.to_string());
    let (active, first, histlen) = match &repl.backlog {
        Some(b) => (1, b.first, b.histlen),
        None => (0, 0, 0),
    };
    put("repl_backlog_active", active.to_string());
    put("repl_backlog_size", server.backlog_size().to_string());
    put("repl_backlog_first_byte_offset", first.to_string());
    put("repl_backlog_histlen", histlen.to_string());
    f
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::testing::{args, bulk, run};
    use crate::model::frame::Frame;
    use crate::model::replication::{decode_snapshot, encode_snapshot, ERR_READONLY};
    use crate::model::server::{Reply, Server};

    #[test]
    fn a_fresh_server_is_a_primary_without_replicas() {
        let mut s = Server::new();
        let c = s.connect();
        assert_eq!(
            run(&mut s, c, 0, "ROLE"),
            Frame::Array(vec![
                bulk("master"),
                Frame::Integer(0),
                Frame::Array(vec![])
            ])
        );
        assert_eq!(run(&mut s, c, 0, "WAIT 0 0"), Frame::Integer(0));
        // Nobody replicates: WAIT 1 blocks until its timeout and answers 0 then.
        match s.execute(c, &args("WAIT 1 100"), 0) {
            Reply::Block(b) => assert_eq!(
                (b.deadline_ms, b.timeout_reply),
                (Some(100), Frame::Integer(0))
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn replicaof_moves_the_server_and_a_replica_refuses_writes() {
        let mut s = Server::new();
        let c = s.connect();
        assert_eq!(run(&mut s, c, 0, "REPLICAOF redis 6379"), Frame::ok());
        assert_eq!(
            run(&mut s, c, 0, "SLAVEOF redis 6379"),
            Frame::Simple("OK Already connected to specified master".into())
        );
        assert_eq!(
            run(&mut s, c, 0, "ROLE"),
            Frame::Array(vec![
                bulk("slave"),
                bulk("redis"),
                Frame::Integer(6379),
                bulk("connect"),
                Frame::Integer(-1)
            ])
        );
        assert_eq!(run(&mut s, c, 0, "SET k v"), Frame::error(ERR_READONLY));
        assert_eq!(
            run(&mut s, c, 0, "WAIT 1 0"),
            Frame::error(crate::model::replication::ERR_WAIT_ON_REPLICA)
        );
        run(&mut s, c, 0, "MULTI");
        assert_eq!(run(&mut s, c, 0, "SET k v"), Frame::error(ERR_READONLY));
        assert_eq!(
            run(&mut s, c, 0, "EXEC"),
            Frame::error("EXECABORT Transaction discarded because of previous errors.")
        );
        assert_eq!(
            run(&mut s, c, 0, "REPLICAOF redis notaport"),
            Frame::error("ERR Invalid master port")
        );
        let replid = s.repl.replid.clone();
        assert_eq!(run(&mut s, c, 0, "REPLICAOF NO ONE"), Frame::ok());
        assert_eq!(s.repl.replid2, replid, "the old history is kept as replid2");
        assert_eq!(s.repl.second_offset, 1);
        assert_eq!(run(&mut s, c, 0, "SET k v"), Frame::ok());
    }

    #[test]
    fn min_replicas_to_write_refuses_writes_without_good_replicas() {
        let mut s = Server::new();
        let c = s.connect();
        run(&mut s, c, 0, "CONFIG SET min-replicas-to-write 1");
        let refused = Frame::error(crate::model::replication::ERR_NOREPLICAS);
        assert_eq!(run(&mut s, c, 0, "SET k v"), refused);
        assert_eq!(run(&mut s, c, 0, "GET k"), Frame::Null);
        // A replica that acks keeps writes allowed until its ACK is older than the max lag.
        let r = s.connect();
        run(&mut s, r, 0, "REPLCONF listening-port 7000");
        let full = run(&mut s, r, 0, "PSYNC ? -1");
        assert!(
            matches!(&full, Frame::Simple(t) if t.starts_with("FULLRESYNC ")),
            "{full:?}"
        );
        run(&mut s, r, 500, "REPLCONF ACK 0");
        assert_eq!(run(&mut s, c, 1_000, "SET k v"), Frame::ok());
        assert_eq!(run(&mut s, c, 10_999, "SET k v"), Frame::ok());
        assert_eq!(run(&mut s, c, 11_000, "SET k v"), refused);
    }

    #[test]
    fn writes_are_propagated_in_order_and_transactions_as_one_block() {
        let mut s = Server::new();
        let c = s.connect();
        run(&mut s, c, 0, "SET before-replicas 1");
        assert_eq!(s.repl.offset, 0, "no backlog, no replica: nothing is fed");
        let r = s.connect();
        run(&mut s, r, 0, "PSYNC ? -1");
        let start = s.repl.offset;
        run(&mut s, c, 5, "SET a 1");
        run(&mut s, c, 5, "GET a");
        run(&mut s, c, 5, "DEL missing");
        run(&mut s, c, 5, "MULTI");
        run(&mut s, c, 5, "INCR n");
        run(&mut s, c, 5, "SELECT 2");
        run(&mut s, c, 5, "SET b 2");
        run(&mut s, c, 5, "EXEC");
        let stream = s
            .repl
            .backlog
            .as_ref()
            .unwrap()
            .read_from(start + 1)
            .unwrap();
        let text = String::from_utf8(stream).unwrap().replace("\r\n", " ");
        assert_eq!(
            text,
            "*3 $8 REPLCONF $5 CLOCK $1 5 *2 $6 SELECT $1 0 *3 $3 SET $1 a $1 1 \
             *2 $3 DEL $7 missing \
             *1 $5 MULTI *2 $4 INCR $1 n *2 $6 SELECT $1 2 *3 $3 SET $1 b $1 2 *1 $4 EXEC "
        );
        assert_eq!(s.clients[&c].woff, s.repl.offset);
    }

    #[test]
    fn a_snapshot_round_trips_every_type() {
        let mut s = Server::new();
        let c = s.connect();
        for cmd in [
            "SET s v",
            "PEXPIRE s 5000",
            "HSET h f1 v1 f2 v2",
            "SADD set b a",
            "RPUSH l x y",
            "ZADD z 1.5 a -inf b",
            "XADD st 1-1 f v",
            "XADD st 2-1 g w",
            "XDEL st 1-1",
            "XGROUP CREATE st g 0",
            "XREADGROUP GROUP g alice COUNT 1 STREAMS st >",
            "XGROUP CREATECONSUMER st g bob",
            "SELECT 3",
            "SET other db",
        ] {
            let reply = run(&mut s, c, 10, cmd);
            assert!(!matches!(reply, Frame::Error(_)), "{cmd}: {reply:?}");
        }
        let bytes = encode_snapshot(&s.all_dbs());
        let dbs = decode_snapshot(&bytes, crate::model::server::DATABASES).unwrap();
        let mut copy = Server::new();
        copy.load_dbs(dbs);
        assert_eq!(encode_snapshot(&copy.all_dbs()), bytes);
        let d = copy.connect();
        for (cmd, want) in [
            ("PTTL s", Frame::Integer(4990)),
            ("XLEN st", Frame::Integer(1)),
        ] {
            assert_eq!(run(&mut copy, d, 20, cmd), want, "{cmd}");
        }
        let info = run(&mut copy, d, 20, "XINFO STREAM st");
        let original = run(&mut s, c, 20, "SELECT 0");
        assert_eq!(original, Frame::ok());
        assert_eq!(run(&mut s, c, 20, "XINFO STREAM st"), info);
        assert_eq!(
            run(&mut copy, d, 20, "XPENDING st g"),
            run(&mut s, c, 20, "XPENDING st g")
        );
    }
}
