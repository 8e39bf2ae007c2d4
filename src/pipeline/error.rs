//! The pipeline's errors, and the one function that says how to retry each of them.
//!
//! Every retry decision in the pipeline goes through [`PipelineError::retry`]; components must
//! never grow their own `match` on error texts. It must never decide anything from a wall clock
//! or from randomness: the same error always gets the same answer.

use redis::{ErrorKind, ServerErrorKind};
use thiserror::Error;

/// How to react to an error, after the classification of redis-rs's `RetryMethod`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// The connection is unusable (dropped, timed out, pointing at a demoted primary): drop it,
    /// back off, and connect again (through the Sentinels when there are any).
    Reconnect,
    /// Retry at once on the same connection, after the local repair the caller knows
    /// (reload a script on NOSCRIPT, recreate a group on NOGROUP).
    RetryNow,
    /// The server is alive but cannot serve now (loading, no replicas): back off, then retry.
    WaitAndRetry,
    /// Retrying cannot help (a bad command, a poison entry, a bad configuration).
    Never,
}

/// What went wrong in a pipeline component.
#[derive(Debug, Error)]
pub enum PipelineError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("cannot connect to {addr}: {source}")]
    Dial {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("connecting to {addr} timed out after {timeout_ms} ms")]
    DialTimeout { addr: String, timeout_ms: u64 },
    #[error("no sentinel named a primary for `{master}`: {detail}")]
    NoPrimary { master: String, detail: String },
    #[error("{addr} is not a primary: ROLE says `{role}`")]
    NotPrimary { addr: String, role: String },
    #[error("unexpected reply to {command}: {detail}")]
    Reply {
        command: &'static str,
        detail: String,
    },
    #[error("downstream: {0}")]
    Downstream(#[from] crate::pipeline::downstream::DownstreamError),
    #[error("invalid pipeline configuration: {0}")]
    Config(String),
    /// A paging loop read its bound of pages and the server still had more: the data is larger
    /// than this pipeline reads (a user's Redis much bigger than a run), or a server that never
    /// ends a cursor. Never a panic: the server decides what it sends.
    #[error("{what} did not end within {pages_max} pages")]
    TooManyPages { what: String, pages_max: usize },
}

impl PipelineError {
    pub(crate) fn reply(command: &'static str, detail: impl Into<String>) -> PipelineError {
        PipelineError::Reply {
            command,
            detail: detail.into(),
        }
    }

    pub(crate) fn too_many_pages(what: impl Into<String>, pages_max: usize) -> PipelineError {
        PipelineError::TooManyPages {
            what: what.into(),
            pages_max,
        }
    }

    /// How to retry after this error: the only place the pipeline decides it.
    pub fn retry(&self) -> Retry {
        use crate::pipeline::downstream::DownstreamError as D;
        match self {
            PipelineError::Redis(e) => retry_redis(e),
            PipelineError::Dial { .. }
            | PipelineError::DialTimeout { .. }
            | PipelineError::NoPrimary { .. }
            | PipelineError::NotPrimary { .. } => Retry::Reconnect,
            PipelineError::Downstream(D::Rejected(_)) => Retry::Never,
            PipelineError::Downstream(_) => Retry::Reconnect,
            PipelineError::Reply { .. }
            | PipelineError::Config(_)
            | PipelineError::TooManyPages { .. } => Retry::Never,
        }
    }

    /// The server's error code (`NOGROUP`, `NOSCRIPT`, `READONLY`, ...), if Redis answered one.
    pub fn code(&self) -> Option<&str> {
        match self {
            PipelineError::Redis(e) => e.code(),
            _ => None,
        }
    }

    /// True when the command that failed certainly changed nothing in Redis: it was never sent,
    /// or the server refused it before running it. A producer reports `Failed` only then;
    /// anything else after sending is `Unknown`.
    pub fn definitely_not_applied(&self) -> bool {
        match self {
            PipelineError::Dial { .. }
            | PipelineError::DialTimeout { .. }
            | PipelineError::NoPrimary { .. }
            | PipelineError::NotPrimary { .. } => true,
            // Refused before execution: these never run a single write of the script.
            PipelineError::Redis(_) => matches!(
                self.code(),
                Some(
                    "NOSCRIPT"
                        | "READONLY"
                        | "NOREPLICAS"
                        | "LOADING"
                        | "MASTERDOWN"
                        | "OOM"
                        | "BUSY"
                )
            ),
            _ => false,
        }
    }
}

fn retry_redis(e: &redis::RedisError) -> Retry {
    match e.kind() {
        // A timeout leaves the connection's state unknown (and a simulated link that saw a
        // partition can stay wedged), so every I/O error replaces the connection.
        ErrorKind::Io | ErrorKind::Parse => Retry::Reconnect,
        // A write that reached a demoted primary: ask the Sentinels again.
        ErrorKind::Server(ServerErrorKind::ReadOnly) => Retry::Reconnect,
        ErrorKind::Server(
            ServerErrorKind::BusyLoading
            | ServerErrorKind::TryAgain
            | ServerErrorKind::MasterDown
            | ServerErrorKind::ClusterDown,
        ) => Retry::WaitAndRetry,
        ErrorKind::Server(ServerErrorKind::NoScript) => Retry::RetryNow,
        ErrorKind::Extension => match e.code() {
            Some("NOGROUP" | "UNBLOCKED") => Retry::RetryNow,
            Some("NOREPLICAS" | "BUSY" | "OOM") => Retry::WaitAndRetry,
            _ => Retry::Never,
        },
        _ => Retry::Never,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(code: &str) -> PipelineError {
        PipelineError::Redis(redis::make_extension_error(
            code.to_string(),
            Some("x".into()),
        ))
    }

    #[test]
    fn classification() {
        let io = PipelineError::Redis(std::io::Error::from(std::io::ErrorKind::TimedOut).into());
        assert_eq!(io.retry(), Retry::Reconnect);
        assert!(
            !io.definitely_not_applied(),
            "a timeout after sending is unknown"
        );
        assert_eq!(server_error("NOGROUP").retry(), Retry::RetryNow);
        assert_eq!(server_error("NOREPLICAS").retry(), Retry::WaitAndRetry);
        assert!(server_error("NOREPLICAS").definitely_not_applied());
        assert_eq!(server_error("WRONGTYPE").retry(), Retry::Never);
        let dial = PipelineError::DialTimeout {
            addr: "a:1".into(),
            timeout_ms: 5,
        };
        assert_eq!(dial.retry(), Retry::Reconnect);
        assert!(dial.definitely_not_applied());
    }
}
