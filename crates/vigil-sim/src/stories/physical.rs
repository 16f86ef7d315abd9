//! Physical attack stories: a data-hall door forced at night, and a
//! terminated person's unrevoked badge used at the pharmacy.

use rand::Rng;
use vigil_model::{Entity, EntityKind, PersonStatus, Severity, Timestamp};

use super::Told;
use crate::activity::acts::{self, Hold};
use crate::activity::{Out, secs};
use crate::format::physical::{self, Cardholder, DoorAt};
use crate::rng::{SimRng, pick};
use crate::rules;
use crate::tenant_sim::TenantSim;
use crate::world::{BadgeState, DeviceKind};

/// Someone already inside the secure corridor sprays the camera over a data
/// hall door, forces the door, and leaves a few minutes later.
pub fn door_forced(t: &TenantSim, rng: &mut SimRng, at: Timestamp, out: &mut Out) -> Option<Told> {
    let halls: Vec<usize> = t
        .world
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| match &d.kind {
            DeviceKind::Door(door) => d.zone.contains("-hall-") && door.camera.is_some(),
            _ => false,
        })
        .map(|(i, _)| i)
        .collect();
    let index = *pick(rng, &halls)?;
    let (dev, door) = t.door_at(index)?;
    let camera = door.camera.clone()?;
    let access = t.site_feed("access", &dev.site);
    let video = t.site_feed("video", &dev.site);
    let at_door = DoorAt {
        door: &dev.id,
        reader: door.reader.as_deref(),
        zone: &dev.zone,
    };
    out.json(
        at,
        &video,
        physical::video(at, &camera, &dev.zone, "tamper", Some(Severity::High)),
    );
    let mut when = at + secs(rng, 20.0, 60.0);
    if rng.random_bool(0.5) {
        // A cloned or unknown card tried first.
        let badge = format!("{}", rng.random_range(10_000_000u32..99_999_999));
        let who = Cardholder {
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
                at_door,
                Some(who),
                Some("unknown_badge"),
                Some(Severity::Low),
            ),
        );
        when += secs(rng, 10.0, 40.0);
    }
    out.json(
        when,
        &access,
        physical::door_contact(
            when,
            "door_forced_open",
            at_door,
            None,
            None,
            Some(Severity::High),
        ),
    );
    let aisle = t
        .world
        .devices
        .iter()
        .find(|d| d.zone == dev.zone && d.id.contains("aisle"));
    if let Some(aisle) = aisle {
        let seen = when + secs(rng, 3.0, 15.0);
        acts::motion(t, out, seen, &aisle.id, &aisle.zone, &aisle.site);
    }
    let closed = when + secs(rng, 6.0, 25.0);
    out.json(
        closed,
        &access,
        physical::door_contact(closed, "door_closed", at_door, None, None, None),
    );
    let leaving = closed + secs(rng, 120.0, 480.0);
    acts::exit_by_button(t, out, rng, leaving, index);
    Some(Told {
        site: Some(dev.site.clone()),
        description: format!(
            "Camera {camera} over {} blinded (tamper), then the door forced open at night; the intruder left through the same door minutes later.",
            dev.name
        ),
        expected_rules: vec![rules::DOOR_FORCED_OPEN, rules::CAMERA_TAMPER],
        entities: vec![
            Entity::new(EntityKind::Door, &dev.id),
            Entity::new(EntityKind::Camera, camera),
            Entity::new(EntityKind::Zone, &dev.zone),
        ],
    })
}

/// A terminated pharmacist's badge — HR has them as terminated but the badge
/// was never revoked — walks in at the staff entrance, into the pharmacy and
/// the controlled-drugs room, and out again.
pub fn terminated_badge(
    t: &TenantSim,
    rng: &mut SimRng,
    at: Timestamp,
    out: &mut Out,
) -> Option<Told> {
    let (i, person) = t.world.people.iter().enumerate().find(|(_, p)| {
        p.status == PersonStatus::Terminated
            && p.current_badge()
                .is_some_and(|b| b.state == BadgeState::Active)
            && p.access.iter().any(|z| z.ends_with("-pharmacy"))
    })?;
    let badge = person.current_badge()?;
    let who = acts::holder(person)?;
    let mut doors = t.way_in.get(i).cloned().unwrap_or_default();
    let cd_room = t.world.devices.iter().position(|d| {
        d.site == person.home_site
            && d.zone.ends_with("-cd-room")
            && matches!(d.kind, DeviceKind::Door(_))
    });
    if let Some(cd) = cd_room.filter(|_| person.access.iter().any(|z| z.ends_with("-cd-room"))) {
        doors.push(cd);
    }
    let pharmacy_door = doors.iter().find_map(|d| {
        t.door_at(*d)
            .filter(|(dev, _)| dev.zone.ends_with("-pharmacy"))
            .map(|(dev, _)| dev.id.clone())
    })?;
    let mut when = at;
    for door in &doors {
        when = acts::badge_in(t, out, rng, when, *door, who, Hold::Normal) + secs(rng, 10.0, 50.0);
    }
    when += secs(rng, 120.0, 420.0);
    for door in doors.iter().rev() {
        when = acts::exit_by_button(t, out, rng, when, *door) + secs(rng, 5.0, 40.0);
    }
    let mut entities = vec![
        Entity::new(EntityKind::Badge, &badge.id),
        Entity::new(EntityKind::Door, &pharmacy_door),
        Entity::new(EntityKind::Zone, format!("{}-pharmacy", person.home_site)),
    ];
    if let Some(user) = &person.username {
        entities.insert(1, Entity::new(EntityKind::User, user));
    }
    Some(Told {
        site: Some(person.home_site.clone()),
        description: format!(
            "Badge {} of {}, terminated but never revoked, opened the staff entrance, the pharmacy and the controlled-drugs room.",
            badge.id, person.name
        ),
        expected_rules: vec![
            rules::TERMINATED_BADGE_ACCESS_GRANTED,
            rules::BADGE_OF_ABSENT_PERSON_USED,
        ],
        entities,
    })
}
