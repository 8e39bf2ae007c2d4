//! The pipeline's processes, run in this process as tokio tasks: producers `producer-<i>`, workers
//! `worker-<concern>-<i>` and the `trimmer`, each under the name its history records carry; and
//! the API sink's `downstream`, a service in this process that a crash switches off.
//!
//! A crash aborts a task: it is dropped at its current await with everything it held in memory,
//! and its connections close as their drivers end, while commands already sent still run on the
//! server, as with a killed process. A restart spawns a fresh task from what outlives it: Redis,
//! the downstream's ledger, and a producer's progress (its upstream queue), so a restarted producer
//! retries its first unconfirmed decision under the same id.
//!
//! A crashed downstream refuses every call as a server that is gone refuses connections; a call
//! already inside it completes, as a request the server had applied before it died. Its ledger
//! outlives the crash, as the simulated downstream's does.
//!
//! A pause stops polling a task (its timers still run, as a stopped process's do) until it is
//! resumed; its connections stay open and their replies wait, as in a socket buffer.
//!
//! This module never decides when to crash, pause or restart; the nemesis does.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::RealError;
use crate::pipeline::connector::BoxFuture;
use crate::pipeline::consumer::Worker;
use crate::pipeline::downstream::{ApiCall, ApiReply, Downstream, DownstreamError};
use crate::pipeline::error::PipelineError;
use crate::pipeline::producer::Producer;
use crate::pipeline::retention::Trimmer;
use crate::pipeline::Context;
use crate::workload::{Progress, Workload};

pub const TRIMMER: &str = crate::pipeline::retention::PROCESS;

enum Role {
    Producer(Arc<Progress>),
    Worker { concern: String, index: usize },
    Trimmer,
}

struct Slot {
    role: Role,
    task: Option<JoinHandle<Result<(), PipelineError>>>,
    /// Shared with the running task's [`Gated`] future; a restart gets a fresh one.
    gate: Arc<Gate>,
}

/// Every process of the pipeline, running or crashed.
pub struct Processes {
    ctx: Context,
    workload: Arc<Workload>,
    downstream: Option<Arc<Switched>>,
    /// The run's start: decisions are due at `start + at_ms`.
    start: tokio::time::Instant,
    slots: BTreeMap<String, Slot>,
}

impl Processes {
    /// The processes of a run, none started yet.
    pub fn new(
        ctx: &Context,
        workload: Arc<Workload>,
        downstream: Option<Arc<dyn Downstream>>,
        producers: u32,
        workers_per_concern: u32,
        start: tokio::time::Instant,
    ) -> Processes {
        let downstream = downstream.map(|inner| {
            Arc::new(Switched {
                inner,
                down: AtomicBool::new(false),
            })
        });
        let mut slots = BTreeMap::new();
        for p in 0..producers as usize {
            let progress = Arc::new(Progress::new(workload.slice(p, producers as usize)));
            let slot = Slot::new(Role::Producer(progress));
            slots.insert(producer_name(p), slot);
        }
        for concern in &ctx.config.concerns {
            for index in 0..workers_per_concern as usize {
                let role = Role::Worker {
                    concern: concern.clone(),
                    index,
                };
                slots.insert(worker_name(concern, index), Slot::new(role));
            }
        }
        if ctx.config.trim_interval_ms > 0 {
            slots.insert(TRIMMER.to_string(), Slot::new(Role::Trimmer));
        }
        Processes {
            ctx: ctx.clone(),
            workload,
            downstream,
            start,
            slots,
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.slots.keys().cloned().collect()
    }

    /// Starts every process; workers and the trimmer first, so the first commits find them.
    pub fn start_all(&mut self) -> Result<(), RealError> {
        let mut names = self.names();
        names.sort_by_key(|n| n.starts_with("producer-"));
        for name in names {
            self.spawn(&name)?;
        }
        Ok(())
    }

    fn spawn(&mut self, name: &str) -> Result<(), RealError> {
        let ctx = self.ctx.clone();
        let tenants = self.workload.tenants.clone();
        let slot = self
            .slots
            .get_mut(name)
            .ok_or_else(|| RealError::Broken(format!("no process named `{name}`")))?;
        slot.gate = Arc::new(Gate::default());
        let gate = slot.gate.clone();
        let task = match &slot.role {
            Role::Producer(progress) => {
                let run = produce(
                    ctx,
                    name.to_string(),
                    self.workload.clone(),
                    progress.clone(),
                    self.start,
                );
                tokio::spawn(Gated::new(run, gate))
            }
            Role::Worker { concern, index } => {
                let downstream = self.downstream.clone().map(|d| d as Arc<dyn Downstream>);
                let worker = Worker::new(&ctx, concern, *index, &tenants, downstream)
                    .map_err(|e| RealError::Broken(format!("{name}: {e}")))?;
                tokio::spawn(Gated::new(worker.run(), gate))
            }
            Role::Trimmer => tokio::spawn(Gated::new(Trimmer::new(&ctx, &tenants).run(), gate)),
        };
        slot.task = Some(task);
        Ok(())
    }

    pub fn is_down(&self, name: &str) -> bool {
        match self.switch(name) {
            Some(d) => d.down.load(Ordering::SeqCst),
            None => self.slots.get(name).is_some_and(|s| s.task.is_none()),
        }
    }

    /// Processes crashed and not restarted, in name order.
    pub fn down(&self) -> Vec<String> {
        let mut down: Vec<String> = self
            .slots
            .iter()
            .filter(|(_, s)| s.task.is_none())
            .map(|(n, _)| n.clone())
            .collect();
        if self.is_down(DOWNSTREAM) {
            down.push(DOWNSTREAM.to_string());
            down.sort();
        }
        down
    }

    /// The downstream's switch, when `name` is the downstream of an API-sink run.
    fn switch(&self, name: &str) -> Option<&Switched> {
        self.downstream.as_deref().filter(|_| name == DOWNSTREAM)
    }

    /// Stops polling a running task (`true`) or polls it again (`false`). False when the task
    /// is not running or already in that state.
    pub fn set_paused(&mut self, name: &str, paused: bool) -> bool {
        let Some(slot) = self.slots.get(name).filter(|s| s.task.is_some()) else {
            return false;
        };
        slot.gate.set(paused)
    }

    /// Aborts the task and waits until it is gone. False when it was not running.
    pub async fn crash(&mut self, name: &str) -> bool {
        if let Some(d) = self.switch(name) {
            return !d.down.swap(true, Ordering::SeqCst);
        }
        let Some(task) = self.slots.get_mut(name).and_then(|s| s.task.take()) else {
            return false;
        };
        task.abort();
        // Cancelled, or finished just before: either way the old incarnation has stopped.
        let _ = task.await;
        true
    }

    /// Starts a crashed process again. False when it was running.
    pub fn restart(&mut self, name: &str) -> Result<bool, RealError> {
        if !self.is_down(name) {
            return Ok(false);
        }
        if let Some(d) = self.switch(name) {
            d.down.store(false, Ordering::SeqCst);
            return Ok(true);
        }
        self.spawn(name)?;
        Ok(true)
    }

    /// A process that stopped by itself is a broken run (as a host that gives up is in the
    /// simulation), except a producer whose work is done.
    pub async fn check(&mut self) -> Result<(), RealError> {
        for (name, slot) in &mut self.slots {
            let finished = slot.task.as_ref().is_some_and(|t| t.is_finished());
            let done = matches!(&slot.role, Role::Producer(p) if p.done());
            if !finished || done {
                continue;
            }
            let why = match slot.task.take().expect("a finished task").await {
                Ok(Ok(())) => "it returned".to_string(),
                Ok(Err(e)) => e.to_string(),
                Err(join) => join.to_string(),
            };
            return Err(RealError::Broken(format!("{name} stopped: {why}")));
        }
        Ok(())
    }

    /// Every producer has an outcome for every decision it owns.
    pub fn producers_done(&self) -> bool {
        self.slots.values().all(|s| match &s.role {
            Role::Producer(p) => p.done(),
            _ => true,
        })
    }

    /// Aborts every task and waits for them.
    pub async fn stop_all(&mut self) {
        for name in self.names() {
            self.crash(&name).await;
        }
    }
}

impl Slot {
    fn new(role: Role) -> Slot {
        Slot {
            role,
            task: None,
            gate: Arc::new(Gate::default()),
        }
    }
}

/// Whether a task may be polled, and the waker of the poll that found it paused.
#[derive(Default)]
struct Gate {
    paused: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Gate {
    /// True when the state changed.
    fn set(&self, paused: bool) -> bool {
        if self.paused.swap(paused, Ordering::SeqCst) == paused {
            return false;
        }
        if !paused {
            if let Some(waker) = self.waker.lock().expect("gate poisoned").take() {
                waker.wake();
            }
        }
        true
    }
}

/// A task's future behind its [`Gate`]: while paused, it is not polled.
struct Gated<F> {
    inner: Pin<Box<F>>,
    gate: Arc<Gate>,
}

impl<F> Gated<F> {
    fn new(inner: F, gate: Arc<Gate>) -> Gated<F> {
        Gated {
            inner: Box::pin(inner),
            gate,
        }
    }
}

impl<F: Future> Future for Gated<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        if self.gate.paused.load(Ordering::SeqCst) {
            *self.gate.waker.lock().expect("gate poisoned") = Some(cx.waker().clone());
            // A resume between the load and the store would have found no waker: look again.
            if self.gate.paused.load(Ordering::SeqCst) {
                return Poll::Pending;
            }
        }
        self.inner.as_mut().poll(cx)
    }
}

/// The downstream's name in the history and in fault targets.
pub const DOWNSTREAM: &str = crate::pipeline::downstream::PROCESS;

/// The downstream as the workers call it: the service, unless it is crashed.
struct Switched {
    inner: Arc<dyn Downstream>,
    down: AtomicBool,
}

impl Downstream for Switched {
    fn call<'a>(&'a self, call: &'a ApiCall) -> BoxFuture<'a, Result<ApiReply, DownstreamError>> {
        if self.down.load(Ordering::SeqCst) {
            return Box::pin(async {
                Err(DownstreamError::Io {
                    addr: DOWNSTREAM.to_string(),
                    source: std::io::ErrorKind::ConnectionRefused.into(),
                })
            });
        }
        self.inner.call(call)
    }
}

pub fn producer_name(index: usize) -> String {
    format!("producer-{index}")
}

/// As `Worker` names its process.
pub fn worker_name(concern: &str, index: usize) -> String {
    format!("worker-{concern}-{index}")
}

/// One producer incarnation: commits its open decisions, each when it is due, until none is left.
async fn produce(
    ctx: Context,
    process: String,
    workload: Arc<Workload>,
    progress: Arc<Progress>,
    start: tokio::time::Instant,
) -> Result<(), PipelineError> {
    let producer = Producer::new(&ctx, &process);
    let next = |in_flight| {
        let i = progress.open_after(in_flight)?;
        let planned = &workload.decisions[i];
        let due = tokio::time::sleep_until(start + Duration::from_millis(planned.at_ms));
        Some((i, planned.decision.clone(), due))
    };
    producer
        .commit_window(next, |i, _| progress.confirm(i))
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[tokio::test]
    async fn a_crashed_downstream_refuses_calls_and_keeps_its_ledger() {
        let service = crate::pipeline::downstream::DownstreamService::new(
            true,
            crate::history::Recorder::new(),
        );
        let switched = Switched {
            inner: service.clone(),
            down: AtomicBool::new(false),
        };
        let call = |key: &str| ApiCall {
            concern: "billing".into(),
            key: key.into(),
            tenant: "t0".into(),
            object: "o1".into(),
            amount: "3".into(),
        };
        assert_eq!(
            switched.call(&call("d-1")).await.unwrap(),
            ApiReply::Applied
        );
        switched.down.store(true, Ordering::SeqCst);
        let refused = switched.call(&call("d-2")).await.unwrap_err();
        assert!(
            matches!(&refused, DownstreamError::Io { source, .. } if source.kind() == std::io::ErrorKind::ConnectionRefused),
            "{refused}"
        );
        switched.down.store(false, Ordering::SeqCst);
        assert_eq!(
            switched.call(&call("d-1")).await.unwrap(),
            ApiReply::Duplicate,
            "the ledger outlived the crash"
        );
        assert_eq!(
            service.ledger().requests,
            2,
            "the refused call never reached it"
        );
    }

    #[tokio::test]
    async fn a_paused_task_makes_no_progress_until_resumed() {
        let gate = Arc::new(Gate::default());
        let ticks = Arc::new(AtomicU64::new(0));
        let counted = ticks.clone();
        let task = tokio::spawn(Gated::new(
            async move {
                loop {
                    counted.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            },
            gate.clone(),
        ));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(gate.set(true) && !gate.set(true));
        tokio::time::sleep(Duration::from_millis(5)).await;
        let frozen = ticks.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            frozen,
            "no progress while paused"
        );
        assert!(gate.set(false));
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(
            ticks.load(Ordering::SeqCst) > frozen,
            "progress after the resume"
        );
        task.abort();
    }
}
