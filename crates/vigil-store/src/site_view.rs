//! What the control room's site view reads beyond the estate register: the
//! recent physical events of one site, newest first, from which each
//! device's live state (door open, armed, in alarm) is derived.
//!
//! The query is bounded (a time floor and a row limit) and served by a
//! partial index over the physical event classes only, so the cyber events
//! that make up most of the archive neither slow it down nor pay for it at
//! ingest.

use async_trait::async_trait;
use vigil_model::{EventClass, Fields, SiteId, TenantId, Timestamp};

use crate::{EstateStore, StoreError};

/// The event classes the site view reads (and the partial index covers).
pub const SITE_VIEW_CLASSES: [EventClass; 6] = [
    EventClass::PhysicalAccess,
    EventClass::IntrusionAlarm,
    EventClass::FireAlarm,
    EventClass::SensorReading,
    EventClass::VideoAnalytics,
    EventClass::DeviceStatus,
];

/// One physical event, as much of it as the site view needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteEvent {
    /// When it happened.
    pub observed_at: Timestamp,
    /// Its class (one of [`SITE_VIEW_CLASSES`]).
    pub class: EventClass,
    /// The device that emitted it, when known.
    pub device: Option<String>,
    /// Its fields (`action`, `door`, `reader`, `panel`, `status` …).
    pub fields: Fields,
}

/// The estate store, with the site view's read.
#[async_trait]
pub trait SiteViewStore: EstateStore {
    /// The physical events of `tenant`'s `site` observed at or after
    /// `since`, newest first, at most `limit` (capped at
    /// [`crate::MAX_PAGE_SIZE`] × 10).
    async fn recent_site_events(
        &self,
        tenant: &TenantId,
        site: &SiteId,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<SiteEvent>, StoreError>;
}
