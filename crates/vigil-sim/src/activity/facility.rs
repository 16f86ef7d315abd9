//! The physical estate on its own: cameras seeing the world go by (and foxes
//! at night, and the low sun), cameras and panels dropping off the network,
//! deliveries with the dock door held open, visitors buzzed onto wards, fire
//! exits opened without authority, a door contact bouncing, the clinic's
//! alarm set at night, and field technicians visiting the pumping stations.

use chrono::{Duration, Timelike};
use rand::Rng;
use vigil_model::{PersonStatus, Severity};

use super::acts::{self, Hold};
use super::daily::starting_in;
use super::sensors;
use super::{Out, Slot, secs};
use crate::calendar::{is_delivery_window, is_night, is_weekend, local, local_hour, office_load};
use crate::format::physical::{self, DoorAt};
use crate::rng::{SimRng, pick, poisson};
use crate::tenant_sim::TenantSim;
use crate::world::{Device, DeviceKind, Role};

/// The physical estate's own events in `slot`.
pub fn generate(t: &mut TenantSim, slot: &Slot, out: &mut Out) {
    let t: &TenantSim = t;
    sensors::generate(t, slot, out);
    let mut rng = slot.rng(&t.slug, "facility");
    for (i, dev) in t.world.devices.iter().enumerate() {
        match &dev.kind {
            DeviceKind::Camera { covers_door: None } => ambient_camera(t, slot, out, &mut rng, dev),
            DeviceKind::Door(door) if door.delivery => deliveries(t, slot, out, &mut rng, i),
            DeviceKind::Door(door) if door.reader.is_none() => fire_exit(t, slot, out, i),
            DeviceKind::Door(_) => visitors(t, slot, out, &mut rng, i),
            DeviceKind::IntrusionPanel => panel(t, slot, out, dev),
            DeviceKind::FirePanel => fire_panel(t, slot, out, dev),
            _ => {}
        }
    }
    camera_outage(t, slot, out);
    bouncing_contact(t, slot, out);
    station_visits(t, slot, out);
}

fn outdoor(dev: &Device) -> bool {
    ["perimeter", "compound", "car-park", "ambulance", "outside"]
        .iter()
        .any(|k| dev.id.contains(k) || dev.zone.contains(k))
}

fn ambient_camera(t: &TenantSim, slot: &Slot, out: &mut Out, rng: &mut SimRng, dev: &Device) {
    let tz = t.tz(&dev.site);
    let night = is_night(slot.start, tz);
    let feed = t.site_feed("video", &dev.site);
    let busy = ["car-park", "entrance", "ambulance", "reception"]
        .iter()
        .any(|k| dev.id.contains(k));
    let rate = if busy {
        2.0 + 30.0 * office_load(slot.start, tz)
    } else if dev.id.contains("aisle") && night {
        3.0
    } else if dev.id.contains("aisle") {
        12.0
    } else if night {
        0.6
    } else {
        2.0
    };
    for _ in 0..poisson(rng, rate * slot.hours()) {
        let at = slot.random_time(rng);
        out.json(
            at,
            &feed,
            physical::video(at, &dev.id, &dev.zone, "motion", Some(Severity::Info)),
        );
    }
    if outdoor(dev) && night {
        // Foxes and cats crossing the virtual tripwire.
        for _ in 0..poisson(rng, 0.15 * slot.hours()) {
            let at = slot.random_time(rng);
            out.json(
                at,
                &feed,
                physical::video(at, &dev.id, &dev.zone, "line_crossing", Some(Severity::Low)),
            );
        }
    }
    let l = local(slot.start, tz);
    let minute = l.hour() * 60 + l.minute();
    if outdoor(dev) && (minute == 7 * 60 + 30 || minute == 16 * 60 + 30) && rng.random_bool(0.3) {
        let at = slot.random_time(rng);
        out.json(
            at,
            &feed,
            physical::video(at, &dev.id, &dev.zone, "scene_change", Some(Severity::Low)),
        );
    }
    // Rarely, a spider on the lens at night reads as tampering.
    if outdoor(dev)
        && let Some(h) = starting_in(slot, &t.slug, "spider", &dev.id, tz, 0.02, (22.0, 29.0))
    {
        out.json(
            h.start,
            &feed,
            physical::video(h.start, &dev.id, &dev.zone, "tamper", Some(Severity::High)),
        );
    }
}

fn deliveries(t: &TenantSim, slot: &Slot, out: &mut Out, rng: &mut SimRng, door: usize) {
    let Some((dev, _)) = t.door_at(door) else {
        return;
    };
    if !is_delivery_window(slot.start, t.tz(&dev.site)) {
        return;
    }
    for _ in 0..poisson(rng, 1.2 * slot.hours()) {
        let at = slot.random_time(rng);
        let hold = if rng.random_bool(0.6) {
            Hold::HeldOpen
        } else {
            Hold::Normal
        };
        acts::released(t, out, rng, at, door, hold);
    }
}

/// Visiting hours: visitors are buzzed onto wards and maternity.
fn visitors(t: &TenantSim, slot: &Slot, out: &mut Out, rng: &mut SimRng, door: usize) {
    let Some((dev, _)) = t.door_at(door) else {
        return;
    };
    if !(dev.zone.contains("-ward-") || dev.zone.ends_with("-maternity")) {
        return;
    }
    let hour = local_hour(slot.start, t.tz(&dev.site));
    if !(14.0..20.0).contains(&hour) {
        return;
    }
    for _ in 0..poisson(rng, 6.0 * slot.hours()) {
        let at = slot.random_time(rng);
        acts::released(t, out, rng, at, door, Hold::Normal);
    }
}

/// A fire exit opened without a badge or exit button (smokers, staff taking
/// a short cut): the system calls it forced. A look-alike for break-ins.
fn fire_exit(t: &TenantSim, slot: &Slot, out: &mut Out, door: usize) {
    let Some((dev, d)) = t.door_at(door) else {
        return;
    };
    let chance = if t.slug == "st-aurelia" { 0.12 } else { 0.03 };
    let tz = t.tz(&dev.site);
    let Some(mut h) = starting_in(slot, &t.slug, "fire-exit", &dev.id, tz, chance, (8.0, 22.0))
    else {
        return;
    };
    let at = DoorAt {
        door: &dev.id,
        reader: None,
        zone: &dev.zone,
    };
    let feed = t.site_feed("access", &dev.site);
    out.json(
        h.start,
        &feed,
        physical::door_contact(
            h.start,
            "door_forced_open",
            at,
            None,
            None,
            Some(Severity::High),
        ),
    );
    if let Some(camera) = &d.camera {
        let seen = h.start + secs(&mut h.rng, 0.5, 2.0);
        acts::motion(t, out, seen, camera, &dev.zone, &dev.site);
    }
    let closed = h.start + secs(&mut h.rng, 15.0, 90.0);
    out.json(
        closed,
        &feed,
        physical::door_contact(closed, "door_closed", at, None, None, None),
    );
}

/// A worn door contact bounces and reports a forced door for a second.
fn bouncing_contact(t: &TenantSim, slot: &Slot, out: &mut Out) {
    let tz = t.main_tz();
    let Some(mut h) = starting_in(
        slot,
        &t.slug,
        "bouncing-contact",
        "any",
        tz,
        0.1,
        (7.0, 19.0),
    ) else {
        return;
    };
    let doors: Vec<usize> = t
        .world
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(&d.kind, DeviceKind::Door(door) if door.reader.is_some()))
        .filter(|(_, d)| t.world.zone(&d.zone).is_some_and(|z| !z.critical))
        .map(|(i, _)| i)
        .collect();
    let Some((dev, _)) = pick(&mut h.rng, &doors).and_then(|i| t.door_at(*i)) else {
        return;
    };
    let at = DoorAt {
        door: &dev.id,
        reader: None,
        zone: &dev.zone,
    };
    let feed = t.site_feed("access", &dev.site);
    out.json(
        h.start,
        &feed,
        physical::door_contact(
            h.start,
            "door_forced_open",
            at,
            None,
            None,
            Some(Severity::High),
        ),
    );
    let closed = h.start + secs(&mut h.rng, 0.5, 3.0);
    out.json(
        closed,
        &feed,
        physical::door_contact(closed, "door_closed", at, None, None, None),
    );
}

/// Cameras lose their stream now and then (switch reboots, PoE faults).
fn camera_outage(t: &TenantSim, slot: &Slot, out: &mut Out) {
    let Some(mut h) = starting_in(
        slot,
        &t.slug,
        "camera-outage",
        "any",
        t.main_tz(),
        0.6,
        (0.0, 24.0),
    ) else {
        return;
    };
    let cameras: Vec<&Device> = t
        .world
        .devices
        .iter()
        .filter(|d| matches!(d.kind, DeviceKind::Camera { .. }))
        .collect();
    let Some(cam) = pick(&mut h.rng, &cameras).copied() else {
        return;
    };
    let feed = t.site_feed("video", &cam.site);
    out.json(
        h.start,
        &feed,
        physical::video(
            h.start,
            &cam.id,
            &cam.zone,
            "signal_loss",
            Some(Severity::Medium),
        ),
    );
    out.json(
        h.start,
        &feed,
        physical::device_status(
            h.start,
            &cam.id,
            "camera",
            "offline",
            Some(Severity::Medium),
        ),
    );
    let back = h.start + Duration::minutes(h.rng.random_range(2..15)) + secs(&mut h.rng, 0.0, 60.0);
    out.json(
        back,
        &feed,
        physical::device_status(back, &cam.id, "camera", "online", Some(Severity::Info)),
    );
}

/// A panel's set or unset (`armed`) as it reports it to the alarm
/// receiving centre over DC-09, besides the access system's record of it.
fn report_set_state(
    t: &TenantSim,
    out: &mut Out,
    seed: u64,
    at: vigil_model::Timestamp,
    panel: &str,
    armed: bool,
) {
    let Some(account) = t
        .world
        .panel_accounts()
        .into_iter()
        .find(|p| p.panel == panel)
    else {
        return;
    };
    // A report made while the line is down does not get through.
    if super::protocol_traffic::panel_silent(t, seed, panel, &account.site, at)
        || t.panel_cut(panel, at)
    {
        return;
    }
    let code = if armed { "CL" } else { "OP" };
    super::protocol_traffic::push(
        out,
        at,
        &super::protocol_traffic::arc_feed(t),
        super::protocol_traffic::dc09(&account.account, "SIA-DCS", &format!("Nri1id1/{code}1")),
    );
}

/// Intrusion panels: remote ones drop off their cellular link; the clinic's
/// is set in the evening and unset in the morning.
fn panel(t: &TenantSim, slot: &Slot, out: &mut Out, dev: &Device) {
    let tz = t.tz(&dev.site);
    let feed = t.site_feed("access", &dev.site);
    let remote = dev.site.as_str().starts_with("ps-");
    if remote
        && let Some(mut h) = starting_in(
            slot,
            &t.slug,
            "panel-offline",
            &dev.id,
            tz,
            0.2,
            (0.0, 24.0),
        )
    {
        out.json(
            h.start,
            &feed,
            physical::device_status(
                h.start,
                &dev.id,
                "intrusion_panel",
                "offline",
                Some(Severity::Medium),
            ),
        );
        let back = h.start + Duration::minutes(h.rng.random_range(5..40));
        out.json(
            back,
            &feed,
            physical::device_status(
                back,
                &dev.id,
                "intrusion_panel",
                "online",
                Some(Severity::Info),
            ),
        );
    }
    if dev.site.as_str() == "clinic" && !is_weekend(slot.start, tz) {
        let l = local(slot.start, tz);
        let minute = l.hour() * 60 + l.minute();
        let action = match minute {
            m if m == 7 * 60 + 45 => "disarmed",
            m if m == 18 * 60 + 30 => "armed",
            _ => return,
        };
        let mut rng = slot.rng(&t.slug, &dev.id);
        let staff: Vec<&str> = t
            .world
            .people
            .iter()
            .filter(|p| p.home_site == dev.site && p.status == PersonStatus::Active)
            .map(|p| p.name.as_str())
            .collect();
        let at = slot.random_time(&mut rng);
        let user = pick(&mut rng, &staff).copied();
        out.json(
            at,
            &feed,
            physical::intrusion(at, &dev.id, &dev.zone, action, user),
        );
        report_set_state(t, out, slot.seed, at, &dev.id, action == "armed");
    }
}

fn fire_panel(t: &TenantSim, slot: &Slot, out: &mut Out, dev: &Device) {
    let tz = t.tz(&dev.site);
    let Some(mut h) = starting_in(
        slot,
        &t.slug,
        "fire-panel-fault",
        &dev.id,
        tz,
        0.02,
        (0.0, 24.0),
    ) else {
        return;
    };
    let feed = t.site_feed("access", &dev.site);
    out.json(
        h.start,
        &feed,
        physical::device_status(
            h.start,
            &dev.id,
            "fire_panel",
            "fault",
            Some(Severity::Medium),
        ),
    );
    let back = h.start + Duration::minutes(h.rng.random_range(10..120));
    out.json(
        back,
        &feed,
        physical::device_status(back, &dev.id, "fire_panel", "online", Some(Severity::Info)),
    );
}

/// A field technician visits a pumping station: through the gate, alarm
/// unset, into the pump house, an hour's work, out, alarm set, gone.
fn station_visits(t: &TenantSim, slot: &Slot, out: &mut Out) {
    let techs: Vec<usize> = t
        .world
        .people
        .iter()
        .enumerate()
        .filter(|(_, p)| p.role == Role::FieldTechnician && p.status == PersonStatus::Active)
        .map(|(i, _)| i)
        .collect();
    for site in &t.world.sites {
        if !site.id.as_str().starts_with("ps-") {
            continue;
        }
        let tz = t.tz(&site.id);
        if is_weekend(slot.start, tz) {
            continue;
        }
        let Some(mut h) = starting_in(
            slot,
            &t.slug,
            "station-visit",
            site.id.as_str(),
            tz,
            0.6,
            (9.0, 15.0),
        ) else {
            continue;
        };
        let Some(p) = pick(&mut h.rng, &techs).and_then(|i| t.world.people.get(*i)) else {
            continue;
        };
        let Some(who) = acts::holder(p) else {
            continue;
        };
        let find = |suffix: &str| {
            t.world
                .devices
                .iter()
                .position(|d| d.id == format!("{}-{suffix}", site.id))
        };
        let (Some(gate), Some(house), Some(panel)) = (
            find("door-gate"),
            find("door-pump-house"),
            find("intrusion-panel"),
        ) else {
            continue;
        };
        let Some(panel) = t.world.devices.get(panel) else {
            continue;
        };
        let feed = t.site_feed("access", &site.id);
        let rng = &mut h.rng;
        let mut at = acts::badge_in(t, out, rng, h.start, gate, who, Hold::Normal);
        at += secs(rng, 40.0, 120.0);
        out.json(
            at,
            &feed,
            physical::intrusion(at, &panel.id, &panel.zone, "disarmed", Some(&p.name)),
        );
        report_set_state(t, out, slot.seed, at, &panel.id, false);
        at += secs(rng, 5.0, 20.0);
        at = acts::badge_in(t, out, rng, at, house, who, Hold::Normal);
        at += Duration::minutes(rng.random_range(30..120));
        at = acts::exit_by_button(t, out, rng, at, house);
        at += secs(rng, 10.0, 40.0);
        out.json(
            at,
            &feed,
            physical::intrusion(at, &panel.id, &panel.zone, "armed", Some(&p.name)),
        );
        report_set_state(t, out, slot.seed, at, &panel.id, true);
        at += secs(rng, 30.0, 120.0);
        acts::exit_by_button(t, out, rng, at, gate);
    }
}
