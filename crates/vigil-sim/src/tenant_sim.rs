//! The simulator's working view of one client: its world plus the indexes and
//! caches that everyday activity and attack stories need (feeds by product
//! and site, time zones, each person's home zone and way in).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use chrono_tz::Tz;
use vigil_model::{SiteId, SourceId};

use crate::calendar::zone_named;
use crate::format::cef::Firewall;
use crate::world::{Device, DeviceKind, Door, Host, HostRole, Person, Role, TenantWorld};

/// A planned stretch on site: when a person arrives and starts to leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    /// Badges in at the first door.
    pub arrive: vigil_model::Timestamp,
    /// Starts leaving (logs off, then walks out).
    pub leave: vigil_model::Timestamp,
}

/// One client as the simulator sees it.
#[derive(Debug)]
pub struct TenantSim {
    /// The client's world.
    pub world: TenantWorld,
    /// The client's id, as a label for random streams.
    pub slug: String,
    /// Time zone of each site.
    tz: HashMap<SiteId, Tz>,
    /// Per person: the zone they work in.
    pub home_zone: Vec<Option<String>>,
    /// Per person: the doors (device indexes) they badge through on arrival.
    pub way_in: Vec<Vec<usize>>,
    /// Shifts already worked out, by (person, local day number).
    pub shifts: HashMap<(usize, u64), Option<Shift>>,
    /// Alarm lines cut by stories: (panel, from, until); its polls stop.
    pub line_cuts: std::sync::Mutex<Vec<(String, vigil_model::Timestamp, vigil_model::Timestamp)>>,
}

impl TenantSim {
    /// Indexes `world`.
    pub fn new(world: TenantWorld) -> Self {
        let tz = world
            .sites
            .iter()
            .map(|s| (s.id.clone(), zone_named(&s.timezone)))
            .collect();
        let home_zone: Vec<Option<String>> = world
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| home_zone(p, i))
            .collect();
        let way_in = world
            .people
            .iter()
            .zip(&home_zone)
            .map(|(p, home)| match home {
                Some(home) => way_in(&world, p, home),
                None => Vec::new(),
            })
            .collect();
        let slug = world.tenant.id.as_str().to_owned();
        Self {
            world,
            slug,
            tz,
            home_zone,
            way_in,
            shifts: HashMap::new(),
            line_cuts: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Whether `panel` is silent at `at` because a story cut its line.
    pub fn panel_cut(&self, panel: &str, at: vigil_model::Timestamp) -> bool {
        self.line_cuts
            .lock()
            .map(|cuts| {
                cuts.iter()
                    .any(|(p, from, to)| p == panel && *from <= at && at < *to)
            })
            .unwrap_or(false)
    }

    /// The time zone of `site` (UTC if unknown).
    pub fn tz(&self, site: &SiteId) -> Tz {
        self.tz.get(site).copied().unwrap_or(Tz::UTC)
    }

    /// The time zone of the client's first site.
    pub fn main_tz(&self) -> Tz {
        self.world
            .sites
            .first()
            .map(|s| self.tz(&s.id))
            .unwrap_or(Tz::UTC)
    }

    /// The client's feed of `product` for the whole client.
    pub fn feed(&self, product: &str) -> Option<SourceId> {
        self.world.source_for(product, None).map(|s| s.id.clone())
    }

    /// The client's feed of `product` at `site`.
    pub fn site_feed(&self, product: &str, site: &SiteId) -> Option<SourceId> {
        self.world
            .source_for(product, Some(site))
            .map(|s| s.id.clone())
    }

    /// The firewall product behind the client's firewall feed.
    pub fn firewall_kind(&self) -> Option<(SourceId, Firewall)> {
        self.world.sources.iter().find_map(|s| {
            let kind = match s.product.as_str() {
                "fortigate" => Firewall::FortiGate,
                "paloalto" => Firewall::PanOs,
                _ => return None,
            };
            Some((s.id.clone(), kind))
        })
    }

    /// The internet-facing firewall nearest `site`.
    pub fn edge_firewall(&self, site: &SiteId) -> Option<&Host> {
        let edges = || {
            self.world
                .hosts
                .iter()
                .filter(|h| h.role == HostRole::Firewall && !h.name.starts_with("fw-ot"))
        };
        edges().find(|h| &h.site == site).or_else(|| edges().next())
    }

    /// The firewall between IT and OT, if the client has one.
    pub fn ot_firewall(&self) -> Option<&Host> {
        self.world
            .hosts
            .iter()
            .find(|h| h.role == HostRole::Firewall && h.name.starts_with("fw-ot"))
    }

    /// The VPN gateway.
    pub fn vpn_gateway(&self) -> Option<&Host> {
        self.world
            .hosts
            .iter()
            .find(|h| h.role == HostRole::VpnGateway)
    }

    /// The domain controller at `site`, or any.
    pub fn domain_controller(&self, site: &SiteId) -> Option<&Host> {
        let dcs = || {
            self.world
                .hosts
                .iter()
                .filter(|h| h.role == HostRole::DomainController)
        };
        dcs().find(|h| &h.site == site).or_else(|| dcs().next())
    }

    /// A host's fully qualified name, as in Windows events' `Hostname`.
    pub fn fqdn(&self, host: &Host) -> String {
        format!("{}.{}", host.name, self.world.dns_suffix)
    }

    /// `DOMAIN\user`.
    pub fn account(&self, username: &str) -> String {
        format!("{}\\{}", self.world.domain, username)
    }

    /// The door at device index `i`.
    pub fn door_at(&self, i: usize) -> Option<(&Device, &Door)> {
        self.world.devices.get(i).and_then(|d| match &d.kind {
            DeviceKind::Door(door) => Some((d, door)),
            _ => None,
        })
    }

    /// Badge doors at `site` into zones `person` may enter, other than `except`.
    pub fn doors_for(&self, person: &Person, except: Option<&str>) -> Vec<usize> {
        self.world
            .devices
            .iter()
            .enumerate()
            .filter(|(_, d)| d.site == person.home_site && Some(d.zone.as_str()) != except)
            .filter(|(_, d)| match &d.kind {
                DeviceKind::Door(door) => door.reader.is_some() && person.access.contains(&d.zone),
                _ => false,
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Badge doors at `site` into zones `person` may not enter.
    pub fn doors_refused_to(&self, person: &Person) -> Vec<usize> {
        self.world
            .devices
            .iter()
            .enumerate()
            .filter(|(_, d)| d.site == person.home_site && !person.access.contains(&d.zone))
            .filter(|(_, d)| matches!(&d.kind, DeviceKind::Door(door) if door.reader.is_some()))
            .map(|(i, _)| i)
            .collect()
    }

    /// Shared workstations (and HMIs) in `zone`, or at `site` if none is in the zone.
    pub fn shared_hosts(&self, zone: Option<&str>, site: &SiteId) -> Vec<usize> {
        let shared = |h: &Host| matches!(h.role, HostRole::SharedWorkstation | HostRole::Hmi);
        let in_zone: Vec<usize> = self
            .world
            .hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| shared(h) && zone.is_some() && h.zone.as_deref() == zone)
            .map(|(i, _)| i)
            .collect();
        if !in_zone.is_empty() {
            return in_zone;
        }
        self.world
            .hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| shared(h) && &h.site == site && h.is_windows())
            .map(|(i, _)| i)
            .collect()
    }
}

/// The zone a person works in: the first of their role's usual places that
/// their badge opens (clinical staff are spread over the wards).
fn home_zone(p: &Person, index: usize) -> Option<String> {
    let preferred: &[&str] = match p.role {
        Role::NocOperator => &["noc"],
        Role::DataCentreEngineer => &["corridor"],
        Role::SecurityOfficer => &["security-office", "lobby", "control-room"],
        Role::OfficeStaff | Role::Manager | Role::ItAdministrator | Role::OtEngineer => {
            &["office", "admin"]
        }
        Role::CustomerTechnician => &["cage-"],
        Role::PlantOperator => &["control-room"],
        Role::FieldTechnician | Role::Contractor => &["workshop", "dock"],
        Role::LabChemist => &["lab"],
        Role::Pharmacist => &["pharmacy"],
        Role::RecordsClerk => &["records"],
        Role::Porter => &["dock"],
        Role::Nurse | Role::Doctor => {
            let wards: Vec<&String> = p
                .access
                .iter()
                .filter(|z| {
                    [
                        "-ward-",
                        "-ed",
                        "-icu",
                        "-maternity",
                        "-theatres",
                        "-consult",
                    ]
                    .iter()
                    .any(|k| z.contains(k))
                })
                .collect();
            return if wards.is_empty() {
                p.access.last().cloned()
            } else {
                wards.get(index % wards.len()).map(|z| (*z).clone())
            };
        }
    };
    preferred
        .iter()
        .find_map(|want| {
            p.access
                .iter()
                .find(|z| z.ends_with(want) || z.contains(&format!("-{want}")))
        })
        .cloned()
        .or_else(|| p.access.last().cloned())
}

/// The badge doors a person passes from the street to `home`: the cheapest
/// path through the door graph, starting from the zones nobody needs a badge
/// for. Delivery doors (docks, roller doors) cost more, so people walk in by
/// the front unless the dock is the only way.
fn way_in(world: &TenantWorld, p: &Person, home: &str) -> Vec<usize> {
    let site_doors: Vec<(usize, &Device, &Door)> = world
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.site == p.home_site)
        .filter_map(|(i, d)| match &d.kind {
            DeviceKind::Door(door) if door.reader.is_some() => Some((i, d, door)),
            _ => None,
        })
        .collect();
    let guarded: HashSet<&str> = site_doors.iter().map(|(_, d, _)| d.zone.as_str()).collect();
    let mut frontier: BinaryHeap<Reverse<(u32, &str)>> = world
        .zones
        .iter()
        .filter(|z| z.site == p.home_site && !guarded.contains(z.id.as_str()))
        .map(|z| Reverse((0, z.id.as_str())))
        .collect();
    let mut best: HashMap<&str, u32> = frontier.iter().map(|Reverse((c, z))| (*z, *c)).collect();
    let mut came_by: HashMap<&str, (usize, &str)> = HashMap::new();
    while let Some(Reverse((cost, zone))) = frontier.pop() {
        if zone == home {
            break;
        }
        if best.get(zone).is_some_and(|b| *b < cost) {
            continue;
        }
        for (i, d, door) in &site_doors {
            let next = d.zone.as_str();
            if door.from_zone != zone || !p.access.iter().any(|a| a == next) {
                continue;
            }
            let step = if door.delivery { 4 } else { 1 };
            let through = cost + step;
            if best.get(next).is_none_or(|b| through < *b) {
                best.insert(next, through);
                came_by.insert(next, (*i, zone));
                frontier.push(Reverse((through, next)));
            }
        }
    }
    let mut path = Vec::new();
    let mut at = home;
    while let Some((door, from)) = came_by.get(at) {
        path.push(*door);
        at = from;
        if path.len() > world.devices.len() {
            break;
        }
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::World;

    fn doors_of(t: &TenantSim, role: Role) -> Vec<String> {
        let i = t.world.people.iter().position(|p| p.role == role).unwrap();
        t.way_in[i]
            .iter()
            .map(|d| t.world.devices[*d].id.clone())
            .collect()
    }

    #[test]
    fn people_walk_in_through_the_doors_their_badges_open() {
        let w = World::generate(3);
        let northgate = TenantSim::new(w.tenants[0].clone());
        let engineer = doors_of(&northgate, Role::DataCentreEngineer);
        let site = &engineer[0][..4];
        assert_eq!(
            engineer,
            [
                "door-gate",
                "door-main-entrance",
                "door-mantrap-outer",
                "door-mantrap-inner"
            ]
            .map(|d| format!("{site}-{d}"))
        );
        let hospital = TenantSim::new(w.tenants[2].clone());
        let pharmacist = doors_of(&hospital, Role::Pharmacist);
        assert_eq!(
            pharmacist,
            ["main-door-staff-entrance", "main-door-pharmacy"]
        );
        let clerk = doors_of(&hospital, Role::RecordsClerk);
        assert_eq!(clerk, ["main-door-admin", "main-door-records"]);
    }

    #[test]
    fn home_zones_follow_roles() {
        let w = World::generate(3);
        let riverside = TenantSim::new(w.tenants[1].clone());
        let i = riverside
            .world
            .people
            .iter()
            .position(|p| p.role == Role::PlantOperator)
            .unwrap();
        assert_eq!(
            riverside.home_zone[i].as_deref(),
            Some("plant-control-room")
        );
        assert!(
            riverside
                .ot_firewall()
                .is_some_and(|f| f.name == "fw-ot-01")
        );
        assert!(
            riverside
                .edge_firewall(&riverside.world.sites[1].id)
                .is_some_and(|f| f.name == "fw-edge-01")
        );
    }
}
