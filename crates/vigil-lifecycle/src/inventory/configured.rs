//! The devices Vigil's configuration names — the cameras of an ONVIF
//! source, the panels of a DC-09 receiver, the readers of an access-control
//! source, the devices drawn on a site's floor plan — written into the
//! inventory at start-up.
//!
//! The configuration owns only what it names: a device's source and its
//! place on the plan, and its kind when it adds the device. Vendor, model,
//! serial, firmware and dates come from the device itself or an import and
//! are never overwritten here; nor is the kind of a device already on
//! record (a CSV knows that `door-lobby` is an iStar Pro controller better
//! than a floor plan that draws a door).
//!
//! Whether configuration names a device is itself on the record: a device
//! configuration adds or updates is named by it, and one it stops naming
//! gets a change of the `configuration` field from `named` to nothing. It
//! stays in the inventory: a camera taken out of `vigil.toml` is usually
//! still on the wall (still in the advisories' way, still reporting through
//! ONVIF), and only an operator who knows it was taken down removes it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, SourceId, Timestamp};

use super::{Change, ChangeKind, Device, DeviceKind, FieldChange, Inventory, InventoryError};
use super::{Origin, Position};

/// The history's pseudo-field saying whether configuration names a device.
pub const CONFIGURATION_FIELD: &str = "configuration";

/// The value of [`CONFIGURATION_FIELD`] while configuration names a device.
const NAMED: &str = "named";

/// A device as Vigil's configuration names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfiguredDevice {
    /// Its site.
    pub site: SiteId,
    /// Its id in events and on the plan.
    pub id: String,
    /// What it is, as far as configuration says (used when it is added).
    pub kind: DeviceKind,
    /// The source it reports through, if a source names it.
    pub source: Option<SourceId>,
    /// Its place on the site's plan, where configuration gives one.
    pub position: Option<Position>,
}

impl ConfiguredDevice {
    /// A device configuration names on `site`, with no source or place yet.
    pub fn new(site: SiteId, id: impl Into<String>, kind: DeviceKind) -> Self {
        Self {
            site,
            id: id.into(),
            kind,
            source: None,
            position: None,
        }
    }

    /// Completes this mention with what another mention of the same device
    /// says and this one does not (a camera's source from its ONVIF
    /// section, its coordinates from the floor plan). The first mention's
    /// kind stays.
    pub fn merge(&mut self, other: ConfiguredDevice) {
        if self.source.is_none() {
            self.source = other.source;
        }
        self.position = match (self.position.take(), other.position) {
            (Some(mut mine), Some(theirs)) => {
                mine.zone = mine.zone.or(theirs.zone);
                if mine.x.is_none() && mine.y.is_none() {
                    mine.x = theirs.x;
                    mine.y = theirs.y;
                }
                Some(mine)
            }
            (mine, theirs) => mine.or(theirs),
        };
    }
}

/// Merges the mentions of each device (same site and id) into one, in the
/// order first mentioned.
pub fn merge_mentions(
    mentions: impl IntoIterator<Item = ConfiguredDevice>,
) -> Vec<ConfiguredDevice> {
    let mut order: Vec<(SiteId, String)> = Vec::new();
    let mut merged: BTreeMap<(SiteId, String), ConfiguredDevice> = BTreeMap::new();
    for mention in mentions {
        let key = (mention.site.clone(), mention.id.clone());
        match merged.get_mut(&key) {
            Some(first) => first.merge(mention),
            None => {
                order.push(key.clone());
                merged.insert(key, mention);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|key| merged.remove(&key))
        .collect()
}

/// Whether a change from configuration leaves the device named by it.
fn names(change: &Change) -> bool {
    match &change.what {
        ChangeKind::Added => true,
        ChangeKind::Removed => false,
        ChangeKind::Updated { fields } => fields
            .iter()
            .find(|f| f.field == CONFIGURATION_FIELD)
            .is_none_or(|f| f.to.is_some()),
    }
}

impl Inventory {
    /// Whether configuration names the device now: its last change from
    /// configuration added it or updated it without taking the name away.
    pub fn named_by_configuration(&self, site: &SiteId, id: &str) -> bool {
        self.history_of(site, id)
            .filter(|c| c.origin == Origin::Configuration)
            .last()
            .is_some_and(names)
    }

    /// The devices configuration names now, read from the history in one
    /// pass (a start-up meets every device, the history may be long).
    fn named_devices(&self) -> BTreeSet<(SiteId, String)> {
        let mut last: BTreeMap<(&SiteId, &str), bool> = BTreeMap::new();
        for c in self
            .history
            .iter()
            .filter(|c| c.origin == Origin::Configuration)
        {
            last.insert((&c.site, c.device.as_str()), names(c));
        }
        last.into_iter()
            .filter(|(_, named)| *named)
            .map(|((site, id), _)| (site.clone(), id.to_owned()))
            .collect()
    }

    /// Writes what configuration names: devices it names that are not on
    /// record are added, those whose source or place it changed are updated
    /// (and marked named, if they were not), and devices it named before and
    /// names no more are marked no longer named — kept, not removed. The
    /// same configuration written again records nothing. Every device is
    /// checked before any is written. Returns the changes recorded.
    pub fn configured(
        &mut self,
        mentions: impl IntoIterator<Item = ConfiguredDevice>,
        by: &str,
        at: Timestamp,
    ) -> Result<Vec<Change>, InventoryError> {
        let devices = merge_mentions(mentions);
        for d in &devices {
            if d.id.trim().is_empty() {
                return Err(InventoryError::EmptyId {
                    site: d.site.clone(),
                });
            }
        }
        let named = self.named_devices();
        let mut changes = Vec::new();
        for configured in &devices {
            let key = (configured.site.clone(), configured.id.clone());
            if let Some(change) = self.configure_one(configured, named.contains(&key), by, at) {
                changes.push(change);
            }
        }
        let still: BTreeSet<(SiteId, String)> =
            devices.into_iter().map(|d| (d.site, d.id)).collect();
        // Only devices on record: one an operator removed is not marked.
        let dropped: Vec<(SiteId, String)> = named
            .into_iter()
            .filter(|key| !still.contains(key) && self.devices.contains_key(key))
            .collect();
        for (site, device) in dropped {
            let change = Change {
                at,
                by: by.to_owned(),
                origin: Origin::Configuration,
                site,
                device,
                what: ChangeKind::Updated {
                    fields: vec![FieldChange {
                        field: CONFIGURATION_FIELD.to_owned(),
                        from: Some(NAMED.to_owned()),
                        to: None,
                    }],
                },
            };
            self.history.push(change.clone());
            changes.push(change);
        }
        Ok(changes)
    }

    /// Adds or updates one configured device; `None` when nothing changed.
    fn configure_one(
        &mut self,
        configured: &ConfiguredDevice,
        named: bool,
        by: &str,
        at: Timestamp,
    ) -> Option<Change> {
        let key = (configured.site.clone(), configured.id.clone());
        let Some(old) = self.devices.get(&key) else {
            let mut device = Device::new(
                self.tenant.clone(),
                configured.site.clone(),
                configured.id.clone(),
                configured.kind,
                "",
                "",
            );
            device.source = configured.source.clone();
            device.position = configured.position.clone();
            return self.apply(device, Origin::Configuration, by, at);
        };
        let mut device = old.clone();
        if configured.source.is_some() {
            device.source = configured.source.clone();
        }
        if configured.position.is_some() {
            device.position = configured.position.clone();
        }
        let mut fields: Vec<FieldChange> = old
            .fields()
            .into_iter()
            .zip(device.fields())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((field, from), (_, to))| FieldChange {
                field: field.to_owned(),
                from,
                to,
            })
            .collect();
        if !named {
            fields.push(FieldChange {
                field: CONFIGURATION_FIELD.to_owned(),
                from: None,
                to: Some(NAMED.to_owned()),
            });
        }
        if fields.is_empty() {
            return None;
        }
        let change = Change {
            at,
            by: by.to_owned(),
            origin: Origin::Configuration,
            site: key.0.clone(),
            device: key.1.clone(),
            what: ChangeKind::Updated { fields },
        };
        self.devices.insert(key, device);
        self.history.push(change.clone());
        Some(change)
    }
}

#[cfg(test)]
#[path = "configured_tests.rs"]
mod tests;
