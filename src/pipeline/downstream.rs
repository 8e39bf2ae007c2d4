//! The downstream API that the `idempotent-api` sink calls with `Idempotency-Key: <event id>`.
//!
//! [`Downstream`] is the client trait. [`DownstreamService`] is the service itself: a ledger of
//! idempotency keys seen and effects applied, which dedupes by key unless built as the planted
//! bug `non-idempotent-api`. It runs in-process (it implements [`Downstream`] directly) or behind a
//! tiny line protocol over any byte stream ([`serve_connection`], with an accept loop for tokio
//! listeners here and one for turmoil's in `sim::net`), reached by [`TcpDownstream`] through a [`Dialer`], so the simulation can run
//! it as a host of its own.
//!
//! Protocol, one request and one reply per line:
//!
//! ```text
//! APPLY <concern> <key> <tenant> <object> <amount>   →  APPLIED | DUPLICATE | REJECTED <why>
//! LEDGER                                             →  <the ledger as one line of JSON>
//! ```
//!
//! The service must never apply a rejected request, and never dedupe when built without dedupe.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufStream,
};

use crate::history::{Op, Phase, Recorder};
use crate::pipeline::connector::{Addr, BoxFuture, BoxIo, Dialer};
use crate::pipeline::keys::check_name;

/// Longest request or reply line accepted (the ledger reply excepted).
pub const LINE_BYTES_MAX: usize = 4_096;

/// One API request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiCall {
    pub concern: String,
    /// The event id.
    pub key: String,
    pub tenant: String,
    pub object: String,
    pub amount: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiReply {
    Applied,
    /// The key was seen before; nothing applied.
    Duplicate,
}

#[derive(Debug, Error)]
pub enum DownstreamError {
    /// The request is invalid and will stay so (a poison entry).
    #[error("request rejected: {0}")]
    Rejected(String),
    #[error("i/o with downstream {addr}: {source}")]
    Io {
        addr: String,
        #[source]
        source: io::Error,
    },
    #[error("downstream {addr} did not answer within {timeout_ms} ms")]
    Timeout { addr: String, timeout_ms: u64 },
    #[error("downstream {addr} answered `{line}`")]
    Protocol { addr: String, line: String },
}

/// The client side, as the sink sees it.
pub trait Downstream: Send + Sync {
    fn call<'a>(&'a self, call: &'a ApiCall) -> BoxFuture<'a, Result<ApiReply, DownstreamError>>;
}

/// What the downstream applied for one (concern, event).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub tenant: String,
    pub requests: u64,
    pub applied: u64,
}

/// The downstream's whole state, ordered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub requests: u64,
    /// concern → event → entry.
    pub effects: BTreeMap<String, BTreeMap<String, LedgerEntry>>,
    /// concern → `tenant/object` → sum of applied amounts.
    pub balances: BTreeMap<String, BTreeMap<String, i64>>,
}

/// The name the downstream's history records carry: its host's in the simulation, its
/// process's in the container world.
pub const PROCESS: &str = "downstream";

/// The service: validates, dedupes (or not), applies, records.
pub struct DownstreamService {
    dedupe: bool,
    recorder: Recorder,
    ledger: Mutex<Ledger>,
}

impl DownstreamService {
    /// `dedupe = false` is the planted bug `non-idempotent-api`.
    pub fn new(dedupe: bool, recorder: Recorder) -> Arc<DownstreamService> {
        Arc::new(DownstreamService {
            dedupe,
            recorder,
            ledger: Mutex::new(Ledger::default()),
        })
    }

    pub fn ledger(&self) -> Ledger {
        self.ledger
            .lock()
            .expect("downstream ledger poisoned")
            .clone()
    }

    pub fn handle(&self, call: &ApiCall) -> Result<ApiReply, DownstreamError> {
        for name in [&call.concern, &call.key, &call.tenant, &call.object] {
            check_name(name).map_err(|why| DownstreamError::Rejected(format!("`{name}` {why}")))?;
        }
        let amount: i64 = call.amount.parse().map_err(|_| {
            DownstreamError::Rejected(format!("amount `{}` is not an integer", call.amount))
        })?;
        let applied = {
            let mut ledger = self.ledger.lock().expect("downstream ledger poisoned");
            ledger.requests += 1;
            let entry = ledger
                .effects
                .entry(call.concern.clone())
                .or_default()
                .entry(call.key.clone())
                .or_default();
            entry.tenant = call.tenant.clone();
            entry.requests += 1;
            let applied = !(self.dedupe && entry.applied > 0);
            if applied {
                entry.applied += 1;
                let balance = format!("{}/{}", call.tenant, call.object);
                *ledger
                    .balances
                    .entry(call.concern.clone())
                    .or_default()
                    .entry(balance)
                    .or_default() += amount;
            }
            applied
        };
        let op = Op::ApiRequest {
            concern: call.concern.clone(),
            event: call.key.clone(),
            applied,
        };
        self.recorder.record(PROCESS, Phase::Event, op);
        Ok(if applied {
            ApiReply::Applied
        } else {
            ApiReply::Duplicate
        })
    }

    /// One request line to one reply line.
    fn handle_line(&self, line: &str) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["APPLY", concern, key, tenant, object, amount] => {
                let call = ApiCall {
                    concern: concern.to_string(),
                    key: key.to_string(),
                    tenant: tenant.to_string(),
                    object: object.to_string(),
                    amount: amount.to_string(),
                };
                match self.handle(&call) {
                    Ok(ApiReply::Applied) => "APPLIED".to_string(),
                    Ok(ApiReply::Duplicate) => "DUPLICATE".to_string(),
                    Err(e) => format!("REJECTED {e}"),
                }
            }
            ["LEDGER"] => serde_json::to_string(&self.ledger()).expect("the ledger serialises"),
            _ => "REJECTED unknown request".to_string(),
        }
    }
}

impl Downstream for DownstreamService {
    fn call<'a>(&'a self, call: &'a ApiCall) -> BoxFuture<'a, Result<ApiReply, DownstreamError>> {
        Box::pin(async move { self.handle(call) })
    }
}

/// Serves one connection until the peer closes it or sends an over-long line.
pub async fn serve_connection<S>(stream: S, service: Arc<DownstreamService>) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut stream = BufStream::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        let n = (&mut stream)
            .take(LINE_BYTES_MAX as u64 + 1)
            .read_line(&mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        if n > LINE_BYTES_MAX {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request line too long",
            ));
        }
        let reply = service.handle_line(line.trim_end());
        stream.write_all(reply.as_bytes()).await?;
        stream.write_all(b"\n").await?;
        stream.flush().await?;
    }
}

/// Accept loop on a real TCP listener.
pub async fn serve_tokio(
    listener: tokio::net::TcpListener,
    service: Arc<DownstreamService>,
) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(serve_connection(stream, service.clone()));
    }
}

/// A client over the line protocol. One request at a time per client; a failed request drops the
/// connection, so the next one starts on a fresh stream.
pub struct TcpDownstream {
    dialer: Arc<dyn Dialer>,
    addr: Addr,
    timeout_ms: u64,
    conn: tokio::sync::Mutex<Option<BufReader<BoxIo>>>,
}

impl TcpDownstream {
    pub fn new(dialer: Arc<dyn Dialer>, addr: Addr, timeout_ms: u64) -> TcpDownstream {
        TcpDownstream {
            dialer,
            addr,
            timeout_ms,
            conn: tokio::sync::Mutex::new(None),
        }
    }

    /// The service's ledger, for the audit.
    pub async fn ledger(&self) -> Result<Ledger, DownstreamError> {
        let line = self.request("LEDGER").await?;
        serde_json::from_str(&line).map_err(|_| self.protocol(&line))
    }

    fn protocol(&self, line: &str) -> DownstreamError {
        DownstreamError::Protocol {
            addr: self.addr.to_string(),
            line: line.chars().take(200).collect(),
        }
    }

    async fn request(&self, request: &str) -> Result<String, DownstreamError> {
        let mut guard = self.conn.lock().await;
        let limit = Duration::from_millis(self.timeout_ms);
        let result = tokio::time::timeout(
            limit,
            exchange(&mut guard, &*self.dialer, &self.addr, request),
        )
        .await;
        let result = match result {
            Ok(r) => r.map_err(|source| DownstreamError::Io {
                addr: self.addr.to_string(),
                source,
            }),
            Err(_) => Err(DownstreamError::Timeout {
                addr: self.addr.to_string(),
                timeout_ms: self.timeout_ms,
            }),
        };
        if result.is_err() {
            *guard = None;
        }
        result
    }
}

/// Connects if needed, writes one line, reads one line.
async fn exchange(
    conn: &mut Option<BufReader<BoxIo>>,
    dialer: &dyn Dialer,
    addr: &Addr,
    request: &str,
) -> io::Result<String> {
    if conn.is_none() {
        *conn = Some(BufReader::new(dialer.dial(addr).await?));
    }
    let stream = conn.as_mut().expect("connected above");
    stream
        .get_mut()
        .write_all(format!("{request}\n").as_bytes())
        .await?;
    let mut line = String::new();
    if stream.read_line(&mut line).await? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "downstream closed the connection",
        ));
    }
    Ok(line.trim_end().to_string())
}

impl Downstream for TcpDownstream {
    fn call<'a>(&'a self, call: &'a ApiCall) -> BoxFuture<'a, Result<ApiReply, DownstreamError>> {
        Box::pin(async move {
            let request = format!(
                "APPLY {} {} {} {} {}",
                call.concern, call.key, call.tenant, call.object, call.amount
            );
            let line = self.request(&request).await?;
            match line.as_str() {
                "APPLIED" => Ok(ApiReply::Applied),
                "DUPLICATE" => Ok(ApiReply::Duplicate),
                _ => match line.strip_prefix("REJECTED ") {
                    Some(why) => Err(DownstreamError::Rejected(why.to_string())),
                    None => Err(self.protocol(&line)),
                },
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::connector::TokioDialer;

    fn call(key: &str, amount: &str) -> ApiCall {
        let s = |v: &str| v.to_string();
        ApiCall {
            concern: s("billing"),
            key: s(key),
            tenant: s("t1"),
            object: s("o1"),
            amount: s(amount),
        }
    }

    #[test]
    fn dedupes_unless_built_as_the_bug() {
        let good = DownstreamService::new(true, Recorder::disabled());
        assert_eq!(good.handle(&call("d-1", "5")).unwrap(), ApiReply::Applied);
        assert_eq!(good.handle(&call("d-1", "5")).unwrap(), ApiReply::Duplicate);
        assert!(matches!(
            good.handle(&call("d-2", "x")),
            Err(DownstreamError::Rejected(_))
        ));
        assert_eq!(good.ledger().effects["billing"]["d-1"].applied, 1);
        assert_eq!(good.ledger().balances["billing"]["t1/o1"], 5);
        let bad = DownstreamService::new(false, Recorder::disabled());
        bad.handle(&call("d-1", "5")).unwrap();
        assert_eq!(bad.handle(&call("d-1", "5")).unwrap(), ApiReply::Applied);
        assert_eq!(bad.ledger().effects["billing"]["d-1"].applied, 2);
    }

    #[tokio::test]
    async fn line_protocol_over_tcp() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let service = DownstreamService::new(true, Recorder::disabled());
        let server = tokio::spawn(serve_tokio(listener, service.clone()));
        let client = TcpDownstream::new(Arc::new(TokioDialer), Addr::new("127.0.0.1", port), 2_000);
        assert_eq!(
            client.call(&call("d-1", "3")).await.unwrap(),
            ApiReply::Applied
        );
        assert_eq!(
            client.call(&call("d-1", "3")).await.unwrap(),
            ApiReply::Duplicate
        );
        assert!(matches!(
            client.call(&call("d-2", "x")).await,
            Err(DownstreamError::Rejected(_))
        ));
        assert_eq!(client.ledger().await.unwrap(), service.ledger());
        server.abort();
    }
}
