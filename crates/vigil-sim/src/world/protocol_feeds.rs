//! The estate's protocol feeds of a client: its alarm panels' accounts at
//! the provider's alarm receiving centre (SIA DC-09), its cameras pushing
//! ONVIF events, and its sensor gateways publishing Sparkplug B.

use vigil_model::{SiteId, SourceBinding, SourceId, SourceKind};

use super::{DeviceKind, TenantWorld};

/// A panel's account at the alarm receiving centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelAccount {
    /// The account number the panel sends (`1001` …).
    pub account: String,
    /// The panel's device id.
    pub panel: String,
    /// Its site.
    pub site: SiteId,
    /// The zone it protects (its zone 1 maps there).
    pub zone: String,
    /// A fire panel (else intrusion).
    pub fire: bool,
}

/// A camera and the door it covers, for ONVIF configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraSpec {
    /// The camera's id.
    pub id: String,
    /// Its site.
    pub site: SiteId,
    /// The zone it watches.
    pub zone: String,
    /// The door it covers.
    pub covers_door: Option<String>,
}

fn slug(text: &str) -> SourceId {
    SourceId::new(text).unwrap_or_else(|_| SourceId::new("estate").expect("a valid slug"))
}

/// Adds the estate feeds to a client built by its layout.
pub fn add_feeds(mut t: TenantWorld) -> TenantWorld {
    let tenant = t.tenant.id.clone();
    let mut add = |suffix: &str, kind: SourceKind, product: &str, site: Option<&SiteId>| {
        t.sources.push(SourceBinding {
            id: slug(&format!("{tenant}-{suffix}")),
            tenant: tenant.clone(),
            site: site.cloned(),
            kind,
            product: product.to_owned(),
        });
    };
    add("arc", SourceKind::Dc09Tcp, "sia-dc09", None);
    let sites: Vec<SiteId> = t.sites.iter().map(|s| s.id.clone()).collect();
    for site in &sites {
        add(
            &format!("cameras-{site}"),
            SourceKind::OnvifPush,
            "onvif",
            Some(site),
        );
        add(
            &format!("bms-{site}"),
            SourceKind::Mqtt,
            "sparkplug",
            Some(site),
        );
    }
    t
}

impl TenantWorld {
    /// Every alarm panel's account, numbered from 1001 in device order.
    pub fn panel_accounts(&self) -> Vec<PanelAccount> {
        self.devices
            .iter()
            .filter(|d| matches!(d.kind, DeviceKind::IntrusionPanel | DeviceKind::FirePanel))
            .enumerate()
            .map(|(i, d)| PanelAccount {
                account: format!("{}", 1001 + i),
                panel: d.id.clone(),
                site: d.site.clone(),
                zone: d.zone.clone(),
                fire: matches!(d.kind, DeviceKind::FirePanel),
            })
            .collect()
    }

    /// Every camera, with the door it covers (if one door names it).
    pub fn cameras(&self) -> Vec<CameraSpec> {
        self.devices
            .iter()
            .filter(|d| matches!(d.kind, DeviceKind::Camera { .. }))
            .map(|d| {
                let covers = match &d.kind {
                    DeviceKind::Camera {
                        covers_door: Some(door),
                    } => Some(door.clone()),
                    _ => self
                        .doors()
                        .find(|(_, door)| door.camera.as_deref() == Some(d.id.as_str()))
                        .map(|(dev, _)| dev.id.clone()),
                };
                CameraSpec {
                    id: d.id.clone(),
                    site: d.site.clone(),
                    zone: d.zone.clone(),
                    covers_door: covers,
                }
            })
            .collect()
    }

    /// The Sparkplug group of a site's sensor gateway.
    pub fn sparkplug_group(&self, site: &SiteId) -> String {
        format!("{}-{site}", self.tenant.id)
    }
}
