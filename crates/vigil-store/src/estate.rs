//! The physical estate's records: the people register (people, their
//! badges and IT accounts), devices, panel accounts, and the supervision
//! state of devices that must keep reporting; and the estate's recent events
//! at a site, read from the archive.
//!
//! A site's recent events are bounded (a time floor and a row limit) and
//! served by a partial index over the physical event classes only, so the
//! cyber events that make up most of the archive neither slow the read down
//! nor pay for it at ingest.
//!
//! Panel encryption keys are secrets and never reach the store: they live
//! only in the configuration (or the environment it names); a panel account
//! here records only whether it encrypts.

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use vigil_model::{EventClass, Fields, PersonStatus, SiteId, SourceId, TenantId, Timestamp};

use crate::{StoreError, TenantScope};

/// One person of a tenant's register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// HR's id for the person, unique within the tenant.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Status.
    pub status: PersonStatus,
    /// When the status began (a termination's effective date, a leave's
    /// first day); `None`: always.
    pub status_from: Option<NaiveDate>,
    /// When a leave ends (the first day back); `None`: open-ended.
    pub status_until: Option<NaiveDate>,
    /// Badge (card) numbers issued to the person.
    pub badges: Vec<String>,
    /// IT account names (`jsmith`, `j.smith@corp.example`).
    pub accounts: Vec<String>,
}

/// What an import of the register did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeopleImport {
    /// People in the tenant's register now.
    pub people: usize,
    /// Badges in it.
    pub badges: usize,
    /// Accounts in it.
    pub accounts: usize,
    /// The register's revision after the import.
    pub revision: i64,
}

/// A physical device of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// Its id, unique within the tenant.
    pub id: String,
    /// Its site.
    pub site: Option<SiteId>,
    /// What it is (`camera`, `reader`, `intrusion_panel`, `sensor_gateway` …).
    pub kind: String,
    /// The zone it is in or watches.
    pub zone: Option<String>,
    /// A name for people.
    pub name: Option<String>,
    /// For a camera: the door it covers.
    pub covers_door: Option<String>,
    /// How often it must be heard from, when supervised.
    pub heartbeat_secs: Option<i64>,
}

/// An alarm panel account served by a DC-09 receiver (never its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelAccountRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// The receiver (source) it reports to.
    pub source: SourceId,
    /// The account number.
    pub account: String,
    /// The site it is at.
    pub site: Option<SiteId>,
    /// Its device id in events.
    pub panel: String,
    /// Its EN 50136 transmission category, when given.
    pub category: Option<String>,
    /// Whether it must encrypt.
    pub encrypted: bool,
}

/// The supervision state of one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// The source it reports through.
    pub source: SourceId,
    /// The site it is at.
    pub site: Option<SiteId>,
    /// Its id.
    pub device: String,
    /// What it is.
    pub device_type: String,
    /// Its reporting interval.
    pub interval_secs: i64,
    /// When it was last heard.
    pub last_seen: Timestamp,
    /// Since when its path is lost, if it is.
    pub lost_since: Option<Timestamp>,
    /// Its last reported set state.
    pub armed: Option<bool>,
}

/// The event classes of the physical estate, which
/// [`EstateStore::recent_site_events`] reads (and its partial index covers).
pub const PHYSICAL_EVENT_CLASSES: [EventClass; 6] = [
    EventClass::PhysicalAccess,
    EventClass::IntrusionAlarm,
    EventClass::FireAlarm,
    EventClass::SensorReading,
    EventClass::VideoAnalytics,
    EventClass::DeviceStatus,
];

/// One physical event at a site: when, what class, which device, and its
/// fields, without the rest of the archived event.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteEvent {
    /// When it happened.
    pub observed_at: Timestamp,
    /// Its class (one of [`PHYSICAL_EVENT_CLASSES`]).
    pub class: EventClass,
    /// The device that emitted it, when known.
    pub device: Option<String>,
    /// Its fields (`action`, `door`, `reader`, `panel`, `status` …).
    pub fields: Fields,
}

/// The estate's part of the store.
#[async_trait]
pub trait EstateStore: Send + Sync + std::fmt::Debug {
    /// Replaces a tenant's people register with `people` (an HR export is
    /// a whole snapshot), in one transaction; bumps the register revision.
    /// A badge or account named for two people is refused.
    async fn replace_people(
        &self,
        tenant: &TenantId,
        people: &[PersonRecord],
    ) -> Result<PeopleImport, StoreError>;
    /// The people in scope, with their badges and accounts.
    async fn people(&self, scope: &TenantScope) -> Result<Vec<PersonRecord>, StoreError>;
    /// A number that changes whenever any tenant's register changes.
    async fn people_revision(&self) -> Result<i64, StoreError>;
    /// Creates or updates devices.
    async fn upsert_devices(&self, devices: &[DeviceRecord]) -> Result<(), StoreError>;
    /// The devices in scope.
    async fn devices(&self, scope: &TenantScope) -> Result<Vec<DeviceRecord>, StoreError>;
    /// Creates or updates panel accounts.
    async fn upsert_panel_accounts(
        &self,
        accounts: &[PanelAccountRecord],
    ) -> Result<(), StoreError>;
    /// The panel accounts in scope.
    async fn panel_accounts(
        &self,
        scope: &TenantScope,
    ) -> Result<Vec<PanelAccountRecord>, StoreError>;
    /// Saves supervision states (keyed by source and device).
    async fn save_supervision(&self, states: &[SupervisionRecord]) -> Result<(), StoreError>;
    /// The saved supervision states in scope.
    async fn supervision(&self, scope: &TenantScope) -> Result<Vec<SupervisionRecord>, StoreError>;
    /// The physical events ([`PHYSICAL_EVENT_CLASSES`]) of `tenant`'s `site`
    /// observed at or after `since`, newest first, at most `limit` (capped
    /// at [`crate::MAX_PAGE_SIZE`] × 10).
    async fn recent_site_events(
        &self,
        tenant: &TenantId,
        site: &SiteId,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<SiteEvent>, StoreError>;
}
