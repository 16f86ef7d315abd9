//! One installed device, as the inventory records it.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, SourceId, TenantId};

/// What a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// An intrusion alarm panel.
    Panel,
    /// A badge or PIN reader.
    Reader,
    /// A door or access controller.
    Controller,
    /// A camera.
    Camera,
    /// A video recorder (NVR, DVR, VMS recording server).
    Recorder,
    /// A gateway for sensors (MQTT/Sparkplug edge node).
    SensorGateway,
    /// A firewall.
    Firewall,
    /// A server (access-control or video-management software).
    Server,
    /// Anything else.
    Other,
}

impl DeviceKind {
    /// Every kind.
    pub const ALL: [DeviceKind; 9] = [
        Self::Panel,
        Self::Reader,
        Self::Controller,
        Self::Camera,
        Self::Recorder,
        Self::SensorGateway,
        Self::Firewall,
        Self::Server,
        Self::Other,
    ];

    /// The name used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Panel => "panel",
            Self::Reader => "reader",
            Self::Controller => "controller",
            Self::Camera => "camera",
            Self::Recorder => "recorder",
            Self::SensorGateway => "sensor_gateway",
            Self::Firewall => "firewall",
            Self::Server => "server",
            Self::Other => "other",
        }
    }

    /// Reads a kind by name (any case, `-` or space for `_`).
    pub fn parse(text: &str) -> Option<Self> {
        let name = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a device is on its site's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// The plan's area or zone id.
    pub zone: Option<String>,
    /// Across the plan, in the plan's units.
    pub x: Option<f64>,
    /// Down the plan, in the plan's units.
    pub y: Option<f64>,
}

/// One device of a client's estate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// The client.
    pub tenant: TenantId,
    /// The site it is installed at.
    pub site: SiteId,
    /// Its id as Vigil names it in supervision and on the site plan
    /// (`door-lobby`, `cam-3`), unique within the site.
    pub id: String,
    /// What it is.
    pub kind: DeviceKind,
    /// Its maker (`Johnson Controls`, `Siemens`).
    pub vendor: String,
    /// Its product or model (`Software House C•CURE 9000`, `iStar Pro`).
    pub model: String,
    /// Its serial number.
    pub serial: Option<String>,
    /// Its firmware or software version.
    pub firmware: Option<String>,
    /// When it was installed.
    pub installed: Option<NaiveDate>,
    /// The last day of its warranty.
    pub warranty_until: Option<NaiveDate>,
    /// The last day its vendor supports it (updates, security fixes).
    pub end_of_support: Option<NaiveDate>,
    /// The source it reports through.
    pub source: Option<SourceId>,
    /// Where it is on the site plan.
    pub position: Option<Position>,
}

impl Device {
    /// A device with only what is required; the rest empty.
    pub fn new(
        tenant: TenantId,
        site: SiteId,
        id: impl Into<String>,
        kind: DeviceKind,
        vendor: impl Into<String>,
        model: impl Into<String>,
    ) -> Self {
        Self {
            tenant,
            site,
            id: id.into(),
            kind,
            vendor: vendor.into(),
            model: model.into(),
            serial: None,
            firmware: None,
            installed: None,
            warranty_until: None,
            end_of_support: None,
            source: None,
            position: None,
        }
    }

    /// The same device with `firmware`.
    pub fn with_firmware(mut self, firmware: impl Into<String>) -> Self {
        self.firmware = Some(firmware.into());
        self
    }

    /// Whether its vendor's support has ended on `today`.
    pub fn past_end_of_support(&self, today: NaiveDate) -> bool {
        self.end_of_support.is_some_and(|end| end < today)
    }

    /// Each recorded field as text, in a fixed order, for the history's
    /// field-by-field differences.
    pub(crate) fn fields(&self) -> [(&'static str, Option<String>); 11] {
        let text = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        let position = self.position.as_ref().map(|p| {
            format!(
                "{} ({}, {})",
                p.zone.as_deref().unwrap_or("-"),
                p.x.map_or("-".to_owned(), |x| x.to_string()),
                p.y.map_or("-".to_owned(), |y| y.to_string())
            )
        });
        [
            ("kind", Some(self.kind.to_string())),
            ("vendor", Some(self.vendor.clone())),
            ("model", Some(self.model.clone())),
            ("serial", self.serial.clone()),
            ("firmware", self.firmware.clone()),
            ("installed", text(self.installed)),
            ("warranty_until", text(self.warranty_until)),
            ("end_of_support", text(self.end_of_support)),
            ("source", self.source.as_ref().map(|s| s.to_string())),
            ("position", position),
            ("tenant", Some(self.tenant.to_string())),
        ]
    }
}
