//! A builder that keeps a client's ids consistent while its skeleton is laid
//! out: every zone, door, camera and sensor id is prefixed with its site, every
//! badge number and account name is unique within the client.

use std::collections::HashSet;

use chrono::NaiveTime;
use rand::Rng;
use vigil_model::{
    PersonStatus, Site, SiteId, SourceBinding, SourceId, SourceKind, Tenant, TenantId,
};

use super::names::{FIRST, LAST};
use super::{
    Badge, BadgeState, Device, DeviceKind, Door, Host, HostRole, Person, Role, SensorMetric,
    TenantWorld, WorkingHours, Zone,
};
use crate::rng::{SimRng, pick};

/// Turns one of the simulator's own constant names into a slug id. A failure
/// is a bug in the simulator's tables, which the world tests catch.
fn slug<T>(value: &str, parse: fn(&str) -> Result<T, vigil_model::IdError>) -> T {
    match parse(value) {
        Ok(id) => id,
        Err(e) => panic!("the simulated world names an invalid id: {e}"),
    }
}

/// When a group of people works.
#[derive(Debug, Clone, Copy)]
pub enum Shifts {
    /// Monday to Friday, starting around `start` (hour, minute) for `hours`.
    Office { start: (u32, u32), hours: u32 },
    /// Round the clock in two 12-hour shifts starting at `day_start` (hour,
    /// minute) and twelve hours later; each person works 3–4 shifts a week.
    RoundTheClock { day_start: (u32, u32) },
    /// Every day of the week on the same day shift.
    Daily { start: (u32, u32), hours: u32 },
}

/// Monday to Friday from `h:m` for `hours`.
pub fn office(h: u32, m: u32, hours: u32) -> Shifts {
    Shifts::Office {
        start: (h, m),
        hours,
    }
}

/// Every day from `h:m` for `hours`.
pub fn daily(h: u32, m: u32, hours: u32) -> Shifts {
    Shifts::Daily {
        start: (h, m),
        hours,
    }
}

/// Day and night 12-hour shifts, the day shift starting at `h:m`.
pub fn round_the_clock(h: u32, m: u32) -> Shifts {
    Shifts::RoundTheClock { day_start: (h, m) }
}

/// A group of similar people to add.
pub struct Staff<'a> {
    /// What they do.
    pub role: Role,
    /// How many.
    pub count: usize,
    /// Where they work.
    pub site: &'a SiteId,
    /// When they work.
    pub shifts: Shifts,
    /// Zones their badges open.
    pub access: &'a [&'a str],
    /// Their own workstations: (host-name prefix, network, first three octets), if they get one.
    pub workstation: Option<(&'a str, &'a str, &'a str)>,
    /// Whether they have a Windows account.
    pub account: bool,
    /// Whether they may use the VPN.
    pub vpn: bool,
    /// Whether their accounts are administrators.
    pub admin: bool,
}

impl<'a> Staff<'a> {
    /// `count` people of `role` with Windows accounts but no workstation of their own.
    pub fn new(
        role: Role,
        count: usize,
        site: &'a SiteId,
        shifts: Shifts,
        access: &'a [&'a str],
    ) -> Self {
        Self {
            role,
            count,
            site,
            shifts,
            access,
            workstation: None,
            account: true,
            vpn: false,
            admin: false,
        }
    }

    /// Each gets a workstation named `{prefix}-NNN` on `network` in `net3.x`.
    pub fn desk(mut self, workstation: (&'a str, &'a str, &'a str)) -> Self {
        self.workstation = Some(workstation);
        self
    }

    /// They may use the VPN.
    pub fn remote(mut self) -> Self {
        self.vpn = true;
        self
    }

    /// Their accounts are administrators.
    pub fn admin(mut self) -> Self {
        self.admin = true;
        self
    }

    /// They have a badge but no Windows account.
    pub fn badge_only(mut self) -> Self {
        self.account = false;
        self
    }
}

/// Lays out one client.
pub struct TenantBuilder<'r> {
    rng: &'r mut SimRng,
    world: TenantWorld,
    badges: HashSet<String>,
    usernames: HashSet<String>,
    workstations: u32,
}

impl<'r> TenantBuilder<'r> {
    /// A client with no sites yet.
    pub fn new(
        rng: &'r mut SimRng,
        id: &str,
        name: &str,
        domain: &str,
        dns_suffix: &str,
        public_ip: &str,
    ) -> Self {
        Self {
            rng,
            world: TenantWorld {
                tenant: Tenant {
                    id: slug(id, TenantId::new),
                    name: name.to_owned(),
                },
                sites: Vec::new(),
                zones: Vec::new(),
                people: Vec::new(),
                hosts: Vec::new(),
                devices: Vec::new(),
                sources: Vec::new(),
                domain: domain.to_owned(),
                dns_suffix: dns_suffix.to_owned(),
                public_ip: public_ip.to_owned(),
            },
            badges: HashSet::new(),
            usernames: HashSet::new(),
            workstations: 0,
        }
    }

    /// Adds a site.
    pub fn site(&mut self, id: &str, name: &str, timezone: &str) -> SiteId {
        let id = slug(id, SiteId::new);
        self.world.sites.push(Site {
            tenant: self.world.tenant.id.clone(),
            id: id.clone(),
            name: name.to_owned(),
            timezone: timezone.to_owned(),
        });
        id
    }

    /// Adds a zone `{site}-{suffix}` and returns its id.
    pub fn zone(&mut self, site: &SiteId, suffix: &str, name: &str, critical: bool) -> String {
        let id = format!("{site}-{suffix}");
        self.world.zones.push(Zone {
            id: id.clone(),
            site: site.clone(),
            name: name.to_owned(),
            critical,
        });
        id
    }

    /// Adds a device `{site}-{suffix}` of `kind` in `zone`, returning its id.
    pub fn device(
        &mut self,
        site: &SiteId,
        suffix: &str,
        name: &str,
        zone: &str,
        kind: DeviceKind,
    ) -> String {
        let id = format!("{site}-{suffix}");
        self.world.devices.push(Device {
            id: id.clone(),
            site: site.clone(),
            zone: zone.to_owned(),
            name: name.to_owned(),
            kind,
        });
        id
    }

    /// Adds a door `{site}-door-{suffix}` from `from` into `into`, with a
    /// reader `{site}-rdr-{suffix}` if `reader` and a camera
    /// `{site}-cam-{suffix}` covering it if `camera`.
    #[allow(clippy::too_many_arguments)]
    pub fn door(
        &mut self,
        site: &SiteId,
        suffix: &str,
        name: &str,
        from: &str,
        into: &str,
        reader: bool,
        camera: bool,
        anti_passback: bool,
        delivery: bool,
    ) -> String {
        let door_id = format!("{site}-door-{suffix}");
        let camera_id = camera.then(|| {
            self.device(
                site,
                &format!("cam-{suffix}"),
                &format!("Camera {name}"),
                into,
                DeviceKind::Camera {
                    covers_door: Some(door_id.clone()),
                },
            )
        });
        self.device(
            site,
            &format!("door-{suffix}"),
            name,
            into,
            DeviceKind::Door(Door {
                reader: reader.then(|| format!("{site}-rdr-{suffix}")),
                from_zone: from.to_owned(),
                camera: camera_id,
                anti_passback,
                delivery,
            }),
        )
    }

    /// Adds a camera `{site}-cam-{suffix}` watching `zone` (no door).
    pub fn camera(&mut self, site: &SiteId, suffix: &str, name: &str, zone: &str) -> String {
        self.device(
            site,
            &format!("cam-{suffix}"),
            name,
            zone,
            DeviceKind::Camera { covers_door: None },
        )
    }

    /// Adds a sensor `{site}-{suffix}`.
    #[allow(clippy::too_many_arguments)]
    pub fn sensor(
        &mut self,
        site: &SiteId,
        suffix: &str,
        name: &str,
        zone: &str,
        metric: SensorMetric,
        nominal: f64,
        high: f64,
        interval_secs: u32,
    ) -> String {
        self.device(
            site,
            suffix,
            name,
            zone,
            DeviceKind::Sensor {
                metric,
                nominal,
                high,
                interval_secs,
            },
        )
    }

    /// Adds a host.
    #[allow(clippy::too_many_arguments)]
    pub fn host(
        &mut self,
        name: &str,
        site: &SiteId,
        os: &str,
        ip: &str,
        role: HostRole,
        network: &str,
        zone: Option<&str>,
    ) {
        self.world.hosts.push(Host {
            name: name.to_owned(),
            site: site.clone(),
            os: os.to_owned(),
            ip: ip.to_owned(),
            role,
            network: network.to_owned(),
            owner: None,
            zone: zone.map(str::to_owned),
        });
    }

    /// Adds a source `{tenant}-{suffix}`.
    pub fn source(&mut self, suffix: &str, kind: SourceKind, product: &str, site: Option<&SiteId>) {
        let id = slug(&format!("{}-{suffix}", self.world.tenant.id), SourceId::new);
        self.world.sources.push(SourceBinding {
            id,
            tenant: self.world.tenant.id.clone(),
            site: site.cloned(),
            kind,
            product: product.to_owned(),
        });
    }

    /// Adds a group of people, with their workstations.
    pub fn staff(&mut self, staff: Staff<'_>) {
        for i in 0..staff.count {
            let (name, username) = self.new_name();
            let badge = self.new_badge();
            let hours = self.hours(staff.shifts, i);
            let username = staff.account.then_some(username);
            let workstation = match (staff.workstation, &username) {
                (Some((prefix, network, net3)), Some(user)) => {
                    self.workstations += 1;
                    let host = format!("{prefix}-{:03}", self.workstations);
                    let ip = format!("{net3}.{}", 20 + self.workstations);
                    self.world.hosts.push(Host {
                        name: host.clone(),
                        site: staff.site.clone(),
                        os: "Windows 11 Enterprise 23H2".to_owned(),
                        ip,
                        role: HostRole::Workstation,
                        network: network.to_owned(),
                        owner: Some(user.clone()),
                        zone: None,
                    });
                    Some(host)
                }
                _ => None,
            };
            self.world.people.push(Person {
                name,
                username,
                badges: vec![Badge {
                    id: badge,
                    state: BadgeState::Active,
                }],
                role: staff.role,
                home_site: staff.site.clone(),
                hours,
                status: PersonStatus::Active,
                workstation,
                vpn: staff.vpn,
                admin: staff.admin,
                access: staff.access.iter().map(|z| (*z).to_owned()).collect(),
            });
        }
    }

    /// Sends `count` people of `roles` on leave.
    pub fn on_leave(&mut self, roles: &[Role], count: usize) {
        for _ in 0..count {
            if let Some(i) = self.pick_person(roles, PersonStatus::Active)
                && let Some(p) = self.world.people.get_mut(i)
            {
                p.status = PersonStatus::OnLeave;
            }
        }
    }

    /// Marks a person of `roles` as having left; returns their index. With
    /// `revoke`, offboarding went right and their badge was revoked.
    pub fn terminate(&mut self, roles: &[Role], revoke: bool) -> Option<usize> {
        let i = self.pick_person(roles, PersonStatus::Active)?;
        let p = self.world.people.get_mut(i)?;
        p.status = PersonStatus::Terminated;
        p.workstation = None;
        if revoke {
            for b in &mut p.badges {
                b.state = BadgeState::Revoked;
            }
        }
        Some(i)
    }

    /// Gives `count` active people a replacement badge (lost cards): the old
    /// one revoked, a new one active.
    pub fn reissue_badges(&mut self, count: usize) {
        for _ in 0..count {
            let Some(i) = self.pick_person(&[], PersonStatus::Active) else {
                return;
            };
            let badge = self.new_badge();
            if let Some(p) = self.world.people.get_mut(i) {
                for b in &mut p.badges {
                    b.state = BadgeState::Revoked;
                }
                p.badges.push(Badge {
                    id: badge,
                    state: BadgeState::Active,
                });
            }
        }
    }

    /// The finished client.
    pub fn finish(self) -> TenantWorld {
        self.world
    }

    fn pick_person(&mut self, roles: &[Role], status: PersonStatus) -> Option<usize> {
        let candidates: Vec<usize> = self
            .world
            .people
            .iter()
            .enumerate()
            .filter(|(_, p)| p.status == status && (roles.is_empty() || roles.contains(&p.role)))
            .map(|(i, _)| i)
            .collect();
        pick(self.rng, &candidates).copied()
    }

    fn new_name(&mut self) -> (String, String) {
        loop {
            let first = pick(self.rng, FIRST).copied().unwrap_or("Alex");
            let last = pick(self.rng, LAST).copied().unwrap_or("Smith");
            let base: String = format!("{}{}", &first[..1], last)
                .chars()
                .filter(char::is_ascii_alphabetic)
                .collect::<String>()
                .to_ascii_lowercase();
            let name = format!("{first} {last}");
            if self.usernames.insert(base.clone()) {
                return (name, base);
            }
            for n in 2..10 {
                let candidate = format!("{base}{n}");
                if self.usernames.insert(candidate.clone()) {
                    return (name, candidate);
                }
            }
        }
    }

    fn new_badge(&mut self) -> String {
        loop {
            let number = format!("{:08}", self.rng.random_range(10_000_000u32..99_999_999));
            if self.badges.insert(number.clone()) {
                return number;
            }
        }
    }

    fn hours(&mut self, shifts: Shifts, index: usize) -> WorkingHours {
        let jitter = |rng: &mut SimRng, (h, m): (u32, u32)| {
            let minutes = (h * 60 + m) as i64 + 5 * rng.random_range(-3i64..=3);
            let minutes = minutes.rem_euclid(24 * 60) as u32;
            NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap_or(NaiveTime::MIN)
        };
        let plus = |t: NaiveTime, hours: u32| t + chrono::Duration::hours(i64::from(hours));
        match shifts {
            Shifts::Office { start, hours } => {
                let start = jitter(self.rng, start);
                WorkingHours {
                    start,
                    end: plus(start, hours),
                    days: [true, true, true, true, true, false, false],
                }
            }
            Shifts::Daily { start, hours } => {
                let start = jitter(self.rng, start);
                WorkingHours {
                    start,
                    end: plus(start, hours),
                    days: [true; 7],
                }
            }
            Shifts::RoundTheClock { day_start: (h, m) } => {
                // Alternate day and night shifts across the group, and rotate
                // each person's working days so every day is covered.
                let night = index % 2 == 1;
                let start = NaiveTime::from_hms_opt((h + if night { 12 } else { 0 }) % 24, m, 0)
                    .unwrap_or(NaiveTime::MIN);
                let on = if (index / 2).is_multiple_of(2) { 4 } else { 3 };
                let offset = (index / 2) * 2;
                let mut days = [false; 7];
                for k in 0..on {
                    days[(offset + k) % 7] = true;
                }
                WorkingHours {
                    start,
                    end: plus(start, 12),
                    days,
                }
            }
        }
    }
}
