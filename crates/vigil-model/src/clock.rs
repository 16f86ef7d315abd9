//! Time as an input.
//!
//! Every component takes `now` from a [`Clock`]. Production runs on the
//! [`SystemClock`]; the simulator runs on a [`ScaledClock`] (an hour a minute);
//! tests run on a [`ManualClock`] they move by hand, so that deadlines are exact.

use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

/// A point in time, UTC.
pub type Timestamp = DateTime<Utc>;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }
}

/// A clock that only moves when told to. For tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A clock that starts at a chosen time and runs `speed` times faster than
/// real time. `speed = 60.0` runs an hour a minute.
#[derive(Debug)]
pub struct ScaledClock {
    start: Timestamp,
    anchor: Instant,
    speed: f64,
}

impl ScaledClock {
    /// A clock reading `start` now and running `speed` times real time.
    ///
    /// A speed that is not a positive finite number is taken as 1.
    pub fn new(start: Timestamp, speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Self {
            start,
            anchor: Instant::now(),
            speed,
        }
    }

    /// How many times faster than real time this clock runs.
    pub fn speed(&self) -> f64 {
        self.speed
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> Timestamp {
        let real = self.anchor.elapsed().as_secs_f64();
        let scaled_micros = (real * self.speed * 1e6) as i64;
        self.start + Duration::microseconds(scaled_micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = ManualClock::new(t0);
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::minutes(5));
        assert_eq!(clock.now(), t0 + Duration::minutes(5));
    }

    #[test]
    fn scaled_clock_starts_where_told_and_never_goes_back() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = ScaledClock::new(t0, 3600.0);
        let a = clock.now();
        let b = clock.now();
        assert!(a >= t0 && b >= a);
        assert_eq!(ScaledClock::new(t0, f64::NAN).speed(), 1.0);
    }
}
