//! What is installed at each site: the access-control server, the video
//! server, a controller per door with a reader, cameras and panels, with
//! vendor, model, serial, firmware and dates.
//!
//! The products are chosen so that the advisories of
//! `shared/corpora/csaf/cisa-ot-2024` concern some devices and clear their
//! neighbours (see `docs/lifecycle.md`, "Matching rules"):
//!
//! | client / site | product | firmware | advisory |
//! |---|---|---|---|
//! | northgate lon1 | Software House C•CURE 9000 | 2.80 | ICSA-24-191-04 (≤2.80) |
//! | northgate fra1 | Software House C•CURE 9000 | 3.00.2 CU02 | clear (the fix) |
//! | northgate lon1 | iStar Pro (past end of support) | 6.6.5 | ICSA-24-158-04 (all versions) |
//! | northgate fra1 | iStar Edge | 6.6.5 | clear (another product) |
//! | northgate lon1 | Siveillance Video Device Pack | 13.1 | ICSA-24-289-01 (<V13.2) |
//! | northgate fra1 | Siveillance Video Device Pack | V13.2 | clear |
//! | riverside plant | LenelS2 NetBox | 5.6.1 | ICSA-24-151-01 (<5.6.2) |
//! | st-aurelia main | Siveillance Control | V3.1.0 | ICSA-24-074-10 (≥V2.8<V3.1.1) |
//! | st-aurelia clinic | Siveillance Control | V3.1.1 | clear |
//!
//! Cameras, panels and the other door controllers are of makers the
//! corpus does not name.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_model::SiteId;

use crate::world::{DeviceKind, TenantWorld};

/// One installed device, as an inventory file lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledDevice {
    /// Its site.
    pub site: SiteId,
    /// Its id: the world's device id where it is one (doors, cameras,
    /// panels), so the site plan finds it; `{site}-acs` and `{site}-vms`
    /// for the servers.
    pub id: String,
    /// The inventory's kind (`server`, `recorder`, `controller`, `camera`,
    /// `panel`).
    pub kind: &'static str,
    /// Its maker.
    pub vendor: &'static str,
    /// Its product.
    pub model: &'static str,
    /// Its serial number, unique within the client.
    pub serial: String,
    /// Its firmware or software version.
    pub firmware: &'static str,
    /// When it was installed.
    pub installed: NaiveDate,
    /// The last day of its warranty.
    pub warranty_until: NaiveDate,
    /// The last day its vendor supports it, where announced.
    pub end_of_support: Option<NaiveDate>,
    /// The zone it is in.
    pub zone: String,
}

/// A product line: maker, product, firmware, and whether its support has
/// ended.
#[derive(Clone, Copy)]
struct Product {
    vendor: &'static str,
    model: &'static str,
    firmware: &'static str,
    ended: bool,
}

const fn product(vendor: &'static str, model: &'static str, firmware: &'static str) -> Product {
    Product {
        vendor,
        model,
        firmware,
        ended: false,
    }
}

const CCURE: &str = "Software House C•CURE 9000";
const JCI: &str = "Johnson Controls";
const VIDEO_PACK: &str = "Siveillance Video Device Pack";
const CAMERA: Product = product("Axis", "P3245-V", "10.12.1");
const INTRUSION: Product = product("Texecom", "Premier Elite 48", "V4.04");
const FIRE: Product = product("Advanced", "MxPro 5", "1.9");

/// The access-control server, the video server and the door controllers
/// of a client's site.
fn lines(tenant: &str, site: &str) -> (Option<Product>, Option<Product>, Product) {
    match (tenant, site) {
        ("northgate", "lon1") => (
            Some(product(JCI, CCURE, "2.80")),
            Some(product("Siemens", VIDEO_PACK, "13.1")),
            Product {
                ended: true,
                ..product(JCI, "iStar Pro", "6.6.5")
            },
        ),
        ("northgate", _) => (
            Some(product(JCI, CCURE, "3.00.2 CU02")),
            Some(product("Siemens", VIDEO_PACK, "V13.2")),
            product(JCI, "iStar Edge", "6.6.5"),
        ),
        ("riverside", "plant") => (
            Some(product("LenelS2", "NetBox", "5.6.1")),
            None,
            product("Paxton", "Net2 Plus", "6.07"),
        ),
        ("riverside", _) => (None, None, product("Paxton", "Net2 Plus", "6.07")),
        ("st-aurelia", "main") => (
            Some(product("Siemens", "Siveillance Control", "V3.1.0")),
            None,
            product("Gallagher", "Controller 7000", "9.10"),
        ),
        _ => (
            Some(product("Siemens", "Siveillance Control", "V3.1.1")),
            None,
            product("Gallagher", "Controller 7000", "9.10"),
        ),
    }
}

/// A number from 0 to `n - 1` fixed by `id`: the device's age.
fn spread(id: &str, n: u64) -> u64 {
    let digest = Sha256::digest(id.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes) % n
}

impl TenantWorld {
    /// Every site's installed security systems, dated from `today`.
    pub fn inventory(&self, today: NaiveDate) -> Vec<InstalledDevice> {
        let mut out = Vec::new();
        let tenant = self.tenant.id.as_str();
        let prefix: String = tenant
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(2)
            .collect::<String>()
            .to_ascii_uppercase();
        let mut add = |site: &SiteId, id: String, kind: &'static str, p: Product, zone: &str| {
            let installed = today - Days::new(400 + spread(&id, 1500));
            let end_of_support = if p.ended {
                Some(today - Days::new(60 + spread(&id, 300)))
            } else {
                Some(installed + Days::new(3650))
            };
            out.push(InstalledDevice {
                site: site.clone(),
                serial: format!("{prefix}-{:05}", out.len() + 1),
                id,
                kind,
                vendor: p.vendor,
                model: p.model,
                firmware: p.firmware,
                installed,
                warranty_until: installed + Days::new(3 * 365),
                end_of_support,
                zone: zone.to_owned(),
            });
        };
        for site in &self.sites {
            let here: Vec<_> = self.devices.iter().filter(|d| d.site == site.id).collect();
            let (acs, vms, doors) = lines(tenant, site.id.as_str());
            // The servers stand where the site's panels are.
            let server_zone = here
                .iter()
                .find(|d| matches!(d.kind, DeviceKind::IntrusionPanel | DeviceKind::FirePanel))
                .or(here.first())
                .map(|d| d.zone.clone())
                .unwrap_or_default();
            if let Some(p) = acs {
                add(
                    &site.id,
                    format!("{}-acs", site.id),
                    "server",
                    p,
                    &server_zone,
                );
            }
            if let Some(p) = vms {
                add(
                    &site.id,
                    format!("{}-vms", site.id),
                    "recorder",
                    p,
                    &server_zone,
                );
            }
            for d in here {
                match &d.kind {
                    DeviceKind::Door(door) if door.reader.is_some() => {
                        add(&site.id, d.id.clone(), "controller", doors, &d.zone)
                    }
                    DeviceKind::Camera { .. } => {
                        add(&site.id, d.id.clone(), "camera", CAMERA, &d.zone)
                    }
                    DeviceKind::IntrusionPanel => {
                        add(&site.id, d.id.clone(), "panel", INTRUSION, &d.zone)
                    }
                    DeviceKind::FirePanel => add(&site.id, d.id.clone(), "panel", FIRE, &d.zone),
                    _ => {}
                }
            }
        }
        out
    }
}
