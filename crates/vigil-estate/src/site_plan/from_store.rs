//! A site's facts read from the estate store, combined and drawn.

use std::collections::BTreeSet;

use chrono::Duration;
use vigil_model::{Site, SiteId, TenantId, Timestamp};
use vigil_store::{
    DeviceRecord, EstateStore, PanelAccountRecord, StoreError, SupervisionRecord, TenantScope,
};

use super::{DrawnPlan, FloorPlan, SiteFacts, draw};

/// How far back a site's device events are read: a device quiet for longer
/// shows only what the register and supervision say.
const EVENT_HORIZON_DAYS: i64 = 7;
/// At most this many recent events are read per site, so that a busy site
/// costs a bounded read.
const EVENT_LIMIT: usize = 5000;

/// The estate's records in a scope, read once for every site drawn.
#[derive(Debug, Default)]
pub struct EstateRecords {
    /// Registered devices.
    pub devices: Vec<DeviceRecord>,
    /// Panel accounts.
    pub panels: Vec<PanelAccountRecord>,
    /// Supervision states.
    pub supervision: Vec<SupervisionRecord>,
}

impl EstateRecords {
    /// Reads the devices, panel accounts and supervision states in `scope`.
    pub async fn read(store: &dyn EstateStore, scope: &TenantScope) -> Result<Self, StoreError> {
        Ok(Self {
            devices: store.devices(scope).await?,
            panels: store.panel_accounts(scope).await?,
            supervision: store.supervision(scope).await?,
        })
    }
}

/// Draws `site` at `now`: its configured `plan`, its part of `records`, its
/// recent physical events (read from `store`) and the devices its open
/// alarms name (`alarmed`).
pub async fn draw_site(
    store: &dyn EstateStore,
    site: &Site,
    plan: Option<&FloorPlan>,
    records: &EstateRecords,
    alarmed: BTreeSet<String>,
    now: Timestamp,
) -> Result<DrawnPlan, StoreError> {
    let here = |tenant: &TenantId, s: &Option<SiteId>| {
        tenant == &site.tenant && s.as_ref() == Some(&site.id)
    };
    let since = now - Duration::days(EVENT_HORIZON_DAYS);
    let events = store
        .recent_site_events(&site.tenant, &site.id, since, EVENT_LIMIT)
        .await?;
    let r = records;
    let facts = SiteFacts {
        plan,
        devices: r
            .devices
            .iter()
            .filter(|d| here(&d.tenant, &d.site))
            .collect(),
        panels: r
            .panels
            .iter()
            .filter(|p| here(&p.tenant, &p.site))
            .collect(),
        supervision: r
            .supervision
            .iter()
            .filter(|s| here(&s.tenant, &s.site))
            .collect(),
        events: &events,
        alarmed,
    };
    Ok(draw(&facts))
}
