//! Converged stories: attacks that only show when the physical estate and
//! IT are read together — a camera blinded while its door is held, card
//! trying, tailgating through a mantrap, a pumping station's alarm line cut
//! before a break-in, and one person in two places at once.

use chrono::Duration;
use rand::Rng;
use vigil_model::{Entity, EntityKind, PersonStatus, Severity, Timestamp};

use super::Told;
use crate::activity::acts::{self, Hold};
use crate::activity::protocol_traffic::{arc_feed, dc09, onvif, push};
use crate::activity::{Out, secs};
use crate::format::physical::{Cardholder, DoorAt};
use crate::format::{asa, physical};
use crate::rng::{SimRng, pick};
use crate::rules;
use crate::tenant_sim::TenantSim;
use crate::world::DeviceKind;

/// How long a cut line stays silent.
const CUT_MINUTES: i64 = 7;

/// Someone covers a camera that watches a door, then holds the door open
/// for a minute while something is carried through; the camera comes back.
pub fn camera_blinded_door_held(
    t: &TenantSim,
    rng: &mut SimRng,
    at: Timestamp,
    out: &mut Out,
) -> Option<Told> {
    let candidates: Vec<usize> = t
        .world
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(&d.kind, DeviceKind::Door(door) if door.camera.is_some() && door.reader.is_some()))
        .filter(|(_, d)| d.zone.contains("-plant") || d.zone.contains("-mmr") || d.zone.contains("-hall-"))
        .map(|(i, _)| i)
        .collect();
    let index = *pick(rng, &candidates)?;
    let (dev, door) = t.door_at(index)?;
    let camera = door.camera.clone()?;
    let cameras = t.site_feed("onvif", &dev.site);
    let source = [
        ("VideoSourceConfigurationToken", "VideoSourceToken"),
        ("Rule", "TamperDetector"),
    ];
    push(
        out,
        at,
        &cameras,
        onvif(
            &camera,
            "RuleEngine/TamperDetector/Tamper",
            "Changed",
            &source,
            &[("IsTamper", "true")],
        ),
    );
    let held = at + secs(rng, 40.0, 120.0);
    let access = t.site_feed("access", &dev.site);
    let door_at = DoorAt {
        door: &dev.id,
        reader: door.reader.as_deref(),
        zone: &dev.zone,
    };
    out.json(
        held,
        &access,
        physical::door_contact(
            held,
            "door_held_open",
            door_at,
            None,
            Some(75),
            Some(Severity::Medium),
        ),
    );
    let closed = held + secs(rng, 60.0, 120.0);
    out.json(
        closed,
        &access,
        physical::door_contact(closed, "door_closed", door_at, None, None, None),
    );
    let back = closed + secs(rng, 30.0, 90.0);
    push(
        out,
        back,
        &cameras,
        onvif(
            &camera,
            "RuleEngine/TamperDetector/Tamper",
            "Changed",
            &source,
            &[("IsTamper", "false")],
        ),
    );
    Some(Told {
        site: Some(dev.site.clone()),
        description: format!(
            "Camera {camera} covering {} reported tamper (pushed over ONVIF), then the door was held open for over a minute.",
            dev.name
        ),
        expected_rules: vec![
            rules::DOOR_OPEN_CAMERA_BLINDED,
            rules::CAMERA_TAMPER,
            rules::DOOR_HELD_OPEN,
        ],
        entities: vec![
            Entity::new(EntityKind::Door, &dev.id),
            Entity::new(EntityKind::Camera, camera),
            Entity::new(EntityKind::Zone, &dev.zone),
        ],
    })
}

/// Found or cloned cards tried at a door, one after another, until a
/// colleague's borrowed badge opens it.
pub fn card_trying(t: &TenantSim, rng: &mut SimRng, at: Timestamp, out: &mut Out) -> Option<Told> {
    let doors: Vec<usize> = t
        .world
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(&d.kind, DeviceKind::Door(door) if door.reader.is_some() && !door.anti_passback))
        .filter(|(_, d)| t.world.zone(&d.zone).is_some_and(|z| z.critical))
        .map(|(i, _)| i)
        .collect();
    let index = *pick(rng, &doors)?;
    let (dev, door) = t.door_at(index)?;
    let holders: Vec<usize> = t
        .world
        .people
        .iter()
        .enumerate()
        .filter(|(_, p)| p.status == PersonStatus::Active && p.access.contains(&dev.zone))
        .map(|(i, _)| i)
        .collect();
    let person = t.world.people.get(*pick(rng, &holders)?)?;
    let who = acts::holder(person)?;
    let access = t.site_feed("access", &dev.site);
    let door_at = DoorAt {
        door: &dev.id,
        reader: door.reader.as_deref(),
        zone: &dev.zone,
    };
    let mut when = at;
    let tries = rng.random_range(3..6);
    let mut badges = Vec::new();
    for _ in 0..tries {
        let badge = format!("{}", rng.random_range(10_000_000u32..99_999_999));
        let card = Cardholder {
            badge: &badge,
            person: None,
            status: None,
        };
        out.json(
            when,
            &access,
            physical::access(
                when,
                "access_denied",
                door_at,
                Some(card),
                Some("unknown_card"),
                Some(Severity::Low),
            ),
        );
        badges.push(badge);
        when += secs(rng, 8.0, 25.0);
    }
    acts::badge_in(t, out, rng, when, index, who, Hold::Normal);
    Some(Told {
        site: Some(dev.site.clone()),
        description: format!(
            "{tries} unknown cards refused at {} within a minute or two, then the door opened for {}'s badge.",
            dev.name, person.name
        ),
        expected_rules: vec![rules::CARD_TRYING],
        entities: vec![
            Entity::new(EntityKind::Door, &dev.id),
            Entity::new(EntityKind::Badge, who.badge),
        ],
    })
}

/// Someone follows an engineer through the mantrap on one badge: the
/// door's people counter sees two.
pub fn tailgating(t: &TenantSim, rng: &mut SimRng, at: Timestamp, out: &mut Out) -> Option<Told> {
    let doors: Vec<usize> = t
        .world
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(&d.kind, DeviceKind::Door(door) if door.counts_people()))
        .map(|(i, _)| i)
        .collect();
    let index = *pick(rng, &doors)?;
    let (dev, _) = t.door_at(index)?;
    let holders: Vec<usize> = t
        .world
        .people
        .iter()
        .enumerate()
        .filter(|(_, p)| p.status == PersonStatus::Active && p.access.contains(&dev.zone))
        .map(|(i, _)| i)
        .collect();
    let person = t.world.people.get(*pick(rng, &holders)?)?;
    let who = acts::holder(person)?;
    // One grant, two people through: the door's counter reports both.
    acts::badge_through(t, out, rng, at, index, who, Hold::Normal, 2);
    Some(Told {
        site: Some(dev.site.clone()),
        description: format!(
            "{} badged through {} and the people counter saw two people pass.",
            person.name, dev.name
        ),
        expected_rules: vec![rules::TAILGATING],
        entities: vec![
            Entity::new(EntityKind::Door, &dev.id),
            Entity::new(EntityKind::Badge, who.badge),
        ],
    })
}

/// A pumping station's alarm line is cut while the station is set; minutes
/// later the pump-house detector goes off and the alarm gets through.
pub fn panel_line_cut(
    t: &TenantSim,
    rng: &mut SimRng,
    at: Timestamp,
    out: &mut Out,
) -> Option<Told> {
    let panels: Vec<_> = t
        .world
        .panel_accounts()
        .into_iter()
        .filter(|p| !p.fire && p.site.as_str().starts_with("ps-"))
        .collect();
    let panel = pick(rng, &panels)?.clone();
    let until = at + Duration::minutes(CUT_MINUTES);
    if let Ok(mut cuts) = t.line_cuts.lock() {
        cuts.retain(|(_, _, to)| *to > at - Duration::hours(2));
        cuts.push((panel.panel.clone(), at, until));
    }
    // The intruder crossing the compound fence, as its camera sees it.
    if let Some(camera) = t
        .world
        .devices
        .iter()
        .find(|d| d.site == panel.site && matches!(d.kind, DeviceKind::Camera { .. }))
    {
        let source = [
            ("VideoSourceConfigurationToken", "VideoSourceToken"),
            ("Rule", "Fence"),
        ];
        push(
            out,
            at,
            &t.site_feed("onvif", &panel.site),
            onvif(
                &camera.id,
                "RuleEngine/LineDetector/Crossed",
                "",
                &source,
                &[("ObjectId", "1")],
            ),
        );
    }
    let alarm = at + Duration::minutes(CUT_MINUTES - 2) + secs(rng, 0.0, 50.0);
    let feed = arc_feed(t);
    push(
        out,
        alarm,
        &feed,
        dc09(&panel.account, "SIA-DCS", "Nri1/BA001"),
    );
    push(
        out,
        alarm + secs(rng, 90.0, 150.0),
        &feed,
        dc09(&panel.account, "SIA-DCS", "Nri1/BR001"),
    );
    Some(Told {
        site: Some(panel.site.clone()),
        description: format!(
            "The line of {} (account {}) went silent while the station was set; an intrusion alarm from zone 1 followed {} minutes later.",
            panel.panel,
            panel.account,
            CUT_MINUTES - 2
        ),
        expected_rules: vec![
            rules::TRANSMISSION_PATH_LOST,
            rules::PATH_LOST_WHILE_ARMED,
            rules::PATH_LOST_THEN_INTRUSION,
            rules::PANEL_INTRUSION_ALARM,
        ],
        entities: vec![
            Entity::new(EntityKind::Device, &panel.panel),
            Entity::new(EntityKind::Zone, &panel.zone),
        ],
    })
}

/// An engineer badges in on site while their account logs in over the VPN
/// from an address abroad: the credentials are in someone else's hands.
pub fn present_in_two_places(
    t: &TenantSim,
    rng: &mut SimRng,
    at: Timestamp,
    out: &mut Out,
) -> Option<Told> {
    let gateway = t.vpn_gateway()?;
    let people: Vec<usize> = t
        .world
        .people
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            p.vpn
                && p.status == PersonStatus::Active
                && p.username.is_some()
                && t.way_in.get(*i).is_some_and(|w| !w.is_empty())
        })
        .map(|(i, _)| i)
        .collect();
    let index = *pick(rng, &people)?;
    let person = t.world.people.get(index)?;
    let who = acts::holder(person)?;
    let user = person.username.as_deref()?;
    let door = *t.way_in.get(index)?.first()?;
    let (dev, _) = t.door_at(door)?;
    acts::badge_in(t, out, rng, at, door, who, Hold::Normal);
    let login = at + Duration::minutes(rng.random_range(4..20));
    let peer = format!(
        "198.18.{}.{}",
        rng.random_range(0..255),
        rng.random_range(1..255)
    );
    let feed = t.feed("vpn");
    let server = t
        .domain_controller(&gateway.site)
        .map(|dc| dc.ip.clone())
        .unwrap_or_default();
    out.syslog(
        login,
        &feed,
        asa::auth_success(login, &gateway.name, &server, user),
    );
    let started = login + secs(rng, 0.3, 1.5);
    out.syslog(
        started,
        &feed,
        asa::session_started(started, &gateway.name, "RemoteAccess", user, &peer),
    );
    Some(Told {
        site: Some(dev.site.clone()),
        description: format!(
            "{} badged in at {} and {} minutes later their account {user} logged in over the VPN from {peer}.",
            person.name,
            dev.name,
            (login - at).num_minutes()
        ),
        expected_rules: vec![rules::PRESENT_IN_TWO_PLACES],
        entities: vec![
            Entity::new(EntityKind::User, user),
            Entity::new(EntityKind::Badge, who.badge),
            Entity::new(EntityKind::Ip, peer),
        ],
    })
}
