//! Connections to the current Redis primary, in both worlds.
//!
//! A [`Dialer`] opens a byte stream (real tokio TCP here; turmoil's simulated TCP in
//! `sim::net`); the [`Connector`] turns it into a `redis::aio::MultiplexedConnection` with
//! `new_with_config` and spawns its driver, after asking the Sentinels (if any) which server is
//! the primary and checking that server's `ROLE`. A [`Link`] is one component's reconnecting
//! handle: it keeps a connection, drops it when an error says so, and backs off exponentially with
//! jitter drawn from an injected, seeded [`Rng`].
//!
//! This module must never use `redis::Client`, `ConnectionManager`, redis's sentinel module,
//! `std::time`, threads or OS randomness: all of them escape the simulation. Time is `tokio::time`.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisConnectionInfo, Value};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::pipeline::config::ConnectConfig;
use crate::pipeline::error::{PipelineError, Retry};
use crate::rng::Rng;

/// A boxed future, as trait objects need.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Any byte stream a connection can run over.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A boxed [`Io`]; tokio implements `AsyncRead`/`AsyncWrite` for it.
pub type BoxIo = Box<dyn Io>;

/// A host and port (a DNS name in the real world, a turmoil host name in the simulation).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr {
    pub host: String,
    pub port: u16,
}

impl Addr {
    pub fn new(host: impl Into<String>, port: u16) -> Addr {
        Addr {
            host: host.into(),
            port,
        }
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Opens byte streams: the one seam between the pipeline and a world's network.
pub trait Dialer: Send + Sync + 'static {
    fn dial(&self, addr: &Addr) -> BoxFuture<'static, io::Result<BoxIo>>;
}

/// Real TCP through tokio.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioDialer;

impl Dialer for TokioDialer {
    fn dial(&self, addr: &Addr) -> BoxFuture<'static, io::Result<BoxIo>> {
        let (host, port) = (addr.host.clone(), addr.port);
        Box::pin(async move {
            let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
            // Small request/reply traffic: Nagle would add up to 40 ms per round trip.
            stream.set_nodelay(true)?;
            Ok(Box::new(stream) as BoxIo)
        })
    }
}

/// Where the primary is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A fixed server.
    Direct(Addr),
    /// Ask these Sentinels, in order, for the primary of `master`; check its `ROLE`.
    Sentinels {
        sentinels: Vec<Addr>,
        master: String,
    },
}

/// What a connection is for; it decides the response timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Ordinary commands (shared, multiplexed).
    Commands,
    /// A connection of its own for calls that block up to `block_ms` on the server
    /// (`XREADGROUP … BLOCK`, `WAIT`): it would stall every other command of a shared one.
    Blocking { block_ms: u64 },
}

/// Opens connections to the current primary. Cheap to clone.
#[derive(Clone)]
pub struct Connector {
    inner: Arc<Inner>,
}

struct Inner {
    dialer: Arc<dyn Dialer>,
    target: Target,
    info: RedisConnectionInfo,
    cfg: ConnectConfig,
}

impl Connector {
    /// `info` carries the database, credentials and protocol for the data servers (parse it from
    /// a URL with `redis::IntoConnectionInfo`); Sentinels get a default one.
    pub fn new(
        dialer: Arc<dyn Dialer>,
        target: Target,
        info: RedisConnectionInfo,
        cfg: ConnectConfig,
    ) -> Connector {
        if let Target::Sentinels { sentinels, .. } = &target {
            assert!(
                !sentinels.is_empty(),
                "a Sentinel target needs at least one Sentinel"
            );
        }
        Connector {
            inner: Arc::new(Inner {
                dialer,
                target,
                info,
                cfg,
            }),
        }
    }

    pub fn target(&self) -> &Target {
        &self.inner.target
    }

    pub fn config(&self) -> &ConnectConfig {
        &self.inner.cfg
    }

    /// The dialer, for other clients of the same world (the downstream's).
    pub fn dialer(&self) -> Arc<dyn Dialer> {
        self.inner.dialer.clone()
    }

    /// One attempt: find the primary, connect, check its role. No retry here; see [`Link`].
    pub async fn connect(&self, purpose: Purpose) -> Result<MultiplexedConnection, PipelineError> {
        let timeout_ms = match purpose {
            Purpose::Commands => self.inner.cfg.response_timeout_ms,
            Purpose::Blocking { block_ms } => block_ms + self.inner.cfg.block_margin_ms,
        };
        match &self.inner.target {
            Target::Direct(addr) => self.open(addr, &self.inner.info, timeout_ms).await,
            Target::Sentinels { sentinels, master } => {
                let addr = self.resolve_primary(sentinels, master).await?;
                let mut conn = self.open(&addr, &self.inner.info, timeout_ms).await?;
                check_role(&mut conn, &addr).await?;
                // ROLE cannot tell a demoted primary that has not heard of its demotion yet (it
                // says `master` until the Sentinels reconfigure it, seconds later): a connection
                // asked for before a promotion and opened after it would land there. Ask again.
                let now = self.resolve_primary(sentinels, master).await?;
                if now != addr {
                    return Err(PipelineError::NotPrimary {
                        addr: addr.to_string(),
                        role: format!("master, but the Sentinels now name {now}"),
                    });
                }
                Ok(conn)
            }
        }
    }

    /// Asks each Sentinel in turn; the first that names a primary wins.
    pub async fn resolve_primary(
        &self,
        sentinels: &[Addr],
        master: &str,
    ) -> Result<Addr, PipelineError> {
        let mut failures = Vec::new();
        for sentinel in sentinels {
            match self.ask_sentinel(sentinel, master).await {
                Ok(addr) => return Ok(addr),
                Err(e) => failures.push(format!("{sentinel}: {e}")),
            }
        }
        Err(PipelineError::NoPrimary {
            master: master.to_string(),
            detail: failures.join("; "),
        })
    }

    async fn ask_sentinel(&self, sentinel: &Addr, master: &str) -> Result<Addr, PipelineError> {
        let info = RedisConnectionInfo::default();
        let mut conn = self
            .open(sentinel, &info, self.inner.cfg.response_timeout_ms)
            .await?;
        let reply: Option<(String, u16)> = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(master)
            .query_async(&mut conn)
            .await?;
        let (host, port) = reply.ok_or_else(|| {
            PipelineError::reply(
                "SENTINEL get-master-addr-by-name",
                format!("{sentinel} does not know `{master}`"),
            )
        })?;
        Ok(Addr::new(host, port))
    }

    /// Dials and performs the redis-rs handshake, both under the connect timeout.
    async fn open(
        &self,
        addr: &Addr,
        info: &RedisConnectionInfo,
        response_timeout_ms: u64,
    ) -> Result<MultiplexedConnection, PipelineError> {
        let timeout_ms = self.inner.cfg.connect_timeout_ms;
        let timed_out = || PipelineError::DialTimeout {
            addr: addr.to_string(),
            timeout_ms,
        };
        let limit = Duration::from_millis(timeout_ms);
        let stream = tokio::time::timeout(limit, self.inner.dialer.dial(addr))
            .await
            .map_err(|_| timed_out())?
            .map_err(|source| PipelineError::Dial {
                addr: addr.to_string(),
                source,
            })?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(None)
            .set_response_timeout(Some(Duration::from_millis(response_timeout_ms)));
        let handshake = MultiplexedConnection::new_with_config(info, stream, config);
        let (conn, driver) = tokio::time::timeout(limit, handshake)
            .await
            .map_err(|_| timed_out())??;
        // The driver ends by itself once every handle of the connection is dropped.
        tokio::spawn(driver);
        Ok(conn)
    }
}

/// `ROLE` must say `master`: a Sentinel's answer can be stale during a failover.
async fn check_role(conn: &mut MultiplexedConnection, addr: &Addr) -> Result<(), PipelineError> {
    let reply: Value = redis::cmd("ROLE").query_async(conn).await?;
    let role = match &reply {
        Value::Array(items) => items.first().and_then(crate::pipeline::streams::as_string),
        _ => None,
    };
    match role.as_deref() {
        Some("master") => Ok(()),
        Some(other) => Err(PipelineError::NotPrimary {
            addr: addr.to_string(),
            role: other.to_string(),
        }),
        None => Err(PipelineError::reply("ROLE", format!("{reply:?}"))),
    }
}

/// Capped exponential backoff with jitter: attempt `n` waits a uniform time in
/// `[d/2, d]` where `d = min(max, base·2ⁿ)`. The jitter spreads reconnecting clients apart.
#[derive(Clone, Debug)]
pub struct Backoff {
    base_ms: u64,
    max_ms: u64,
    attempt: u32,
    rng: Rng,
}

impl Backoff {
    pub fn new(base_ms: u64, max_ms: u64, rng: Rng) -> Backoff {
        assert!(
            base_ms > 0 && base_ms <= max_ms,
            "backoff needs 0 < base ({base_ms}) <= max ({max_ms})"
        );
        Backoff {
            base_ms,
            max_ms,
            attempt: 0,
            rng,
        }
    }

    /// The next delay, and one more attempt counted.
    pub fn next_delay_ms(&mut self) -> u64 {
        let doubled = self.base_ms.saturating_mul(1u64 << self.attempt.min(30));
        let cap_ms = doubled.min(self.max_ms);
        self.attempt = self.attempt.saturating_add(1);
        self.rng.range(cap_ms / 2, cap_ms)
    }

    pub async fn wait(&mut self) {
        let delay_ms = self.next_delay_ms();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

/// One component's reconnecting connection. Not shared: each task owns its links.
pub struct Link {
    connector: Connector,
    purpose: Purpose,
    conn: Option<MultiplexedConnection>,
    backoff: Backoff,
    /// A `RetryNow` happened since the last success: the next one backs off, so a repair
    /// that does not work cannot spin.
    retried_now: bool,
}

impl Link {
    /// `rng` feeds this link's backoff jitter (derive it from the seed and the task's name).
    pub fn new(connector: Connector, purpose: Purpose, rng: Rng) -> Link {
        let cfg = connector.config();
        let backoff = Backoff::new(cfg.backoff_base_ms, cfg.backoff_max_ms, rng);
        Link {
            connector,
            purpose,
            conn: None,
            backoff,
            retried_now: false,
        }
    }

    /// The connection, opening one (a single attempt) when there is none.
    pub async fn conn(&mut self) -> Result<&mut MultiplexedConnection, PipelineError> {
        if self.conn.is_none() {
            self.conn = Some(self.connector.connect(self.purpose).await?);
        }
        Ok(self.conn.as_mut().expect("connection was just opened"))
    }

    /// The last call worked: the next error starts the backoff from its base again.
    pub fn succeeded(&mut self) {
        self.backoff.reset();
        self.retried_now = false;
    }

    /// Classifies `err` and drops the connection when it must be replaced. No sleep.
    pub fn note_error(&mut self, err: &PipelineError) -> Retry {
        let retry = err.retry();
        if retry == Retry::Reconnect {
            self.conn = None;
        }
        retry
    }

    /// Reacts to `err` as its classification says and returns that classification: drops the
    /// connection on `Reconnect`, sleeps one backoff step on `Reconnect` and `WaitAndRetry`, and on
    /// a `RetryNow` that follows another without a success in between.
    pub async fn recover(&mut self, err: &PipelineError) -> Retry {
        let retry = self.note_error(err);
        let wait = match retry {
            Retry::Reconnect | Retry::WaitAndRetry => true,
            Retry::RetryNow => std::mem::replace(&mut self.retried_now, true),
            Retry::Never => false,
        };
        if wait {
            self.backoff.wait().await;
        }
        retry
    }

    /// Sleeps one backoff step without touching the connection.
    pub async fn pause(&mut self) {
        self.backoff.wait().await;
    }
}

/// A [`Link`] several in-flight calls of one task share (the producer's window). The lock is a
/// std mutex held only between awaits, never across one: connecting happens outside it, and a
/// second call that finds no connection meanwhile opens its own, of which the first stored wins.
pub struct SharedLink {
    link: std::sync::Mutex<Link>,
}

impl SharedLink {
    pub fn new(link: Link) -> SharedLink {
        SharedLink {
            link: std::sync::Mutex::new(link),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Link> {
        self.link
            .lock()
            .expect("a link's lock is never held across a panic")
    }

    /// A handle on the connection (a clone of the multiplexed connection), opening one (a single
    /// attempt) when there is none.
    pub async fn conn(&self) -> Result<MultiplexedConnection, PipelineError> {
        let (connector, purpose) = {
            let link = self.lock();
            if let Some(conn) = &link.conn {
                return Ok(conn.clone());
            }
            (link.connector.clone(), link.purpose)
        };
        let opened = connector.connect(purpose).await?;
        Ok(self.lock().conn.get_or_insert(opened).clone())
    }

    /// As [`Link::succeeded`].
    pub fn succeeded(&self) {
        self.lock().succeeded();
    }

    /// As [`Link::note_error`].
    pub fn note_error(&self, err: &PipelineError) -> Retry {
        self.lock().note_error(err)
    }

    /// As [`Link::pause`]; the delay is drawn under the lock, the sleep happens outside it.
    pub async fn pause(&self) {
        let delay_ms = self.lock().backoff.next_delay_ms();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_jittered_and_seeded() {
        let mut a = Backoff::new(10, 1_000, Rng::derive(1, "link"));
        let delays: Vec<u64> = (0..12).map(|_| a.next_delay_ms()).collect();
        for (n, d) in delays.iter().enumerate() {
            let cap = (10u64 << n).min(1_000);
            assert!(
                *d >= cap / 2 && *d <= cap,
                "attempt {n}: {d} outside [{}, {cap}]",
                cap / 2
            );
        }
        let mut b = Backoff::new(10, 1_000, Rng::derive(1, "link"));
        assert_eq!(
            delays,
            (0..12).map(|_| b.next_delay_ms()).collect::<Vec<_>>()
        );
        a.reset();
        assert!(a.next_delay_ms() <= 10);
    }

    #[tokio::test(start_paused = true)]
    async fn link_recovery_follows_the_classification() {
        let target = Target::Direct(Addr::new("127.0.0.1", 1));
        let connector = Connector::new(
            Arc::new(TokioDialer),
            target,
            RedisConnectionInfo::default(),
            ConnectConfig::default(),
        );
        let mut link = Link::new(connector, Purpose::Commands, Rng::derive(1, "link"));
        let nogroup = PipelineError::Redis(redis::make_extension_error("NOGROUP".into(), None));
        let started = tokio::time::Instant::now();
        assert_eq!(link.recover(&nogroup).await, Retry::RetryNow);
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "a first RetryNow is immediate"
        );
        assert_eq!(link.recover(&nogroup).await, Retry::RetryNow);
        assert!(
            started.elapsed() > Duration::ZERO,
            "a repeated RetryNow backs off"
        );
        let wrongtype = PipelineError::Redis(redis::make_extension_error("WRONGTYPE".into(), None));
        let before = tokio::time::Instant::now();
        assert_eq!(link.recover(&wrongtype).await, Retry::Never);
        assert_eq!(before.elapsed(), Duration::ZERO);
    }
}
