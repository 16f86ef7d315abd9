//! Sigma correlation rules in a hunt, evaluated by the engine the live
//! pipeline runs (`vigil-correlate`), on event time, with the same results
//! as the pipeline on the same events.
//!
//! An event whose detections feed a correlation is turned into the
//! pipeline's event (`vigil_model::Event`) (`vigil_codecs::normalize`, so its time is the
//! pipeline's `observed_at`) and read by the pipeline's own
//! [`CorrelationSet::prepare_detections`]. Detections of rules that
//! correlations keep silent (`generate: false`) are not reported as hits.
//!
//! **Order.** Files, archive members and EVTX chunks need not be in time
//! order, so what events feed is held back (one small [`Prepared`] per
//! event, only for events that matched a referred rule: far fewer than
//! events) and fed to the engine sorted by event time, ties in reading
//! order, when the hunt ends. The result is what the pipeline makes of the
//! same events arriving in time order. Memory is bounded by
//! [`CorrelationOptions::max_pending`]: when that many are held, they are
//! fed (sorted) and the hunt goes on as a stream, where an event older
//! than the newest fed by more than the engine's allowed lateness is
//! dropped and counted ([`CorrelationStats::late_dropped`]), as in the
//! pipeline.
//!
//! **Time.** An event's time is the one the pipeline gives it
//! ([`vigil_codecs::event_time`]); an event with none cannot be placed in
//! a window and feeds nothing ([`CorrelationStats::untimed`]); the
//! pipeline would have used its receive time, which a file does not have.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use vigil_correlate::{
    CorrelationEngine, CorrelationMeta, CorrelationSet, EngineConfig, Evidence, Firing, Prepared,
};
use vigil_detect::{Detection, JsonDocument};
use vigil_model::{
    EventId, Fields, IdError, SourceBinding, SourceId, SourceKind, TenantId, Timestamp,
};
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

use crate::Position;

/// The tenant a hunt's events are correlated under: one, since a hunt's
/// files are one investigation.
const HUNT_TENANT: &str = "hunt";
/// The source a hunt's events are bound to.
const HUNT_SOURCE: &str = "hunt";

/// How a hunt correlates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationOptions {
    /// The engine's limits (groups, entries per group, evidence, lateness):
    /// by default those of `vigil serve`.
    pub engine: EngineConfig,
    /// Most events held back to be fed in time order; beyond it they are
    /// fed and the hunt goes on as a stream.
    pub max_pending: usize,
    /// The time a hunt runs at (from the caller's clock): it places event
    /// times written without a year, as the pipeline's receive time does.
    pub reference: Timestamp,
}

impl CorrelationOptions {
    /// The defaults, at `reference`.
    pub fn at(reference: Timestamp) -> Self {
        CorrelationOptions {
            engine: EngineConfig::default(),
            max_pending: 1_000_000,
            reference,
        }
    }
}

/// What correlating counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CorrelationStats {
    /// Events that fed a correlation.
    pub fed: u64,
    /// Events that matched a referred rule but say no time of their own.
    pub untimed: u64,
    /// Detections not reported because correlations keep their rule silent
    /// (`generate: false`).
    pub silenced: u64,
    /// Times the held-back events were fed early, at
    /// [`CorrelationOptions::max_pending`].
    pub early_feeds: u64,
    /// Detections the engine dropped as later than its allowed lateness
    /// (only after an early feed).
    pub late_dropped: u64,
    /// Correlation alerts.
    pub alerts: u64,
}

/// An event that contributed to a correlation alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    /// Its time.
    pub time: Timestamp,
    /// Where it is: the file (and archive member after `!`) and where in
    /// it; `None` when the hunt no longer holds it.
    pub place: Option<(Arc<str>, Position)>,
}

/// A correlation rule that held: one per (correlation, group, episode), as
/// the pipeline makes one alert of each.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationAlert {
    /// The correlation rule.
    pub correlation: Arc<CorrelationMeta>,
    /// Each group-by name and its value.
    pub group: Vec<(String, String)>,
    /// When the first window that held starts (with the rule and group, what
    /// names the alert, in the pipeline too).
    pub window_start: Timestamp,
    /// The time of the earliest contributing event.
    pub first_seen: Timestamp,
    /// The time of the latest window that held.
    pub last_seen: Timestamp,
    /// The window's value the last time the condition held: the count of
    /// events, of distinct values or of rules, or the sum, average or
    /// percentage.
    pub value: f64,
    /// How many distinct events contributed.
    pub event_count: u64,
    /// The contributing events, oldest first (at most the engine's
    /// `max_evidence`).
    pub events: Vec<AlertEvent>,
}

impl CorrelationAlert {
    /// The group as text (`User=jdoe,IpAddress=203.0.113.9`), as the
    /// pipeline's alerts name it.
    pub fn group_key(&self) -> String {
        self.group
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A document a hunt can turn into the pipeline's fields.
pub(crate) trait EventFields {
    /// The document as a `serde_json` map.
    fn event_fields(&self) -> Fields;
}

impl EventFields for JsonDocument<'_> {
    fn event_fields(&self) -> Fields {
        self.to_fields()
    }
}

/// An alert being built, with the events it has counted.
struct Building {
    alert: CorrelationAlert,
    seen: HashSet<EventId>,
}

/// A hunt's correlation state.
pub(crate) struct HuntCorrelation {
    set: Arc<CorrelationSet>,
    engine: CorrelationEngine,
    binding: SourceBinding,
    options: CorrelationOptions,
    /// Held back, in reading order.
    pending: Vec<Prepared>,
    /// Where each fed event is (bounded).
    places: HashMap<EventId, (Arc<str>, Position)>,
    /// Alerts by (correlation id, group key, window start).
    alerts: BTreeMap<(Timestamp, String, String), Building>,
    stats: CorrelationStats,
}

impl std::fmt::Debug for HuntCorrelation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HuntCorrelation")
            .field("correlations", &self.set.len())
            .field("pending", &self.pending.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl HuntCorrelation {
    /// Correlating `set`, for events of `product`.
    pub(crate) fn new(
        set: Arc<CorrelationSet>,
        product: &str,
        options: CorrelationOptions,
    ) -> Result<Self, IdError> {
        let binding = SourceBinding {
            id: SourceId::new(HUNT_SOURCE)?,
            tenant: TenantId::new(HUNT_TENANT)?,
            site: None,
            kind: SourceKind::File,
            product: product.to_owned(),
        };
        Ok(HuntCorrelation {
            engine: CorrelationEngine::new(Arc::clone(&set), options.engine.clone()),
            set,
            binding,
            options,
            pending: Vec::new(),
            places: HashMap::new(),
            alerts: BTreeMap::new(),
            stats: CorrelationStats::default(),
        })
    }

    /// What it counted so far.
    pub(crate) fn stats(&self) -> CorrelationStats {
        CorrelationStats {
            late_dropped: self.engine.metrics().late_dropped,
            alerts: self.stats.alerts + self.alerts.len() as u64,
            ..self.stats
        }
    }

    /// Reads what one event (at `origin`, `position`) feeds through its
    /// `detections`, and takes out the detections of silent rules.
    pub(crate) fn observe<D: EventFields>(
        &mut self,
        doc: &D,
        detections: &mut Vec<Detection>,
        origin: &Arc<str>,
        position: Position,
    ) {
        if detections.iter().any(|d| self.set.refers_to(&d.rule.id)) {
            self.prepare(doc, detections, origin, position);
        }
        let before = detections.len();
        detections.retain(|d| self.set.generates(&d.rule.id));
        self.stats.silenced += (before - detections.len()) as u64;
    }

    fn prepare<D: EventFields>(
        &mut self,
        doc: &D,
        detections: &[Detection],
        origin: &Arc<str>,
        position: Position,
    ) {
        let fields = doc.event_fields();
        let Some(time) = vigil_codecs::event_time(&fields, self.options.reference) else {
            self.stats.untimed += 1;
            return;
        };
        // The same content is the same event (a replay is not counted
        // twice), as the pipeline fingerprints a line by its text.
        let fingerprint = serde_json::to_vec(&fields).map_or(0, |text| xxh3_64(&text));
        let (number, place) = match position {
            Position::Offset(o) => (0u8, o),
            Position::Record(r) => (1u8, r),
        };
        let mut key = origin.as_bytes().to_vec();
        key.push(0);
        key.push(number);
        key.extend_from_slice(&place.to_le_bytes());
        let mut random = [0u8; 10];
        random.copy_from_slice(&xxh3_128(&key).to_le_bytes()[..10]);
        let id = EventId::new_at(time, random);
        let event = vigil_codecs::normalize(&self.binding, fields, time, id);
        let Some(prepared) = self.set.prepare_detections(&event, fingerprint, detections) else {
            return;
        };
        self.stats.fed += 1;
        if self.places.len() < self.options.max_pending.saturating_mul(2) {
            self.places.insert(id, (Arc::clone(origin), position));
        }
        self.pending.push(prepared);
        if self.pending.len() >= self.options.max_pending.max(1) {
            self.stats.early_feeds += 1;
            self.feed();
        }
    }

    /// Feeds what is held back, in time order (ties in reading order).
    fn feed(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(Prepared::time);
        let mut firings = Vec::new();
        for prepared in pending {
            let now = prepared.time();
            self.engine.observe(prepared, now, &mut firings);
            for firing in firings.drain(..) {
                self.add(firing);
            }
        }
    }

    fn add(&mut self, firing: Firing) {
        let key = (
            firing.window_start,
            firing.correlation.id.clone(),
            firing.group_key(),
        );
        let max = self.options.engine.max_evidence.max(1);
        let building = self.alerts.entry(key).or_insert_with(|| Building {
            alert: CorrelationAlert {
                correlation: Arc::clone(&firing.correlation),
                group: firing.group.clone(),
                window_start: firing.window_start,
                first_seen: firing.time,
                last_seen: firing.time,
                value: firing.value,
                event_count: 0,
                events: Vec::new(),
            },
            seen: HashSet::new(),
        });
        let alert = &mut building.alert;
        alert.last_seen = alert.last_seen.max(firing.time);
        alert.value = firing.value;
        for Evidence { event, time, .. } in firing.evidence {
            if !building.seen.insert(event) {
                continue;
            }
            alert.event_count += 1;
            alert.first_seen = alert.first_seen.min(time);
            if alert.events.len() < max {
                alert.events.push(AlertEvent {
                    time,
                    place: self.places.get(&event).cloned(),
                });
            }
        }
    }

    /// Feeds what is held back and hands over the alerts, by window start.
    pub(crate) fn finish(&mut self) -> Vec<CorrelationAlert> {
        self.feed();
        let alerts = std::mem::take(&mut self.alerts);
        self.stats.alerts += alerts.len() as u64;
        alerts
            .into_values()
            .map(|mut b| {
                b.alert.events.sort_by_key(|e| e.time);
                b.alert
            })
            .collect()
    }
}
