//! Model throughput: `Server::execute` in-process (the simulation's cost per command), and the
//! TCP path with pipelined requests, next to a real `redis-server` when one is installed.
//!
//! `cargo bench --bench model`. Throughput is reported in commands per second.

#[path = "../tests/support/mod.rs"]
mod support;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use outbox_chaos::model::server::{Reply, Server};

/// Commands per measured batch.
const BATCH: usize = 1000;

fn req(parts: &[&str]) -> Vec<Bytes> {
    support::req(parts)
}

/// The pipeline's simple commands, over a small keyspace: SET, GET, HSET, INCRBY in equal parts.
fn mix() -> Vec<Vec<Bytes>> {
    (0..BATCH)
        .map(|i| {
            let (k, h, f, c) = (
                format!("k{}", i % 100),
                format!("h{}", i % 50),
                format!("f{}", i % 10),
                format!("c{}", i % 10),
            );
            match i % 4 {
                0 => req(&["SET", &k, "some-value"]),
                1 => req(&["GET", &k]),
                2 => req(&["HSET", &h, &f, "v"]),
                _ => req(&["INCRBY", &c, "1"]),
            }
        })
        .collect()
}

fn in_process(c: &mut Criterion) {
    let requests = mix();
    let mut group = c.benchmark_group("execute");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("set_get_hset_incrby", |b| {
        let mut server = Server::new();
        let client = server.connect();
        let mut now_ms = 1_700_000_000_000;
        b.iter(|| {
            now_ms += 1;
            for args in &requests {
                criterion::black_box(server.execute(client, args, now_ms));
            }
        })
    });
    group.bench_function("set_get_hset_incrby_encoded", |b| {
        let mut server = Server::new();
        let client = server.connect();
        let mut out = Vec::with_capacity(64 * 1024);
        b.iter(|| {
            out.clear();
            for args in &requests {
                if let Reply::Frame(frame) = server.execute(client, args, 0) {
                    frame.encode(&mut out);
                }
            }
        })
    });
    group.finish();
}

/// One round trip carrying [`BATCH`] pipelined requests, read back in full.
async fn pipeline_round(client: &mut support::RawClient, wire: &[u8]) {
    client.send_raw(wire).await.expect("send");
    for _ in 0..BATCH {
        client.read_reply().await.expect("reply");
    }
}

fn tcp(c: &mut Criterion) {
    let wire: Vec<u8> = mix()
        .iter()
        .flat_map(|args| support::encode_request(args))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let model = support::ModelServer::start();
    let redis_installed = std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok();
    let real = redis_installed.then(support::RedisServer::start);
    let mut group = c.benchmark_group("tcp_pipeline");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut servers = vec![("serve-model", model.port)];
    servers.extend(real.as_ref().map(|r| ("redis-server", r.port)));
    for (name, port) in servers {
        let mut client = runtime.block_on(support::RawClient::connect(port)).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(pipeline_round(&mut client, &wire)))
        });
    }
    group.finish();
}

criterion_group!(benches, in_process, tcp);
criterion_main!(benches);
