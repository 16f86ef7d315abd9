//! People's shifts: arriving and leaving through the doors, moving about the
//! site while on shift (and former staff trying their old badges); their
//! computing is in [`super::desk`].

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use vigil_model::PersonStatus;

use super::acts::{self, Hold};
use super::desk;
use super::{Out, Slot, secs};
use crate::calendar::{at_local, day_number, is_delivery_window, is_night, local};
use crate::rng::{SimRng, pick, poisson, stream_at};
use crate::tenant_sim::{Shift, TenantSim};
use crate::world::Role;

/// Door visits per hour on shift, by role.
fn door_rate(role: Role, night: bool) -> f64 {
    match role {
        Role::NocOperator => 1.0,
        Role::DataCentreEngineer => 6.0,
        Role::SecurityOfficer if night => 8.0,
        Role::SecurityOfficer => 4.0,
        Role::OfficeStaff | Role::Manager => 1.0,
        Role::ItAdministrator | Role::OtEngineer => 1.5,
        Role::CustomerTechnician => 3.0,
        Role::PlantOperator => 3.0,
        Role::FieldTechnician | Role::LabChemist => 2.0,
        Role::Nurse => 4.0,
        Role::Doctor => 2.5,
        Role::Pharmacist => 4.0,
        Role::RecordsClerk => 2.0,
        Role::Porter => 8.0,
        Role::Contractor => 2.5,
    }
}

/// The shift person `i` works starting on local `date`, if any.
fn plan_shift(t: &TenantSim, seed: u64, i: usize, date: NaiveDate) -> Option<Shift> {
    let p = t.world.people.get(i)?;
    if p.status != PersonStatus::Active {
        return None;
    }
    let tz = t.tz(&p.home_site);
    let mut rng = stream_at(seed, &[&t.slug, "shift"], &[i as u64, day_number(date)]);
    if p.role == Role::CustomerTechnician {
        let weekend = date.weekday().number_from_monday() > 5;
        if !rng.random_bool(if weekend { 0.15 } else { 0.6 }) {
            return None;
        }
        let minutes = if rng.random_bool(0.05) {
            rng.random_range(19 * 60..27 * 60)
        } else {
            rng.random_range(7 * 60..19 * 60)
        };
        let midnight = at_local(date, chrono::NaiveTime::MIN, tz);
        let arrive = midnight + Duration::minutes(minutes) + secs(&mut rng, 0.0, 60.0);
        let leave = arrive + Duration::minutes(rng.random_range(40..240));
        return Some(Shift { arrive, leave });
    }
    let weekday = date.weekday().num_days_from_monday() as usize;
    if !p.hours.days.get(weekday).copied().unwrap_or(false) || rng.random_bool(0.04) {
        return None;
    }
    let arrive = at_local(date, p.hours.start, tz) - Duration::minutes(rng.random_range(0..25))
        + secs(&mut rng, 0.0, 60.0);
    let end_date = if p.hours.end <= p.hours.start {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    let leave = at_local(end_date, p.hours.end, tz)
        + Duration::minutes(rng.random_range(-5..30))
        + secs(&mut rng, 0.0, 60.0);
    Some(Shift { arrive, leave })
}

/// The shifts of person `i` starting the day before, the day of and the day
/// after the local date of `slot`, with the day each starts.
fn shifts_around(t: &mut TenantSim, seed: u64, i: usize, slot: &Slot) -> Vec<(u64, Shift)> {
    let Some(p) = t.world.people.get(i) else {
        return Vec::new();
    };
    let today = local(slot.start, t.tz(&p.home_site)).date_naive();
    let mut found = Vec::new();
    for date in [today.pred_opt(), Some(today), today.succ_opt()]
        .into_iter()
        .flatten()
    {
        let day = day_number(date);
        let shift = match t.shifts.get(&(i, day)) {
            Some(s) => *s,
            None => {
                let s = plan_shift(t, seed, i, date);
                t.shifts.insert((i, day), s);
                s
            }
        };
        if let Some(s) = shift {
            found.push((day, s));
        }
    }
    found
}

/// Everyone's comings, goings and movements in `slot`.
pub fn generate(t: &mut TenantSim, slot: &Slot, out: &mut Out) {
    let count = t.world.people.len();
    let mut plans = Vec::with_capacity(count);
    for i in 0..count {
        plans.push(shifts_around(t, slot.seed, i, slot));
    }
    if t.shifts.len() > count * 8 {
        let today = day_number(local(slot.start, t.main_tz()).date_naive());
        t.shifts.retain(|(_, day), _| *day + 3 >= today);
    }
    let t: &TenantSim = t;
    let mut rng = slot.rng(&t.slug, "people");
    for (i, shifts) in plans.iter().enumerate() {
        for (day, shift) in shifts {
            if slot.contains(shift.arrive) {
                arrive(t, out, &mut rng, slot.seed, i, *day, shift);
            }
            if slot.contains(shift.leave) {
                leave(t, out, &mut rng, slot.seed, i, *day, shift.leave);
            }
            if shift.arrive < slot.start && slot.end <= shift.leave {
                on_shift(t, out, &mut rng, slot, i, *day);
            }
        }
    }
    former_staff_return(t, out, slot);
}

fn arrive(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    seed: u64,
    i: usize,
    day: u64,
    shift: &Shift,
) {
    let Some(p) = t.world.people.get(i) else {
        return;
    };
    let Some(who) = acts::holder(p) else {
        return;
    };
    let mut at = shift.arrive;
    let old_badge = p.badges.first().filter(|_| p.badges.len() > 1);
    for (k, door) in t.way_in.get(i).into_iter().flatten().enumerate() {
        if k == 0
            && let Some(old) = old_badge.filter(|_| rng.random_bool(0.05))
        {
            // Habit: the old card from the wallet first, then the new one.
            let stale = crate::format::physical::Cardholder {
                badge: &old.id,
                ..who
            };
            acts::refused(t, out, at, *door, stale, "badge_revoked");
            at += secs(rng, 4.0, 15.0);
        }
        at = acts::badge_in(t, out, rng, at, *door, who, Hold::Normal) + secs(rng, 5.0, 40.0);
    }
    let seated = at + Duration::minutes(rng.random_range(2..10));
    desk::start_of_shift(t, out, rng, seed, i, day, seated);
}

fn leave(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    seed: u64,
    i: usize,
    day: u64,
    at: vigil_model::Timestamp,
) {
    let mut at = desk::end_of_shift(t, out, rng, seed, i, day, at);
    let who = t.world.people.get(i).and_then(acts::holder);
    for door in t.way_in.get(i).into_iter().flatten().rev() {
        let badge_out = t.door_at(*door).is_some_and(|(_, d)| d.anti_passback);
        at = match who {
            // Mantraps and turnstiles with anti-passback need a badge out too.
            Some(who) if badge_out => acts::badge_out(t, out, rng, at, *door, who),
            _ => acts::exit_by_button(t, out, rng, at, *door),
        } + secs(rng, 5.0, 30.0);
    }
}

fn on_shift(t: &TenantSim, out: &mut Out, rng: &mut SimRng, slot: &Slot, i: usize, day: u64) {
    let Some(p) = t.world.people.get(i) else {
        return;
    };
    let tz = t.tz(&p.home_site);
    let night = is_night(slot.start, tz);
    for _ in 0..poisson(rng, door_rate(p.role, night) * slot.hours()) {
        let at = slot.random_time(rng);
        door_visit(t, out, rng, i, at);
    }
    desk::on_shift(t, out, rng, slot, i, day);
}

/// Person `i` goes through one of their doors at `at` (or tries a door
/// they may not open), and comes back out a while later.
fn door_visit(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    i: usize,
    at: vigil_model::Timestamp,
) {
    let Some(p) = t.world.people.get(i) else {
        return;
    };
    let Some(who) = acts::holder(p) else {
        return;
    };
    let wrong_door = match p.role {
        Role::Contractor => 0.08,
        Role::CustomerTechnician => 0.03,
        _ => 0.01,
    };
    if rng.random_bool(wrong_door)
        && let Some(door) = pick(rng, &t.doors_refused_to(p)).copied()
    {
        let tz = t.tz(&p.home_site);
        let reason = if p.role == Role::Contractor && is_night(at, tz) {
            "outside_schedule"
        } else {
            "no_access"
        };
        acts::refused(t, out, at, door, who, reason);
        return;
    }
    let home = t.home_zone.get(i).and_then(|z| z.as_deref());
    let Some(door) = pick(rng, &t.doors_for(p, home)).copied() else {
        return;
    };
    let Some((dev, d)) = t.door_at(door) else {
        return;
    };
    let mut at = at;
    if d.anti_passback && rng.random_bool(0.02) {
        // Came in behind a colleague last time: the system thinks they are
        // still inside. The guard releases the door after a call.
        acts::refused(t, out, at, door, who, "anti_passback");
        at += secs(rng, 20.0, 90.0);
        acts::released(t, out, rng, at, door, Hold::Normal);
    } else {
        let tz = t.tz(&dev.site);
        let delivering = d.delivery && is_delivery_window(at, tz) && rng.random_bool(0.3);
        let hold = if delivering || rng.random_bool(0.004) {
            Hold::HeldOpen
        } else {
            Hold::Normal
        };
        acts::badge_in(t, out, rng, at, door, who, hold);
    }
    let back = at + Duration::seconds(rng.random_range(60..1500));
    acts::exit_by_button(t, out, rng, back, door);
}

/// Now and then a former employee whose badge was revoked tries it at the
/// staff entrance (collecting belongings, habit): refused. A look-alike for a
/// naive rule on `person_status: terminated`.
fn former_staff_return(t: &TenantSim, out: &mut Out, slot: &Slot) {
    let mut rng = slot.rng(&t.slug, "former-staff");
    for p in &t.world.people {
        if p.status != PersonStatus::Terminated {
            continue;
        }
        let Some(badge) = p.badges.last() else {
            continue;
        };
        if badge.state != crate::world::BadgeState::Revoked {
            continue;
        }
        let tz = t.tz(&p.home_site);
        let hour = crate::calendar::local_hour(slot.start, tz);
        // About once every few days, in office hours.
        if !(9.0..17.0).contains(&hour) || !rng.random_bool(0.25 / (8.0 * 60.0)) {
            continue;
        }
        let Some(home) = t.world.people.iter().position(|q| std::ptr::eq(q, p)) else {
            continue;
        };
        let Some(door) = t.way_in.get(home).and_then(|w| w.first()).copied() else {
            continue;
        };
        let who = crate::format::physical::Cardholder {
            badge: &badge.id,
            person: Some(&p.name),
            status: Some(p.status.as_str()),
        };
        let at = slot.random_time(&mut rng);
        acts::refused(t, out, at, door, who, "badge_revoked");
    }
}
