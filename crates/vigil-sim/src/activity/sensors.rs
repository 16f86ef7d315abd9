//! Building sensors reporting on their intervals, and the excursions that
//! make them alarm: a data hall's cooling unit failing for half an hour (the
//! hall warms past 27 °C and the unit reports a fault), a medicines fridge
//! left open, condensation on a leak cable.

use std::f64::consts::PI;

use chrono::Duration;
use rand::Rng;
use rand_distr::{Distribution, Normal};
use vigil_model::{Severity, Timestamp};

use super::daily::{starting_in, under_way};
use super::{Out, Slot};
use crate::calendar::local_hour;
use crate::format::physical;
use crate::rng::stream_at;
use crate::tenant_sim::TenantSim;
use crate::world::{Device, DeviceKind, SensorMetric};

/// Cooling faults: a third of days per data hall, lasting 25–60 minutes.
const CRAC_FAULT: (f64, (f64, f64), (i64, i64)) = (0.3, (0.0, 24.0), (25, 60));
/// Fridge left open: a sixth of days per fridge, in the day, 10–30 minutes.
const FRIDGE_OPEN: (f64, (f64, f64), (i64, i64)) = (0.15, (7.0, 21.0), (10, 30));
/// Leak cable wet: rarely, 15–45 minutes.
const LEAK: (f64, (f64, f64), (i64, i64)) = (0.02, (0.0, 24.0), (15, 45));

/// All sensor readings, and cooling-unit faults, in `slot`.
pub fn generate(t: &TenantSim, slot: &Slot, out: &mut Out) {
    for dev in &t.world.devices {
        match &dev.kind {
            DeviceKind::Sensor {
                metric,
                nominal,
                high,
                interval_secs,
            } => {
                let interval = i64::from((*interval_secs).max(10)) * 1000;
                // Each sensor has its own phase, so they do not all report at once.
                let phase = (fnv1a(&dev.id) % interval as u64) as i64;
                let first = (slot.start.timestamp_millis() - phase).div_euclid(interval) + 1;
                let mut k = first;
                loop {
                    let ms = k * interval + phase;
                    let Some(at) = chrono::DateTime::from_timestamp_millis(ms) else {
                        break;
                    };
                    if at >= slot.end {
                        break;
                    }
                    if at >= slot.start {
                        reading(
                            t, slot.seed, out, dev, *metric, *nominal, *high, at, k as u64,
                        );
                    }
                    k += 1;
                }
            }
            DeviceKind::CoolingUnit => cooling_unit(t, slot, out, dev),
            _ => {}
        }
    }
}

/// The hall whose cooling unit `dev` is fails now and then (only the first
/// unit of a hall is modelled failing, which is enough to warm it).
fn cooling_unit(t: &TenantSim, slot: &Slot, out: &mut Out, dev: &Device) {
    if !dev.id.ends_with("-1") {
        return;
    }
    let (chance, hours, minutes) = CRAC_FAULT;
    let tz = t.tz(&dev.site);
    let Some(mut h) = starting_in(slot, &t.slug, "crac-fault", &dev.zone, tz, chance, hours) else {
        return;
    };
    let length = h.rng.random_range(minutes.0..minutes.1);
    let feed = t.site_feed("sensors", &dev.site);
    out.json(h.start, &feed, {
        let mut f = physical::device_status(
            h.start,
            &dev.id,
            "cooling_unit",
            "fault",
            Some(Severity::High),
        );
        // The zone it cools, so the fault meets the room's temperature.
        f.insert("zone".into(), dev.zone.clone().into());
        f
    });
    let back = h.start + Duration::minutes(length);
    out.json(
        back,
        &feed,
        physical::device_status(
            back,
            &dev.id,
            "cooling_unit",
            "online",
            Some(Severity::Info),
        ),
    );
}

/// FNV-1a: a small, stable hash to spread sensors' reporting phases.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How far an excursion has pushed a reading: ramps up at `rate` per minute
/// to `peak`, holds until the end, and ramps back down.
fn ramp(at: Timestamp, window: (Timestamp, Timestamp), peak: f64, rate: f64) -> f64 {
    let (start, end) = window;
    let up = (at - start).num_seconds() as f64 / 60.0 * rate;
    let down = if at > end {
        peak - (at - end).num_seconds() as f64 / 60.0 * rate
    } else {
        peak
    };
    up.min(peak).min(down).max(0.0)
}

#[allow(clippy::too_many_arguments)]
fn reading(
    t: &TenantSim,
    seed: u64,
    out: &mut Out,
    dev: &Device,
    metric: SensorMetric,
    nominal: f64,
    high: f64,
    at: Timestamp,
    k: u64,
) {
    let tz = t.tz(&dev.site);
    let mut rng = stream_at(seed, &[&t.slug, "sensor", &dev.id], &[k]);
    let noise = |rng: &mut crate::rng::SimRng, sd: f64| {
        Normal::new(0.0, sd).map(|n| n.sample(rng)).unwrap_or(0.0)
    };
    let daily = (2.0 * PI * (local_hour(at, tz) - 9.0) / 24.0).sin();
    let value = match metric {
        SensorMetric::Temperature => {
            let mut v = nominal + 0.4 * daily + noise(&mut rng, 0.15);
            let cooled = t.world.devices.iter().any(|d| {
                matches!(d.kind, DeviceKind::CoolingUnit)
                    && d.zone == dev.zone
                    && d.id.ends_with("-1")
            });
            let (c, h, m) = CRAC_FAULT;
            if let Some(w) = under_way(seed, at, &t.slug, "crac-fault", &dev.zone, tz, c, h, m)
                .filter(|_| cooled)
            {
                v += ramp(at, w, 7.0, 0.6);
            }
            if dev.id.contains("fridge") {
                let (c, h, m) = FRIDGE_OPEN;
                if let Some(w) = under_way(seed, at, &t.slug, "fridge-open", &dev.id, tz, c, h, m) {
                    v += ramp(at, w, 4.5, 0.4);
                }
            }
            v
        }
        SensorMetric::Humidity => nominal + 2.0 * daily + noise(&mut rng, 0.8),
        SensorMetric::Power => nominal * (0.93 + 0.05 * daily) + noise(&mut rng, nominal * 0.01),
        SensorMetric::WaterLeak => {
            let (c, h, m) = LEAK;
            match under_way(seed, at, &t.slug, "leak", &dev.id, tz, c, h, m) {
                Some((start, end)) if at < end && at >= start => 1.0,
                _ => 0.0,
            }
        }
    };
    let value = (value * 10.0).round() / 10.0;
    let (state, severity) = match metric {
        SensorMetric::WaterLeak if value >= 0.5 => ("alarm", Severity::High),
        SensorMetric::WaterLeak => ("normal", Severity::Info),
        _ if value > high => ("high", Severity::Medium),
        _ => ("normal", Severity::Info),
    };
    out.json(
        at,
        &t.site_feed("sensors", &dev.site),
        physical::sensor(
            at,
            &dev.id,
            &dev.zone,
            metric.as_str(),
            value,
            metric.unit(),
            state,
            Some(severity),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excursions_ramp_up_hold_and_recover() {
        let t0 = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let end = t0 + Duration::minutes(30);
        let w = (t0, end);
        assert_eq!(ramp(t0, w, 7.0, 0.5), 0.0);
        assert_eq!(ramp(t0 + Duration::minutes(4), w, 7.0, 0.5), 2.0);
        assert_eq!(ramp(t0 + Duration::minutes(20), w, 7.0, 0.5), 7.0);
        assert_eq!(ramp(end + Duration::minutes(4), w, 7.0, 0.5), 5.0);
        assert_eq!(ramp(end + Duration::minutes(30), w, 7.0, 0.5), 0.0);
    }
}
