//! The outbox pipeline under test (ARCHITECTURE.md#srcpipeline): a library a service could adopt.
//!
//! - [`connector`]: dialers for both worlds, the Sentinel-aware connector, reconnecting links.
//! - [`producer`]: commits a decision (marker, state, outbox entry) atomically.
//! - [`consumer`]: consumer-group workers: read, reclaim, dead-letter, apply through a sink.
//! - [`sink`]: how an effect is applied (atomic script, idempotent API, planted bugs).
//! - [`downstream`]: the API the `idempotent-api` sink calls, in-process or over TCP.
//! - [`retention`]: trims only what every group has acknowledged.
//! - [`metrics`], [`failpoint`] (and [`drawn_failpoints`], the nemesis's hook for both worlds), [`audit`] (the final-state reader), [`load`] (the CLI command).
//! - [`keys`], [`streams`], [`script`], [`config`], [`error`]: shared vocabulary.
//!
//! Every component is a restartable task: its `run` can be dropped at any await (a crash) and
//! started again from scratch with only Redis's state. The pipeline never imports a world
//! (`sim`, `real`); it reaches the network only through a [`connector::Dialer`].

pub mod audit;
pub mod ceiling;
pub mod config;
pub mod connector;
pub mod consumer;
pub mod downstream;
pub(crate) mod drawn_failpoints;
pub mod error;
pub mod failpoint;
pub(crate) mod keys;
pub mod load;
pub(crate) mod metrics;
pub mod producer;
pub mod retention;
pub(crate) mod script;
pub mod sink;
pub mod streams;

use std::sync::Arc;

use crate::history::Recorder;
use crate::rng::Rng;

pub use config::{PipelineConfig, SinkKind, Variant};
pub use error::{PipelineError, Retry};

/// What every component of one pipeline shares. Cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub config: Arc<PipelineConfig>,
    pub keys: keys::Keys,
    pub connector: connector::Connector,
    pub recorder: Recorder,
    pub failpoints: failpoint::Failpoints,
    pub metrics: metrics::Metrics,
    /// The run's seed: each task derives its RNG from it and its process name.
    pub seed: u64,
}

impl Context {
    /// A context with no history, no failpoints and fresh metrics. Validates the configuration.
    pub fn new(
        config: PipelineConfig,
        connector: connector::Connector,
        seed: u64,
    ) -> Result<Context, PipelineError> {
        config.validate()?;
        Ok(Context {
            keys: keys::Keys::new(&config.prefix),
            config: Arc::new(config),
            connector,
            recorder: Recorder::disabled(),
            failpoints: failpoint::Failpoints::none(),
            metrics: metrics::Metrics::new(),
            seed,
        })
    }

    pub fn with_recorder(mut self, recorder: Recorder) -> Context {
        self.recorder = recorder;
        self
    }

    pub fn with_failpoints(mut self, failpoints: failpoint::Failpoints) -> Context {
        self.failpoints = failpoints;
        self
    }

    /// The RNG of one named task.
    pub fn rng(&self, process: &str) -> Rng {
        Rng::derive(self.seed, process)
    }

    /// A reconnecting link for one task.
    pub fn link(&self, process: &str, purpose: connector::Purpose) -> connector::Link {
        let name = format!("{process}/link/{purpose:?}");
        connector::Link::new(self.connector.clone(), purpose, self.rng(&name))
    }
}
