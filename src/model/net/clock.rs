//! The server's clock: milliseconds since the unix epoch, as Redis's `mstime()`.
//!
//! Stream ids are unix-millisecond timestamps, so the simulation needs an epoch too: a simulated
//! clock is `tokio::time` (which turmoil drives) counted from a fixed origin. Only the real TCP
//! server reads the wall clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

#[derive(Clone, Copy, Debug)]
pub enum Clock {
    /// `origin_ms` at the `tokio::time` instant `origin`, advancing with `tokio::time`.
    Simulated { origin: Instant, origin_ms: u64 },
    /// The wall clock (`SystemTime`): for `serve-model`, outside the simulation only.
    System,
}

impl Clock {
    /// A clock reading `now_ms` now and advancing with `tokio::time` (paused or simulated time
    /// advances it deterministically).
    pub fn simulated(now_ms: u64) -> Clock {
        Clock::Simulated {
            origin: Instant::now(),
            origin_ms: now_ms,
        }
    }

    /// Inside a turmoil host: the simulation's own wall time (`Builder::epoch` plus simulated
    /// elapsed time), so a host restarted by `bounce` keeps counting from where time is.
    ///
    /// # Panics
    /// Outside a turmoil simulation.
    pub fn turmoil() -> Clock {
        let since_epoch = ::turmoil::since_epoch().expect("Clock::turmoil outside a turmoil host");
        Clock::simulated(since_epoch.as_millis() as u64)
    }

    pub fn now_ms(&self) -> u64 {
        match self {
            Clock::Simulated { origin, origin_ms } => {
                origin_ms + origin.elapsed().as_millis() as u64
            }
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
        }
    }

    /// The `tokio::time` instant at which this clock reads `at_ms` (now, if that is past).
    pub fn instant_at(&self, at_ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(at_ms.saturating_sub(self.now_ms()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn simulated_clock_follows_tokio_time() {
        let clock = Clock::simulated(1_700_000_000_000);
        assert_eq!(clock.now_ms(), 1_700_000_000_000);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(clock.now_ms(), 1_700_000_000_250);
        assert_eq!(
            clock.instant_at(1_700_000_000_300),
            Instant::now() + Duration::from_millis(50)
        );
    }
}
