//! The simulated clients: their sites, zones, people, hosts, devices and feeds.
//!
//! The skeleton of each client (sites, zones, doors, cameras, sensors, hosts,
//! sources) is fixed, so that configuration and dashboards can name things;
//! the seed chooses who the people are (names, accounts, badges, shifts, who
//! is on leave and who has left).

mod build;
mod protocol_feeds;
// The client layouts are tables; one row per line reads best.
#[rustfmt::skip]
mod names;
#[rustfmt::skip]
mod northgate;
#[rustfmt::skip]
mod riverside;
#[rustfmt::skip]
mod st_aurelia;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use vigil_model::{PersonStatus, SiteId, SourceBinding, SourceId, Tenant, TenantId};

use crate::rng::stream;

pub use protocol_feeds::{CameraSpec, PanelAccount};

/// Every simulated client of the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct World {
    /// The clients, in a fixed order: `northgate`, `riverside`, `st-aurelia`.
    pub tenants: Vec<TenantWorld>,
}

impl World {
    /// Builds the three clients. The same seed always gives the same world.
    pub fn generate(seed: u64) -> World {
        World {
            tenants: vec![
                protocol_feeds::add_feeds(northgate::build(&mut stream(
                    seed,
                    &["world", "northgate"],
                ))),
                protocol_feeds::add_feeds(riverside::build(&mut stream(
                    seed,
                    &["world", "riverside"],
                ))),
                protocol_feeds::add_feeds(st_aurelia::build(&mut stream(
                    seed,
                    &["world", "st-aurelia"],
                ))),
            ],
        }
    }

    /// Every source binding of every client, in client order: what `vigil`
    /// must register before delivering the simulator's emissions.
    pub fn all_sources(&self) -> Vec<&SourceBinding> {
        self.tenants.iter().flat_map(|t| t.sources.iter()).collect()
    }

    /// The client with id `tenant`, if simulated.
    pub fn tenant(&self, tenant: &TenantId) -> Option<&TenantWorld> {
        self.tenants.iter().find(|t| &t.tenant.id == tenant)
    }

    /// The binding with id `source`, if any client has it.
    pub fn source(&self, source: &SourceId) -> Option<&SourceBinding> {
        self.tenants
            .iter()
            .flat_map(|t| t.sources.iter())
            .find(|s| &s.id == source)
    }
}

/// One client organisation and everything the simulator knows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantWorld {
    /// The client.
    pub tenant: Tenant,
    /// Its sites.
    pub sites: Vec<vigil_model::Site>,
    /// The areas of its sites that doors, cameras and sensors belong to.
    pub zones: Vec<Zone>,
    /// Its staff, contractors and customers' technicians who hold badges.
    pub people: Vec<Person>,
    /// Its computers, from workstations to PLCs, and its firewalls and VPN gateway.
    pub hosts: Vec<Host>,
    /// Its physical security and building devices.
    pub devices: Vec<Device>,
    /// The feeds it sends to the provider, each bound to it (and maybe a site).
    pub sources: Vec<SourceBinding>,
    /// Its Windows domain's NetBIOS name (`NORTHGATE`), as in `User` fields.
    pub domain: String,
    /// Its internal DNS suffix (`northgate.local`), as in `Hostname` fields.
    pub dns_suffix: String,
    /// Its internet-facing address (firewall NAT and VPN portal).
    pub public_ip: String,
}

impl TenantWorld {
    /// The doors, with their device records.
    pub fn doors(&self) -> impl Iterator<Item = (&Device, &Door)> {
        self.devices.iter().filter_map(|d| match &d.kind {
            DeviceKind::Door(door) => Some((d, door)),
            _ => None,
        })
    }

    /// The device with id `id`.
    pub fn device(&self, id: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.id == id)
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The zone with id `id`.
    pub fn zone(&self, id: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.id == id)
    }

    /// The binding of this client's feed of `product` for `site` (site-specific
    /// feeds) or for the whole client (`site = None`).
    pub fn source_for(&self, product: &str, site: Option<&SiteId>) -> Option<&SourceBinding> {
        self.sources
            .iter()
            .find(|s| s.product == product && s.site.as_ref() == site)
    }
}

/// An area of a site: what a door leads into, what a camera or sensor watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    /// Unique within the client (`lon1-hall-1`).
    pub id: String,
    /// The site it is in.
    pub site: SiteId,
    /// Its display name.
    pub name: String,
    /// Whether entry into it is security-critical (data halls, control rooms,
    /// controlled-drugs rooms): forced entry there is a break-in.
    pub critical: bool,
}

/// A person who holds a badge or an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Full name, as the access-control system shows the cardholder.
    pub name: String,
    /// Windows/VPN account, if the person has one (customers' technicians do not).
    pub username: Option<String>,
    /// Badges issued to the person, oldest first.
    pub badges: Vec<Badge>,
    /// What the person does.
    pub role: Role,
    /// Where the person normally works.
    pub home_site: SiteId,
    /// When the person normally works, in the home site's local time.
    pub hours: WorkingHours,
    /// Employment status as HR (and the access-control system) knows it.
    pub status: PersonStatus,
    /// The person's own workstation, if any (shared ward PCs are not owned).
    pub workstation: Option<String>,
    /// Whether the person may use the remote-access VPN.
    pub vpn: bool,
    /// Whether the account is a local or domain administrator.
    pub admin: bool,
    /// Zones the person's badge opens.
    pub access: Vec<String>,
}

impl Person {
    /// The badge the person carries today (the newest active one), if any.
    pub fn current_badge(&self) -> Option<&Badge> {
        self.badges
            .iter()
            .rev()
            .find(|b| b.state == BadgeState::Active)
            .or_else(|| self.badges.last())
    }
}

/// An access badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Badge {
    /// The card number, unique within the client.
    pub id: String,
    /// Whether doors accept it.
    pub state: BadgeState,
}

/// Whether the access-control system accepts a badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadgeState {
    /// Doors open for it (within its holder's access).
    Active,
    /// Doors refuse it.
    Revoked,
}

/// When a person works, in the home site's local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingHours {
    /// Shift start.
    pub start: NaiveTime,
    /// Shift end; earlier than `start` for a night shift ending the next day.
    pub end: NaiveTime,
    /// Working days, Monday first, counted by the day the shift starts.
    pub days: [bool; 7],
}

/// What a person does, which decides where and how they move and compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Network operations centre operator (24/7 shifts).
    NocOperator,
    /// Data-centre engineer: racks, cabling, cooling.
    DataCentreEngineer,
    /// Security officer on the site's guard desk, patrolling.
    SecurityOfficer,
    /// Office worker: sales, finance, HR, billing.
    OfficeStaff,
    /// IT administrator.
    ItAdministrator,
    /// Manager.
    Manager,
    /// A customer's technician visiting their cage.
    CustomerTechnician,
    /// Water-treatment control-room operator (24/7 shifts).
    PlantOperator,
    /// OT/SCADA engineer.
    OtEngineer,
    /// Field technician who visits pumping stations.
    FieldTechnician,
    /// Laboratory chemist.
    LabChemist,
    /// Nurse (shifts).
    Nurse,
    /// Doctor.
    Doctor,
    /// Pharmacist.
    Pharmacist,
    /// Medical-records clerk.
    RecordsClerk,
    /// Hospital porter.
    Porter,
    /// Contractor with a limited badge.
    Contractor,
}

/// A computer or network appliance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// Short host name (`ng-ws-012`), unique within the client.
    pub name: String,
    /// The site it stands in.
    pub site: SiteId,
    /// Operating system or firmware.
    pub os: String,
    /// Its IPv4 address.
    pub ip: String,
    /// What it is for.
    pub role: HostRole,
    /// The network segment it sits on, named as the firewall's interface
    /// towards it (`it-lan`, `ot-control`, `ot-field` …).
    pub network: String,
    /// The account of the person it belongs to, for personal workstations.
    pub owner: Option<String>,
    /// The physical zone it stands in, for shared workstations and HMIs.
    pub zone: Option<String>,
}

impl Host {
    /// Whether it runs Windows and reports to the client's Windows feed.
    pub fn is_windows(&self) -> bool {
        self.os.starts_with("Windows")
    }
}

/// What a host is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostRole {
    /// A personal workstation.
    Workstation,
    /// A workstation many people log on to (ward PCs, NOC consoles).
    SharedWorkstation,
    /// A member server.
    Server,
    /// An Active Directory domain controller.
    DomainController,
    /// An administrators' jump host.
    JumpHost,
    /// An operator's human-machine interface.
    Hmi,
    /// A SCADA server.
    Scada,
    /// A process historian.
    Historian,
    /// An OT engineering workstation.
    EngineeringWorkstation,
    /// A programmable logic controller.
    Plc,
    /// A remote terminal unit at an outstation.
    Rtu,
    /// A vulnerability scanner.
    VulnerabilityScanner,
    /// A firewall (the device name in its syslog lines).
    Firewall,
    /// A VPN gateway (the device name in its syslog lines).
    VpnGateway,
}

/// A physical security or building device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// Unique within the client (`lon1-hall-1-door`).
    pub id: String,
    /// The site it is in.
    pub site: SiteId,
    /// The zone it belongs to (for a door: the zone it leads into).
    pub zone: String,
    /// Its display name.
    pub name: String,
    /// What it is.
    pub kind: DeviceKind,
}

/// The kinds of physical devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A door with its contact and, usually, a badge reader.
    Door(Door),
    /// A camera.
    Camera {
        /// The door it covers, if it covers one.
        covers_door: Option<String>,
    },
    /// An intrusion-alarm panel.
    IntrusionPanel,
    /// A fire-alarm panel.
    FirePanel,
    /// A computer-room air-conditioning unit.
    CoolingUnit,
    /// A building sensor.
    Sensor {
        /// What it measures.
        metric: SensorMetric,
        /// The normal value it hovers around.
        nominal: f64,
        /// The building management system's high threshold.
        high: f64,
        /// How often it reports, in seconds.
        interval_secs: u32,
    },
}

/// A door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Door {
    /// Its badge reader, if it has one.
    pub reader: Option<String>,
    /// The zone on the outside.
    pub from_zone: String,
    /// The camera covering it, if any.
    pub camera: Option<String>,
    /// Whether the reader enforces anti-passback (mantraps, turnstiles).
    pub anti_passback: bool,
    /// Whether deliveries come through it (held open routinely).
    pub delivery: bool,
}

impl Door {
    /// Whether a people counter watches it: mantraps and turnstiles (the
    /// anti-passback doors with a reader) count everyone who passes in, one
    /// report per opening.
    pub fn counts_people(&self) -> bool {
        self.anti_passback && self.reader.is_some()
    }
}

/// What a sensor measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorMetric {
    /// Air or fridge temperature, °C.
    Temperature,
    /// Relative humidity, %.
    Humidity,
    /// Leak cable or flood sensor: 0 dry, 1 wet.
    WaterLeak,
    /// Electrical load, kW.
    Power,
}

impl SensorMetric {
    /// The name used in `sensor_reading` events.
    pub fn as_str(self) -> &'static str {
        match self {
            SensorMetric::Temperature => "temperature",
            SensorMetric::Humidity => "humidity",
            SensorMetric::WaterLeak => "water_leak",
            SensorMetric::Power => "power",
        }
    }

    /// The unit used in `sensor_reading` events.
    pub fn unit(self) -> &'static str {
        match self {
            SensorMetric::Temperature => "C",
            SensorMetric::Humidity => "%",
            SensorMetric::WaterLeak => "bool",
            SensorMetric::Power => "kW",
        }
    }
}

#[cfg(test)]
mod tests;
