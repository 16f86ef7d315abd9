//! Supervision: every device that should keep reporting — an alarm panel's
//! transmission path, a camera, a reader, a sensor gateway — has an
//! expected interval; silence longer than that is a lost path, and the next
//! word from it restores the path.
//!
//! [`Supervisor`] is the pure state machine, driven by `now`; a
//! [`SupervisionHandle`] shares one between listeners (which report what
//! they heard) and the ticker task ([`run`]) that turns transitions into
//! events through the pipeline.

mod category;
pub mod task;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use serde_json::Value;
use vigil_model::{Fields, Severity, SourceBinding, SourceId, Timestamp};

pub use category::{CategoryError, TransmissionCategory};
pub use task::run;

/// Most devices one supervisor watches; beyond it new devices are refused
/// (and logged), so a flood of invented device ids cannot exhaust memory.
pub const MAX_SUPERVISED_DEVICES: usize = 100_000;

/// A report that a device was heard from.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    /// The binding its events arrive through (tenant, site, source).
    pub binding: SourceBinding,
    /// The device's id (`panel-1234`, `cam-7`, a Sparkplug edge node).
    pub device: String,
    /// What kind of device (`intrusion_panel`, `camera`, `sensor_gateway` …).
    pub device_type: String,
    /// How long it may stay silent.
    pub interval: Duration,
    /// When it was heard.
    pub at: Timestamp,
    /// The set state it reported, when it did (alarm panels).
    pub armed: Option<bool>,
}

/// One watched device's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Watched {
    /// Its binding.
    pub binding: SourceBinding,
    /// Its id.
    pub device: String,
    /// Its kind.
    pub device_type: String,
    /// Its interval.
    pub interval: Duration,
    /// When it was last heard (or first expected).
    pub last_seen: Timestamp,
    /// Since when its path is lost, if it is.
    pub lost_since: Option<Timestamp>,
    /// Its last reported set state.
    pub armed: Option<bool>,
}

/// A change of a device's supervision state.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// Silent past its interval (or said it is going offline).
    Lost {
        /// The device's state after the change.
        device: Watched,
        /// When the path counts as lost.
        at: Timestamp,
        /// Why (`no report within 180s`, `gateway sent NDEATH`).
        reason: String,
    },
    /// Heard from again.
    Restored {
        /// The device's state after the change.
        device: Watched,
        /// When it was heard.
        at: Timestamp,
        /// How long the path was lost.
        down_for: Duration,
    },
}

impl Transition {
    /// The device it concerns.
    pub fn device(&self) -> &Watched {
        match self {
            Transition::Lost { device, .. } | Transition::Restored { device, .. } => device,
        }
    }

    /// The event's fields: `device_status` with `action`
    /// `transmission_path_lost` / `transmission_path_restored`.
    pub fn fields(&self) -> Fields {
        let d = self.device();
        let mut f = Fields::new();
        let mut put = |k: &str, v: Value| {
            f.insert(k.to_owned(), v);
        };
        let (at, action, status, severity) = match self {
            Transition::Lost { at, .. } => {
                (*at, "transmission_path_lost", "offline", Severity::High)
            }
            Transition::Restored { at, .. } => {
                (*at, "transmission_path_restored", "online", Severity::Info)
            }
        };
        put(
            "time",
            at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .into(),
        );
        put("class", "device_status".into());
        put("action", action.into());
        put("status", status.into());
        put("severity", severity.as_str().into());
        put("device", d.device.clone().into());
        put("device_type", d.device_type.clone().into());
        put("supervision_interval_secs", d.interval.num_seconds().into());
        put(
            "last_seen",
            d.last_seen
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .into(),
        );
        if let Some(armed) = d.armed {
            put("armed", armed.into());
        }
        match self {
            Transition::Lost { reason, .. } => put("reason", reason.clone().into()),
            Transition::Restored { down_for, .. } => {
                put("down_secs", down_for.num_seconds().into())
            }
        }
        f
    }

    /// Canonical bytes for the event's fingerprint: one per device and
    /// transition time, so a replayed tick adds no evidence.
    pub fn raw(&self) -> Vec<u8> {
        let (kind, at) = match self {
            Transition::Lost { at, .. } => ("lost", at),
            Transition::Restored { at, .. } => ("restored", at),
        };
        format!(
            "supervision {kind} {} {}",
            self.device().device,
            at.timestamp_millis()
        )
        .into_bytes()
    }
}

type Key = (SourceId, String);

/// The supervision state of every watched device.
#[derive(Debug, Default)]
pub struct Supervisor {
    devices: BTreeMap<Key, Watched>,
    refused: u64,
}

impl Supervisor {
    /// An empty supervisor.
    pub fn new() -> Self {
        Self::default()
    }

    fn key(binding: &SourceBinding, device: &str) -> Key {
        (binding.id.clone(), device.to_owned())
    }

    /// Starts watching a device that has not reported yet (configured
    /// panels, cameras): if it stays silent past its interval from `at`, its
    /// path is lost. A device already watched is left as it is.
    pub fn expect(&mut self, heard: &Heard) {
        let key = Self::key(&heard.binding, &heard.device);
        if self.devices.contains_key(&key) {
            return;
        }
        if self.devices.len() >= MAX_SUPERVISED_DEVICES {
            self.refused += 1;
            return;
        }
        self.devices.insert(key, watched(heard));
    }

    /// Records that a device was heard; returns the restore if its path
    /// was lost.
    pub fn heard(&mut self, heard: Heard) -> Option<Transition> {
        let key = Self::key(&heard.binding, &heard.device);
        let Some(d) = self.devices.get_mut(&key) else {
            if self.devices.len() >= MAX_SUPERVISED_DEVICES {
                self.refused += 1;
                return None;
            }
            self.devices.insert(key, watched(&heard));
            return None;
        };
        d.interval = heard.interval;
        d.binding = heard.binding;
        if heard.armed.is_some() {
            d.armed = heard.armed;
        }
        // Reports can arrive out of order; time only moves forward.
        d.last_seen = d.last_seen.max(heard.at);
        let since = d.lost_since.take()?;
        Some(Transition::Restored {
            device: d.clone(),
            at: heard.at,
            down_for: heard.at - since,
        })
    }

    /// A device said it is going offline (Sparkplug NDEATH, a camera's
    /// goodbye): its path is lost now, without waiting for the interval.
    pub fn went_offline(&mut self, heard: Heard, reason: &str) -> Option<Transition> {
        let key = Self::key(&heard.binding, &heard.device);
        if !self.devices.contains_key(&key) {
            self.expect(&heard);
        }
        let d = self.devices.get_mut(&key)?;
        if d.lost_since.is_some() {
            return None;
        }
        d.lost_since = Some(heard.at);
        Some(Transition::Lost {
            device: d.clone(),
            at: heard.at,
            reason: reason.to_owned(),
        })
    }

    /// Every device silent past its interval at `now` whose path was not
    /// already lost: it is lost as of the moment its interval ran out.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Transition> {
        let mut out = Vec::new();
        for d in self.devices.values_mut() {
            let due = d.last_seen + d.interval;
            if d.lost_since.is_none() && now > due {
                d.lost_since = Some(due);
                out.push(Transition::Lost {
                    device: d.clone(),
                    at: due,
                    reason: format!(
                        "no report within {}s (last at {})",
                        d.interval.num_seconds(),
                        d.last_seen
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                });
            }
        }
        out
    }

    /// Every watched device, for saving and for display.
    pub fn devices(&self) -> impl Iterator<Item = &Watched> {
        self.devices.values()
    }

    /// Puts back a saved state (at start-up), replacing what is there.
    pub fn restore(&mut self, device: Watched) {
        let key = Self::key(&device.binding, &device.device);
        if self.devices.len() < MAX_SUPERVISED_DEVICES || self.devices.contains_key(&key) {
            self.devices.insert(key, device);
        }
    }

    /// How many devices were refused for the limit.
    pub fn refused(&self) -> u64 {
        self.refused
    }
}

fn watched(heard: &Heard) -> Watched {
    Watched {
        binding: heard.binding.clone(),
        device: heard.device.clone(),
        device_type: heard.device_type.clone(),
        interval: heard.interval,
        last_seen: heard.at,
        lost_since: None,
        armed: heard.armed,
    }
}

/// A supervisor shared between listeners and the ticker. Restores found
/// while listening wait here for the ticker to record them.
#[derive(Debug, Clone, Default)]
pub struct SupervisionHandle {
    inner: Arc<Mutex<Shared>>,
}

#[derive(Debug, Default)]
struct Shared {
    supervisor: Supervisor,
    pending: Vec<Transition>,
}

/// Transitions waiting to be recorded at most; older ones are dropped
/// (they are state changes, and the state itself is kept).
const MAX_PENDING: usize = 10_000;

impl SupervisionHandle {
    /// A handle on a new, empty supervisor.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Shared) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// See [`Supervisor::expect`].
    pub fn expect(&self, heard: &Heard) {
        self.with(|s| s.supervisor.expect(heard));
    }

    /// See [`Supervisor::heard`]; a restore is queued for the ticker.
    pub fn heard(&self, heard: Heard) {
        self.with(|s| {
            if let Some(t) = s.supervisor.heard(heard) {
                push_pending(&mut s.pending, t);
            }
        });
    }

    /// See [`Supervisor::went_offline`]; the loss is queued for the ticker.
    pub fn went_offline(&self, heard: Heard, reason: &str) {
        self.with(|s| {
            if let Some(t) = s.supervisor.went_offline(heard, reason) {
                push_pending(&mut s.pending, t);
            }
        });
    }

    /// Queued transitions and those due at `now`.
    pub fn take_transitions(&self, now: Timestamp) -> Vec<Transition> {
        self.with(|s| {
            let mut out = std::mem::take(&mut s.pending);
            out.extend(s.supervisor.tick(now));
            out
        })
    }

    /// A copy of every watched device's state.
    pub fn snapshot(&self) -> Vec<Watched> {
        self.with(|s| s.supervisor.devices().cloned().collect())
    }

    /// See [`Supervisor::restore`].
    pub fn restore(&self, device: Watched) {
        self.with(|s| s.supervisor.restore(device));
    }
}

fn push_pending(pending: &mut Vec<Transition>, t: Transition) {
    if pending.len() >= MAX_PENDING {
        pending.remove(0);
    }
    pending.push(t);
}

#[cfg(test)]
mod tests;
