//! Failpoints: named places in the pipeline where a test or the nemesis can stop a task.
//!
//! Components call [`Failpoints::hit`] at each named point. The production default
//! ([`Failpoints::none`]) is one branch on an `Option`: no allocation, no lock, no await. With a
//! hook installed, the hook may hand back a future to await first: [`Action::Park`] never
//! resolves (the simulation's driver then crashes the host; a real-world test aborts the task,
//! which is a stop), [`Action::Delay`] resumes after a while (a slow or paused process).
//!
//! A failpoint must never change what the component does after it resumes: it only decides when.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::history::{Op, Phase, Recorder};

/// Before the producer's commit is sent (nothing written yet).
pub const PRODUCER_BEFORE_COMMIT: &str = "producer.before_commit";
/// dual-write only: the state is written, the event is not.
pub const PRODUCER_AFTER_STATE: &str = "producer.after_state";
/// A consumer received an entry and has done nothing with it.
pub const CONSUMER_AFTER_READ: &str = "consumer.after_read";
/// The effect is applied and the entry not acknowledged yet. With the `atomic` sink the ack is
/// inside the same script, so this point is reached after both, and with `apply-batch` above 1
/// after the script applied and acknowledged the whole batch; a stop there leaves the rest of the
/// worker's read pending.
pub const CONSUMER_AFTER_EFFECT_BEFORE_ACK: &str = "consumer.after_effect_before_ack";
/// The entry is acknowledged (with `ack-first`, before its effect).
pub const CONSUMER_AFTER_ACK: &str = "consumer.after_ack";

/// Every point, for validation of scenario files.
pub const ALL: [&str; 5] = [
    PRODUCER_BEFORE_COMMIT,
    PRODUCER_AFTER_STATE,
    CONSUMER_AFTER_READ,
    CONSUMER_AFTER_EFFECT_BEFORE_ACK,
    CONSUMER_AFTER_ACK,
];

/// What a task awaits at a point that fired.
pub type Stall = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Decides, per hit, whether the task goes on (`None`, which must be quick) or awaits a future.
pub trait FailpointHook: Send + Sync {
    fn hit(&self, point: &'static str, process: &str) -> Option<Stall>;
}

/// The handle components carry. Cheap to clone.
#[derive(Clone, Default)]
pub struct Failpoints {
    hook: Option<Arc<dyn FailpointHook>>,
}

impl Failpoints {
    /// The production default: every point is a no-op.
    pub fn none() -> Failpoints {
        Failpoints { hook: None }
    }

    pub fn with_hook(hook: Arc<dyn FailpointHook>) -> Failpoints {
        Failpoints { hook: Some(hook) }
    }

    /// Passes the named point; records it in the history when it fires.
    pub async fn hit(&self, point: &'static str, process: &str, recorder: &Recorder) {
        let Some(hook) = &self.hook else { return };
        if let Some(stall) = hook.hit(point, process) {
            recorder.record(
                process,
                Phase::Event,
                Op::Failpoint {
                    name: point.to_string(),
                },
            );
            stall.await;
        }
    }
}

/// What an armed point does when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Never resume.
    Park,
    /// Resume after this long.
    Delay { ms: u64 },
}

/// One armed point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arm {
    pub point: &'static str,
    /// Only this process (`producer-0`, `worker-billing-1`, ...); `None` for any.
    pub process: Option<String>,
    /// Hits to let pass before firing.
    pub skip: u64,
    /// How many times to fire; then the arm is spent.
    pub times: u64,
    pub action: Action,
}

impl Arm {
    /// Parks `process` at `point` the first time it gets there.
    pub fn park(point: &'static str, process: &str) -> Arm {
        Arm {
            point,
            process: Some(process.to_string()),
            skip: 0,
            times: 1,
            action: Action::Park,
        }
    }

    pub fn after(mut self, skip: u64) -> Arm {
        self.skip = skip;
        self
    }
}

/// A ready-made hook: a list of arms, and a log of what fired that a test or a driver can wait on.
#[derive(Default)]
pub struct Armed {
    arms: Mutex<Vec<Arm>>,
    fired: Mutex<Vec<(&'static str, String)>>,
    notify: tokio::sync::Notify,
}

impl Armed {
    pub fn new(arms: Vec<Arm>) -> Arc<Armed> {
        for arm in &arms {
            assert!(
                ALL.contains(&arm.point),
                "unknown failpoint `{}`",
                arm.point
            );
        }
        Arc::new(Armed {
            arms: Mutex::new(arms),
            ..Default::default()
        })
    }

    /// (point, process) of every firing so far, in order.
    pub fn fired(&self) -> Vec<(&'static str, String)> {
        self.fired.lock().expect("failpoint log poisoned").clone()
    }

    /// Waits until `point` has fired, and returns the process it stopped.
    pub async fn wait_fired(&self, point: &str) -> String {
        loop {
            let notified = self.notify.notified();
            if let Some((_, process)) = self.fired().into_iter().find(|(p, _)| *p == point) {
                return process;
            }
            notified.await;
        }
    }
}

impl FailpointHook for Armed {
    fn hit(&self, point: &'static str, process: &str) -> Option<Stall> {
        let action = {
            let mut arms = self.arms.lock().expect("failpoint arms poisoned");
            let arm = arms.iter_mut().find(|a| {
                a.point == point && a.times > 0 && a.process.as_deref().is_none_or(|p| p == process)
            })?;
            if arm.skip > 0 {
                arm.skip -= 1;
                return None;
            }
            arm.times -= 1;
            arm.action
        };
        self.fired
            .lock()
            .expect("failpoint log poisoned")
            .push((point, process.to_string()));
        self.notify.notify_waiters();
        Some(match action {
            Action::Park => Box::pin(std::future::pending()),
            Action::Delay { ms } => Box::pin(tokio::time::sleep(Duration::from_millis(ms))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn fires_after_skips_once_for_its_process() {
        let armed = Armed::new(vec![Arm::park(CONSUMER_AFTER_READ, "w1").after(1)]);
        let fp = Failpoints::with_hook(armed.clone());
        let rec = Recorder::new();
        fp.hit(CONSUMER_AFTER_READ, "w2", &rec).await;
        fp.hit(CONSUMER_AFTER_READ, "w1", &rec).await;
        let parked = tokio::time::timeout(
            Duration::from_secs(1),
            fp.hit(CONSUMER_AFTER_READ, "w1", &rec),
        )
        .await;
        assert!(parked.is_err(), "the second hit of w1 parks");
        fp.hit(CONSUMER_AFTER_READ, "w1", &rec).await;
        assert_eq!(armed.wait_fired(CONSUMER_AFTER_READ).await, "w1");
        assert_eq!(rec.snapshot().len(), 1);
        Failpoints::none()
            .hit(CONSUMER_AFTER_READ, "w1", &rec)
            .await;
    }
}
