//! The devices the configuration names, written into each client's
//! inventory when a node starts (`vigil serve`, `vigil demo`): the cameras
//! of ONVIF sources, the panels of DC-09 receivers, the readers of
//! access-control sources and the devices drawn on sites' floor plans.
//! What the inventory does with them (add, update the source and place,
//! mark those named no more) is `vigil_lifecycle::inventory::configured`.

use std::collections::BTreeMap;

use vigil_desk::Actor;
use vigil_desk::service::Desk;
use vigil_lifecycle::inventory::{ConfiguredDevice, DeviceKind, Position};
use vigil_model::{SiteId, TenantId};
use vigil_sources::access::live::AccessConfig;
use vigil_sources::dc09::Dc09Settings;
use vigil_sources::onvif::OnvifSettings;

use crate::config::Resolved;

/// Who the history says wrote these changes.
const ACTOR: &str = "configuration";

/// Each configured client's devices as the configuration names them, the
/// sources' mentions before the plans' (so a source's kind wins). Every
/// client is listed, those naming no device too: their earlier devices
/// are marked as named no more. A source device without a site (a source
/// bound to none, a DC-09 account naming none) is left out and counted in
/// the second value: the inventory keys devices by site.
pub fn configured_devices(
    resolved: &Resolved,
) -> (BTreeMap<TenantId, Vec<ConfiguredDevice>>, usize) {
    let mut out: BTreeMap<TenantId, Vec<ConfiguredDevice>> = resolved
        .tenants
        .iter()
        .map(|(t, _)| (t.id.clone(), Vec::new()))
        .collect();
    let mut siteless = 0;
    for source in &resolved.sources {
        let binding = &source.binding;
        let mut mentions: Vec<ConfiguredDevice> = Vec::new();
        let mut mention = |site: Option<&SiteId>, id: &str, kind, zone: Option<&String>| {
            let Some(site) = site.or(binding.site.as_ref()) else {
                siteless += 1;
                return;
            };
            let mut device = ConfiguredDevice::new(site.clone(), id, kind);
            device.source = Some(binding.id.clone());
            device.position = zone.map(|z| Position {
                zone: Some(z.clone()),
                x: None,
                y: None,
            });
            mentions.push(device);
        };
        if let Some(onvif) = source.settings::<OnvifSettings>() {
            for camera in &onvif.config().cameras {
                mention(None, &camera.id, DeviceKind::Camera, camera.zone.as_ref());
            }
        }
        if let Some(dc09) = source.settings::<Dc09Settings>() {
            for account in dc09.receiver.accounts() {
                mention(
                    account.site.as_ref(),
                    &account.panel,
                    DeviceKind::Panel,
                    None,
                );
            }
        }
        if let Some(Some(access)) = source.settings::<Option<AccessConfig>>() {
            for reader in &access.readers {
                mention(None, &reader.id, DeviceKind::Reader, reader.zone.as_ref());
            }
        }
        out.entry(binding.tenant.clone())
            .or_default()
            .extend(mentions);
    }
    for ((tenant, site), plan) in &resolved.plans {
        for planned in &plan.devices {
            let kind = planned
                .kind
                .as_deref()
                .map_or(DeviceKind::Other, kind_on_plan);
            let mut device = ConfiguredDevice::new(site.clone(), &planned.id, kind);
            if planned.zone.is_some() || planned.x.is_some() || planned.y.is_some() {
                device.position = Some(Position {
                    zone: planned.zone.clone(),
                    x: planned.x,
                    y: planned.y,
                });
            }
            out.entry(tenant.clone()).or_default().push(device);
        }
    }
    (out, siteless)
}

/// The inventory's kind of a device a floor plan draws: an inventory kind
/// as such (`recorder`, `firewall`), else the plan's own words (`door` is
/// its controller, `gateway` a sensor gateway, `sensor` other).
fn kind_on_plan(kind: &str) -> DeviceKind {
    if let Some(kind) = DeviceKind::parse(kind) {
        return kind;
    }
    match vigil_estate::site_plan::plan_kind(kind) {
        "door" => DeviceKind::Controller,
        "camera" => DeviceKind::Camera,
        "panel" => DeviceKind::Panel,
        "reader" => DeviceKind::Reader,
        "gateway" => DeviceKind::SensorGateway,
        _ => DeviceKind::Other,
    }
}

/// Writes each client's configured devices into its inventory. A client
/// whose write fails (another node sharing the store wrote the same at the
/// same moment, a store error) is logged and left as it was: the node
/// starts all the same, and the next start writes what is missing.
pub async fn record(desk: &Desk, resolved: &Resolved) {
    let (devices, siteless) = configured_devices(resolved);
    if siteless > 0 {
        tracing::info!(
            devices = siteless,
            "configured devices without a site are not in the inventory"
        );
    }
    let actor = Actor::system(ACTOR);
    for (tenant, devices) in devices {
        match desk.configure_inventory(&actor, &tenant, devices).await {
            Ok(changes) if !changes.is_empty() => {
                tracing::info!(%tenant, changes = changes.len(), "inventory updated from the configuration");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(%tenant, error = %e, "inventory not updated from the configuration");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const CONFIG: &str = r#"
        [[tenants]]
        id = "northgate"
        name = "Northgate"
        [[tenants.sites]]
        id = "lon1"
        name = "London 1"
        floor_plan = { devices = [
            { id = "cam-1", kind = "camera", x = 100, y = 50 },
            { id = "door-1", kind = "door", zone = "lobby" },
            { id = "nvr-1", kind = "recorder" },
        ] }
        [[tenants.sites]]
        id = "lon2"
        name = "London 2"
        [[tenants]]
        id = "riverside"
        name = "Riverside"

        [[sources]]
        id = "lon1-cams"
        tenant = "northgate"
        site = "lon1"
        kind = "onvif_push"
        product = "onvif"
        token_sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
        [[sources.onvif.cameras]]
        id = "cam-1"
        zone = "lobby"

        [[sources]]
        id = "arc"
        tenant = "northgate"
        kind = "dc09_tcp"
        product = "sia-dc09"
        listen = "127.0.0.1:0"
        [[sources.dc09.accounts]]
        account = "4001"
        site = "lon2"
        [[sources.dc09.accounts]]
        account = "4002"

        [[sources]]
        id = "lon1-access"
        tenant = "northgate"
        site = "lon1"
        kind = "http"
        product = "access"
        token_sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
        [[sources.access.readers]]
        id = "r-1"
        zone = "lobby"
    "#;

    #[test]
    fn sources_and_plans_name_the_devices() {
        let config: Config = toml::from_str(CONFIG).unwrap();
        let resolved = config.resolve(&|_| None).unwrap();
        let (devices, siteless) = configured_devices(&resolved);
        // Account 4002 names no site and its receiver has none.
        assert_eq!(siteless, 1);
        assert_eq!(
            devices
                .get(&TenantId::new("riverside").unwrap())
                .map(Vec::len),
            Some(0),
            "listed, with nothing"
        );
        let merged = vigil_lifecycle::inventory::merge_mentions(
            devices[&TenantId::new("northgate").unwrap()].clone(),
        );
        let got: Vec<(&str, &str, DeviceKind, Option<&str>)> = merged
            .iter()
            .map(|d| {
                (
                    d.site.as_str(),
                    d.id.as_str(),
                    d.kind,
                    d.source.as_ref().map(|s| s.as_str()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("lon1", "cam-1", DeviceKind::Camera, Some("lon1-cams")),
                ("lon2", "panel-4001", DeviceKind::Panel, Some("arc")),
                ("lon1", "r-1", DeviceKind::Reader, Some("lon1-access")),
                ("lon1", "door-1", DeviceKind::Controller, None),
                ("lon1", "nvr-1", DeviceKind::Recorder, None),
            ]
        );
        assert_eq!(
            merged[0].position,
            Some(Position {
                zone: Some("lobby".into()),
                x: Some(100.0),
                y: Some(50.0)
            })
        );
    }

    #[test]
    fn a_plan_kind_maps_to_an_inventory_kind() {
        assert_eq!(kind_on_plan("recorder"), DeviceKind::Recorder);
        assert_eq!(kind_on_plan("door"), DeviceKind::Controller);
        assert_eq!(kind_on_plan("intrusion_panel"), DeviceKind::Panel);
        assert_eq!(kind_on_plan("gateway"), DeviceKind::SensorGateway);
        assert_eq!(kind_on_plan("leak sensor"), DeviceKind::Other);
    }
}
