//! The ticker: turns supervision transitions into events through the
//! pipeline, and keeps the supervision state in the store so a restart
//! neither forgets a lost path nor loses track of when a device was last
//! heard.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use vigil_ingest::{Payload, Pipeline};
use vigil_model::{Clock, Fields, SourceBinding, SourceId, TenantId};
use vigil_store::{DeviceRecord, EstateStore, SupervisionRecord, TenantScope};

use super::{SupervisionHandle, Transition, Watched};

/// Ticks between saves of the whole state (transitions are saved at once).
const SAVE_EVERY_TICKS: u64 = 60;

/// Runs until dropped: every `period` (real time) records the transitions
/// due at the clock's `now`, and saves the state to `store`.
///
/// On start it restores the saved state of devices whose source is in
/// `bindings` (sources no longer configured are left out).
pub async fn run(
    handle: SupervisionHandle,
    pipeline: Pipeline,
    store: Option<Arc<dyn EstateStore>>,
    bindings: Vec<SourceBinding>,
    period: std::time::Duration,
) {
    let clock: Arc<dyn Clock> = pipeline.clock().clone();
    if let Some(store) = &store {
        let by_id: HashMap<SourceId, SourceBinding> =
            bindings.into_iter().map(|b| (b.id.clone(), b)).collect();
        match store.supervision(&TenantScope::All).await {
            Ok(saved) => {
                for record in saved {
                    if let Some(w) = from_record(record, &by_id) {
                        handle.restore(w);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "saved supervision state could not be read"),
        }
    }
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u64 = 0;
    loop {
        tick.tick().await;
        ticks += 1;
        let transitions = handle.take_transitions(clock.now());
        if !transitions.is_empty() {
            let places = match &store {
                Some(store) => device_places(store.as_ref()).await,
                None => DevicePlaces::new(),
            };
            record_placed(&pipeline, &transitions, &places).await;
        }
        if let Some(store) = &store
            && (!transitions.is_empty() || ticks % SAVE_EVERY_TICKS == 1)
        {
            let states: Vec<SupervisionRecord> = handle.snapshot().iter().map(to_record).collect();
            if let Err(e) = store.save_supervision(&states).await {
                tracing::warn!(error = %e, "supervision state could not be saved");
            }
        }
    }
}

type Records = Vec<(Result<vigil_model::Fields, String>, Vec<u8>)>;

/// Registered devices by tenant and id: where each is, so that a camera
/// going silent can be matched to the door it covers.
pub type DevicePlaces = HashMap<(TenantId, String), DeviceRecord>;

/// The device register as [`DevicePlaces`]; empty (and logged) when the
/// store cannot be read, since a transition must be recorded regardless.
pub async fn device_places(store: &dyn EstateStore) -> DevicePlaces {
    match store.devices(&TenantScope::All).await {
        Ok(devices) => devices
            .into_iter()
            .map(|d| ((d.tenant.clone(), d.id.clone()), d))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "device register could not be read for supervision");
            DevicePlaces::new()
        }
    }
}

/// Adds a registered device's place (`zone`, `covers_door`, `device_name`)
/// to its supervision event, without overriding what the event says.
pub fn place_fields(fields: &mut Fields, device: &DeviceRecord) {
    let mut add = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            fields
                .entry(k.to_owned())
                .or_insert_with(|| Value::String(v.clone()));
        }
    };
    add("zone", &device.zone);
    add("covers_door", &device.covers_door);
    add("device_name", &device.name);
}

/// Ingests transitions, one payload per binding.
pub async fn record(pipeline: &Pipeline, transitions: &[Transition]) {
    record_placed(pipeline, transitions, &DevicePlaces::new()).await;
}

/// Ingests transitions, one payload per binding, each placed by the
/// device register when the device is in it.
pub async fn record_placed(pipeline: &Pipeline, transitions: &[Transition], places: &DevicePlaces) {
    let mut groups: Vec<(SourceBinding, Records)> = Vec::new();
    for t in transitions {
        let binding = &t.device().binding;
        tracing::info!(
            source = %binding.id,
            device = %t.device().device,
            lost = matches!(t, Transition::Lost { .. }),
            "supervision transition"
        );
        let mut fields = t.fields();
        if let Some(device) = places.get(&(binding.tenant.clone(), t.device().device.clone())) {
            place_fields(&mut fields, device);
        }
        let record = (Ok(fields), t.raw());
        match groups.iter_mut().find(|(b, _)| b == binding) {
            Some((_, records)) => records.push(record),
            None => groups.push((binding.clone(), vec![record])),
        }
    }
    for (binding, records) in groups {
        if let Err(e) = pipeline.ingest(&binding, Payload::Records(records)).await {
            tracing::error!(source = %binding.id, error = %e, "supervision events could not be stored");
        }
    }
}

/// A watched device as the store keeps it.
pub fn to_record(w: &Watched) -> SupervisionRecord {
    SupervisionRecord {
        tenant: w.binding.tenant.clone(),
        source: w.binding.id.clone(),
        site: w.binding.site.clone(),
        device: w.device.clone(),
        device_type: w.device_type.clone(),
        interval_secs: w.interval.num_seconds(),
        last_seen: w.last_seen,
        lost_since: w.lost_since,
        armed: w.armed,
    }
}

/// A stored state back into a watched device, when its source is known.
pub fn from_record(
    r: SupervisionRecord,
    bindings: &HashMap<SourceId, SourceBinding>,
) -> Option<Watched> {
    let mut binding = bindings.get(&r.source)?.clone();
    if r.site.is_some() {
        binding.site = r.site;
    }
    Some(Watched {
        binding,
        device: r.device,
        device_type: r.device_type,
        interval: chrono::Duration::seconds(r.interval_secs.max(1)),
        last_seen: r.last_seen,
        lost_since: r.lost_since,
        armed: r.armed,
    })
}
