//! The estate's protocol traffic in everyday life: alarm panels polling the
//! receiving centre every minute over SIA DC-09 (and falling silent while a
//! remote panel's cellular link is down, the same outages the access feed
//! reports), their daily test reports and initial set state; cameras that
//! cover doors pushing ONVIF motion and, when the subscription starts, the
//! state of their video signal; and each site's sensor gateway publishing
//! its temperature sensors over Sparkplug B.

use chrono::{Duration, Timelike};
use rand::Rng;
use vigil_model::{SourceId, Timestamp};

use super::daily::under_way;
use super::{Out, Slot};
use crate::calendar::local;
use crate::emission::{Emission, Payload};
use crate::tenant_sim::TenantSim;
use crate::world::{DeviceKind, SensorMetric};

/// Adds a protocol message.
pub fn push(out: &mut Out, at: Timestamp, source: &Option<SourceId>, payload: Payload) {
    if let Some(source) = source {
        out.emissions.push(Emission {
            at,
            source: source.clone(),
            payload,
        });
    }
}

/// A DC-09 message from `account`.
pub fn dc09(account: &str, message_type: &str, payload: &str) -> Payload {
    Payload::Dc09 {
        account: account.to_owned(),
        message_type: message_type.to_owned(),
        payload: payload.to_owned(),
    }
}

/// An ONVIF notification from `camera`.
pub fn onvif(
    camera: &str,
    topic: &str,
    operation: &str,
    source: &[(&str, &str)],
    data: &[(&str, &str)],
) -> Payload {
    let pairs = |items: &[(&str, &str)]| {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    Payload::Onvif {
        camera: camera.to_owned(),
        topic: topic.to_owned(),
        operation: operation.to_owned(),
        source: pairs(source),
        data: pairs(data),
    }
}

/// The ARC feed of a client.
pub fn arc_feed(t: &TenantSim) -> Option<SourceId> {
    t.world
        .sources
        .iter()
        .find(|s| s.kind == vigil_model::SourceKind::Dc09Tcp)
        .map(|s| s.id.clone())
}

/// The same outage draw as the access feed's panel-offline reports.
pub fn panel_silent(
    t: &TenantSim,
    seed: u64,
    panel: &str,
    site: &vigil_model::SiteId,
    at: Timestamp,
) -> bool {
    site.as_str().starts_with("ps-")
        && under_way(
            seed,
            at,
            &t.slug,
            "panel-offline",
            panel,
            t.tz(site),
            0.2,
            (0.0, 24.0),
            (5, 40),
        )
        .is_some_and(|(start, end)| start <= at && at < end)
}

/// The estate's protocol traffic of `slot`.
pub fn generate(t: &TenantSim, slot: &Slot, out: &mut Out) {
    panels(t, slot, out);
    cameras(t, slot, out);
    sensors(t, slot, out);
}

fn panels(t: &TenantSim, slot: &Slot, out: &mut Out) {
    let feed = arc_feed(t);
    let mut rng = slot.rng(&t.slug, "dc09");
    for (i, p) in t.world.panel_accounts().iter().enumerate() {
        // Each panel polls once a minute at its own second.
        let at = slot.start + Duration::milliseconds(((i as i64 * 7_919) % 60_000).max(0));
        if !slot.contains(at) {
            continue;
        }
        if t.panel_cut(&p.panel, at) {
            continue;
        }
        if panel_silent(t, slot.seed, &p.panel, &p.site, at) {
            continue;
        }
        if slot.index == 0 && !p.fire {
            // The panel's set state as the receiving centre first hears it:
            // remote stations and intrusion panels at night are set.
            let hour = local(at, t.tz(&p.site)).hour();
            let armed = p.site.as_str().starts_with("ps-") || !(7..19).contains(&hour);
            let code = if armed { "CL" } else { "OP" };
            push(
                out,
                at,
                &feed,
                dc09(&p.account, "SIA-DCS", &format!("Nri1id1/{code}1")),
            );
            continue;
        }
        let l = local(at, t.tz(&p.site));
        if l.hour() == 6 && l.minute() == 0 {
            // The daily automatic test report, in Contact ID.
            push(out, at, &feed, dc09(&p.account, "ADM-CID", "1602 01 000"));
            continue;
        }
        if rng.random_bool(0.0005) {
            // Mains power blips now and then: AC trouble, restored a minute later.
            push(out, at, &feed, dc09(&p.account, "SIA-DCS", "Nri1/AT000"));
            push(
                out,
                at + Duration::seconds(63),
                &feed,
                dc09(&p.account, "SIA-DCS", "Nri1/AR000"),
            );
            continue;
        }
        push(out, at, &feed, dc09(&p.account, "NULL", ""));
    }
}

fn cameras(t: &TenantSim, slot: &Slot, out: &mut Out) {
    let mut rng = slot.rng(&t.slug, "onvif");
    for cam in t.world.cameras() {
        if cam.covers_door.is_none() {
            continue;
        }
        let feed = t.site_feed("onvif", &cam.site);
        let source = [("VideoSourceConfigurationToken", "VideoSourceToken")];
        if slot.index == 0 {
            push(
                out,
                slot.start,
                &feed,
                onvif(
                    &cam.id,
                    "VideoSource/SignalLoss",
                    "Initialized",
                    &source,
                    &[("State", "false")],
                ),
            );
        }
        if rng.random_bool(0.02) {
            let at = slot.random_time(&mut rng);
            push(
                out,
                at,
                &feed,
                onvif(
                    &cam.id,
                    "VideoSource/MotionAlarm",
                    "Changed",
                    &source,
                    &[("State", "true")],
                ),
            );
            push(
                out,
                at + Duration::seconds(rng.random_range(5..40)),
                &feed,
                onvif(
                    &cam.id,
                    "VideoSource/MotionAlarm",
                    "Changed",
                    &source,
                    &[("State", "false")],
                ),
            );
        }
    }
}

fn sensors(t: &TenantSim, slot: &Slot, out: &mut Out) {
    let mut rng = slot.rng(&t.slug, "sparkplug");
    for site in &t.world.sites {
        let feed = t.site_feed("sparkplug", &site.id);
        let group = t.world.sparkplug_group(&site.id);
        let node = format!("{}-bms", site.id);
        if slot.index == 0 {
            push(
                out,
                slot.start,
                &feed,
                Payload::Sparkplug {
                    topic: format!("spBv1.0/{group}/NBIRTH/{node}"),
                    metrics: vec![("bdSeq".into(), 0.0)],
                },
            );
        }
        for dev in &t.world.devices {
            let DeviceKind::Sensor {
                metric: SensorMetric::Temperature,
                nominal,
                interval_secs,
                ..
            } = &dev.kind
            else {
                continue;
            };
            if dev.site != site.id
                || !slot
                    .index
                    .is_multiple_of(u64::from((interval_secs / 60).max(1)))
            {
                continue;
            }
            let value = nominal + rng.random_range(-0.8..0.8);
            let value = (value * 10.0).round() / 10.0;
            let kind = if slot.index == 0 { "DBIRTH" } else { "DDATA" };
            push(
                out,
                slot.random_time(&mut rng),
                &feed,
                Payload::Sparkplug {
                    topic: format!("spBv1.0/{group}/{kind}/{node}/{}", dev.id),
                    metrics: vec![("Temperature".into(), value)],
                },
            );
        }
    }
}
