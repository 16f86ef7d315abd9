//! The unplanned firmware change: a device reported a firmware version
//! other than the one on record, and no approved firmware upgrade of that
//! device covers the moment. That is a security event (someone changed a
//! security system outside change control); the caller raises the alarm.

use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, Timestamp};

use crate::inventory::Reported;
use crate::work_order::{WorkOrder, covering};

/// A firmware change no work order covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnplannedChange {
    /// The device's site.
    pub site: SiteId,
    /// The device.
    pub device: String,
    /// The version on record before.
    pub from: String,
    /// The version it reported.
    pub to: String,
    /// When it reported it.
    pub at: Timestamp,
}

/// The unplanned change in a device report, if there is one: the firmware
/// changed and none of `orders` covers it.
pub fn unplanned_change(
    reported: &Reported,
    site: &SiteId,
    device: &str,
    orders: &[WorkOrder],
    at: Timestamp,
) -> Option<UnplannedChange> {
    let change = reported.firmware_changed.as_ref()?;
    if covering(orders, site, device, at).is_some() {
        return None;
    }
    Some(UnplannedChange {
        site: site.clone(),
        device: device.to_owned(),
        from: change.from.clone(),
        to: change.to.clone(),
        at,
    })
}
