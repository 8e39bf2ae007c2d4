//! The driver loop: steps the simulation through the fault window, the heal, the drain and the
//! audit.
//!
//! Before every `Sim::step` it crashes the hosts a failpoint parked (a host cannot crash itself),
//! then applies the nemesis's due actions. At the window's end it takes the last parked hosts,
//! disables the failpoints and heals everything; the pipeline then drains for at most `drain_ms`,
//! ending early once every producer is done and every group has nothing pending or undelivered.
//! Then the pipeline's hosts are stopped and the audit reads the final state over simulated TCP
//! from a client host of its own.
//!
//! Every loop here is bounded in simulated time. It must never read the wall clock: time is
//! `Sim::elapsed`, and the records it makes carry that time.

use super::nemesis::SimNemesis;
use super::world::World;
use crate::history::state::FinalState;
use crate::pipeline::audit;
use crate::pipeline::connector::{Backoff, Connector, Purpose, Target};
use crate::report::outcome::Phases;
use crate::rng::Rng;
use crate::sim::net::TurmoilDialer;
use redis::RedisConnectionInfo;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// The audit gets this much simulated time; past it, the run has no final state (undecided).
const AUDIT_MS_MAX: u64 = 30_000;
/// Connection attempts of the audit client (Redis may still be restarting from a late crash).
const AUDIT_CONNECT_ATTEMPTS: u32 = 20;
/// The drain ends early only once the groups have stayed drained this long: an ack is not always
/// the last step of an entry (`ack-first` applies the effect after it), and work in flight needs
/// a few round trips to land.
const SETTLE_MS: u64 = 200;

/// A run that could not go on: a host's software gave up, or turmoil failed.
pub type Broken = String;

pub fn elapsed_ms(world: &World) -> u64 {
    world.sim.elapsed().as_millis() as u64
}

/// One step, with the failpoint crashes and nemesis actions due before it.
fn step(world: &mut World, nemesis: &mut SimNemesis) -> Result<(), Broken> {
    let now_ms = elapsed_ms(world);
    let fired = world.failpoints.take_fired();
    nemesis.crash_parked(world, fired, now_ms);
    nemesis.apply_due(world, now_ms);
    world
        .sim
        .step()
        .map_err(|e| format!("the simulation failed at {now_ms} ms: {e}"))?;
    let stopped = world.stopped.borrow();
    if !stopped.is_empty() {
        return Err(format!(
            "a host's software gave up at {now_ms} ms: {}",
            stopped.join("; ")
        ));
    }
    Ok(())
}

/// The fault window, the heal and the drain; then the pipeline's hosts are stopped. The drain
/// lasts at most `drain_ms` past the later of the window's end and the last commit's due time.
pub fn run_phases(
    world: &mut World,
    nemesis: &mut SimNemesis,
    window_ms: u64,
    drain: Drain,
) -> Result<Phases, Broken> {
    while elapsed_ms(world) < window_ms {
        step(world, nemesis)?;
    }
    let healed_at_ms = elapsed_ms(world);
    let fired = world.failpoints.take_fired();
    nemesis.crash_parked(world, fired, healed_at_ms);
    world.failpoints.disable();
    nemesis.heal_all(world, healed_at_ms);
    let drained = drain_until_settled(
        world,
        nemesis,
        healed_at_ms.max(drain.last_commit_ms) + drain.drain_ms,
    )?;
    // Liveness: healed, every producer must have finished its slice. (Groups that did not drain
    // are the stuck checker's finding; decisions never committed would be invisible to it.)
    let behind: Vec<String> = world
        .hosts
        .producers
        .iter()
        .zip(&world.progress)
        .filter(|(_, p)| !p.done())
        .map(|(name, p)| format!("{name} ({} left)", p.left()))
        .collect();
    if !behind.is_empty() {
        let at_ms = elapsed_ms(world);
        return Err(format!("liveness: at {at_ms} ms, after the drain, producers still have decisions without an outcome: {}", behind.join(", ")));
    }
    // Stopped, not crashed by the nemesis: nothing to record. The audit must read a final
    // state that no worker changes while it reads.
    for host in world.hosts.all_but_redis() {
        if world.hosts.downstream.as_deref() != Some(host.as_str()) {
            world.sim.crash(host.as_str());
        }
    }
    Ok(Phases {
        healed_at_ms,
        drained,
        stopped_at_ms: elapsed_ms(world),
    })
}

/// Bounds of the drain.
#[derive(Clone, Copy, Debug)]
pub struct Drain {
    pub drain_ms: u64,
    /// When the workload's last commit is due.
    pub last_commit_ms: u64,
}

/// Steps until every producer is done, every group has stayed drained and the servers have agreed
/// with the Sentinels for [`SETTLE_MS`], or until `deadline_ms`; true when drained.
fn drain_until_settled(
    world: &mut World,
    nemesis: &mut SimNemesis,
    deadline_ms: u64,
) -> Result<bool, Broken> {
    let mut drained_since_ms: Option<u64> = None;
    while elapsed_ms(world) < deadline_ms {
        let now_ms = elapsed_ms(world);
        if world.producers_done() && world.groups_drained() && world.settled() {
            let since_ms = *drained_since_ms.get_or_insert(now_ms);
            if now_ms - since_ms >= SETTLE_MS {
                return Ok(true);
            }
        } else {
            drained_since_ms = None;
        }
        step(world, nemesis)?;
    }
    Ok(false)
}

/// Reads the final state: Redis over simulated TCP from a client host `audit`, plus the
/// downstream's ledger. An error says why there is none.
pub fn audit(world: &mut World, seed: u64) -> Result<Result<FinalState, String>, Broken> {
    let ledger = world.downstream.as_ref().map(|s| s.ledger());
    let slot: Rc<RefCell<Option<Result<FinalState, String>>>> = Rc::default();
    let (out, config, tenants) = (slot.clone(), world.config.clone(), world.tenants.clone());
    let target = world.target.clone();
    world.sim.client("audit", async move {
        let result = read_final_state(seed, target, &config, &tenants, ledger).await;
        *out.borrow_mut() = Some(result);
        Ok(())
    });
    let deadline_ms = elapsed_ms(world) + AUDIT_MS_MAX;
    while slot.borrow().is_none() && elapsed_ms(world) < deadline_ms {
        let now_ms = elapsed_ms(world);
        world
            .sim
            .step()
            .map_err(|e| format!("the simulation failed during the audit at {now_ms} ms: {e}"))?;
    }
    let result = slot.borrow_mut().take();
    Ok(result.unwrap_or_else(|| {
        Err(format!(
            "the audit did not finish within {AUDIT_MS_MAX} simulated ms"
        ))
    }))
}

async fn read_final_state(
    seed: u64,
    target: Target,
    config: &crate::pipeline::PipelineConfig,
    tenants: &[String],
    ledger: Option<crate::pipeline::downstream::Ledger>,
) -> Result<FinalState, String> {
    let connector = Connector::new(
        Arc::new(TurmoilDialer),
        target,
        RedisConnectionInfo::default(),
        config.connect.clone(),
    );
    let mut backoff = Backoff::new(10, 1_000, Rng::derive(seed, "audit"));
    let mut last_error = String::new();
    for _ in 0..AUDIT_CONNECT_ATTEMPTS {
        match connector.connect(Purpose::Commands).await {
            Ok(mut conn) => {
                return audit::audit(&mut conn, config, tenants, ledger.as_ref())
                    .await
                    .map_err(|e| format!("audit: {e}"));
            }
            Err(e) => last_error = e.to_string(),
        }
        backoff.wait().await;
    }
    Err(format!(
        "the audit could not connect to Redis: {last_error}"
    ))
}
