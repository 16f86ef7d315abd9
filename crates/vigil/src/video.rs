//! The node's video job: when an alarm is raised that names a camera with
//! an ONVIF media service — or a door such a camera covers — take the
//! camera's picture through the media service and keep it on the alarm
//! (`Desk::record_snapshot`), with the live stream and the VMS recording at
//! the alarm's time. A camera that cannot be reached leaves a record saying
//! why; the alarm never waits for it.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use vigil_desk::alarm::{Alarm, AlarmStatus};
use vigil_desk::service::{AlarmFilter, Desk};
use vigil_desk::video::{AlarmSnapshot, MAX_SNAPSHOT_BYTES};
use vigil_desk::{Actor, DeskError};
use vigil_model::{EntityKind, TenantId};
use vigil_sources::ConfiguredSource;
use vigil_sources::onvif::OnvifSettings;
use vigil_sources::onvif::media::{MediaCamera, fetch_snapshot};
use vigil_store::StoreError;

/// How long one camera may take to give its picture.
const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Alarms raised longer ago than this when first seen get no picture: the
/// camera would show now, not the alarm's time.
const FRESH: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// Alarms remembered as handled (a cache; the store decides).
const SEEN_MAX: usize = 10_000;

/// Pictures fetched at once: an alarm storm naming many cameras must not
/// open hundreds of connections (each holds up to the picture limit).
const AT_ONCE: usize = 8;

/// A camera of a client with a media service.
#[derive(Debug, Clone)]
pub struct ClientCamera {
    /// The client.
    pub tenant: TenantId,
    /// The camera.
    pub camera: MediaCamera,
}

/// The cameras with a media service among the configured sources.
pub fn media_cameras(sources: &[ConfiguredSource]) -> Vec<ClientCamera> {
    sources
        .iter()
        .filter_map(|s| Some((s, s.settings::<OnvifSettings>()?)))
        .flat_map(|(s, settings)| {
            settings.media_cameras().iter().map(|c| ClientCamera {
                tenant: s.binding.tenant.clone(),
                camera: c.clone(),
            })
        })
        .collect()
}

/// The cameras that saw `alarm`: named by it, or covering a door it names.
fn cameras_for<'a>(alarm: &Alarm, cameras: &'a [ClientCamera]) -> Vec<&'a ClientCamera> {
    cameras
        .iter()
        .filter(|c| c.tenant == alarm.tenant)
        .filter(|c| {
            alarm.entities.iter().any(|e| match e.kind {
                EntityKind::Camera => e.value == c.camera.id,
                EntityKind::Door => c.camera.covers_door.as_deref() == Some(e.value.as_str()),
                _ => false,
            })
        })
        .collect()
}

/// Runs the job until the task is aborted.
pub async fn run(desk: Desk, cameras: Vec<ClientCamera>) {
    let cameras = Arc::new(cameras);
    let http = match reqwest::Client::builder().timeout(FETCH_TIMEOUT).build() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "video job: no HTTP client");
            return;
        }
    };
    let mut changes = desk.changes();
    let slots = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut seen: HashSet<String> = HashSet::new();
    let mut order: VecDeque<String> = VecDeque::new();
    let actor = Actor::system("video");
    loop {
        match look(
            &desk, &actor, &cameras, &http, &slots, &mut seen, &mut order,
        )
        .await
        {
            Ok(()) => {}
            Err(e) => tracing::warn!(error = %e, "video job: could not read alarms"),
        }
        // Woken by any desk change (a new alarm is one), at least every 2 s.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), changes.changed()).await;
    }
}

async fn look(
    desk: &Desk,
    actor: &Actor,
    cameras: &Arc<Vec<ClientCamera>>,
    http: &reqwest::Client,
    slots: &Arc<tokio::sync::Semaphore>,
    seen: &mut HashSet<String>,
    order: &mut VecDeque<String>,
) -> Result<(), DeskError> {
    let filter = AlarmFilter {
        statuses: vec![
            AlarmStatus::New,
            AlarmStatus::Acknowledged,
            AlarmStatus::InProgress,
        ],
        limit: 500,
        ..Default::default()
    };
    let now = desk.now();
    for alarm in desk.alarms(actor, &filter).await? {
        let id = alarm.id.to_string();
        if seen.contains(&id) {
            continue;
        }
        seen.insert(id.clone());
        order.push_back(id);
        if order.len() > SEEN_MAX
            && let Some(old) = order.pop_front()
        {
            seen.remove(&old);
        }
        if now - alarm.raised_at > FRESH {
            continue;
        }
        for camera in cameras_for(&alarm, cameras) {
            if desk.has_snapshot(&alarm, &camera.camera.id).await? {
                continue;
            }
            // Each picture on its own: a slow camera holds up nothing.
            let (desk, http, alarm, camera) = (
                desk.clone(),
                http.clone(),
                alarm.clone(),
                camera.camera.clone(),
            );
            let slots = slots.clone();
            tokio::spawn(async move {
                let Ok(_slot) = slots.acquire_owned().await else {
                    return;
                };
                take(desk, http, alarm, camera).await;
            });
        }
    }
    Ok(())
}

async fn take(desk: Desk, http: reqwest::Client, alarm: Alarm, camera: MediaCamera) {
    let at = desk.now();
    let recording = camera.recording_at(alarm.first_seen);
    let record = match fetch_snapshot(&http, &camera, at, MAX_SNAPSHOT_BYTES).await {
        Ok(shot) => AlarmSnapshot::picture(
            alarm.id,
            alarm.tenant.clone(),
            &camera.id,
            at,
            &shot.content_type,
            &shot.bytes,
            shot.stream_uri,
            recording.clone(),
        )
        .unwrap_or_else(|e| {
            AlarmSnapshot::failed(
                alarm.id,
                alarm.tenant.clone(),
                &camera.id,
                at,
                &e.to_string(),
                recording.clone(),
            )
        }),
        Err(e) => AlarmSnapshot::failed(
            alarm.id,
            alarm.tenant.clone(),
            &camera.id,
            at,
            &e.to_string(),
            recording.clone(),
        ),
    };
    match desk.record_snapshot(&record).await {
        Ok(()) => tracing::info!(
            alarm = %alarm.id,
            camera = %camera.id,
            error = record.error.as_deref().unwrap_or(""),
            "snapshot recorded"
        ),
        // Another node (or pass) recorded it first.
        Err(DeskError::Store(StoreError::Conflict { .. })) => {}
        Err(e) => {
            tracing::warn!(alarm = %alarm.id, camera = %camera.id, error = %e, "snapshot not recorded")
        }
    }
}
