use chrono::{Duration, Utc};
use vigil_model::{SiteId, TenantId, Timestamp};

use super::*;
use crate::visit::tests::{actor, badged};

fn obs(
    at: Timestamp,
    badge: &str,
    person: Option<&str>,
    door: &str,
    zone: &str,
) -> AccessObservation {
    AccessObservation {
        tenant: TenantId::new("northgate").unwrap(),
        site: Some(SiteId::new("lon1").unwrap()),
        at,
        badge: Some(badge.into()),
        person: person.map(str::to_owned),
        door: Some(door.into()),
        zone: Some(zone.into()),
        granted: true,
        exit: false,
    }
}

fn rules(escort: &[&str]) -> VisitorRules {
    VisitorRules::new(RuleSettings {
        escort_zones: escort.iter().map(|z| (*z).to_owned()).collect(),
        escort_window: Duration::seconds(30),
        max_tracked: 100,
    })
}

fn fired(alarms: &[AlarmCandidate]) -> Vec<VisitorRule> {
    alarms.iter().map(|a| a.rule).collect()
}

#[test]
fn a_zone_not_approved_is_an_alarm_an_approved_one_is_not() {
    let v = badged(Utc::now(), "V-1");
    let t = v.window.start + Duration::minutes(5);
    let mut r = rules(&[]);
    let alarms = r.observe(&obs(t, "V-1", None, "d-server", "server-hall"), [&v]);
    assert_eq!(fired(&alarms), [VisitorRule::ZoneNotGranted]);
    let a = &alarms[0];
    assert_eq!(
        (a.visit, a.severity, a.zone.as_deref()),
        (v.id, Severity::High, Some("server-hall"))
    );
    assert!(
        r.observe(&obs(t, "V-1", None, "d-plant", "plant-room"), [&v])
            .is_empty()
    );
    let mut denied = obs(t, "V-1", None, "d-server", "server-hall");
    denied.granted = false;
    assert!(
        r.observe(&denied, [&v]).is_empty(),
        "a denial means the system held"
    );
    let mut out = obs(t, "V-1", None, "d-server", "server-hall");
    out.exit = true;
    assert!(
        r.observe(&out, [&v]).is_empty(),
        "an exit reader lets nobody in"
    );
    // A badge no visit holds is not a visitor's.
    assert!(
        r.observe(&obs(t, "E-77", None, "d-server", "server-hall"), [&v])
            .is_empty()
    );
}

#[test]
fn a_badge_one_second_past_its_window_is_an_alarm_at_the_end_it_is_not() {
    let v = badged(Utc::now(), "V-1");
    let end = v.window.end;
    let mut r = rules(&[]);
    assert!(
        r.observe(&obs(end, "V-1", None, "d-lobby", "lobby"), [&v])
            .is_empty()
    );
    let alarms = r.observe(
        &obs(end + Duration::seconds(1), "V-1", None, "d-lobby", "lobby"),
        [&v],
    );
    assert_eq!(fired(&alarms), [VisitorRule::OutsideWindow]);
    let mut tried = obs(end + Duration::seconds(1), "V-1", None, "d-lobby", "lobby");
    tried.granted = false;
    let alarms = r.observe(&tried, [&v]);
    assert_eq!(
        alarms[0].severity,
        Severity::Medium,
        "a denied try is a lesser worry"
    );
}

#[test]
fn a_badge_used_after_sign_out_is_an_alarm_until_the_badge_is_reissued() {
    let mut v = badged(Utc::now(), "V-1");
    let out = v.window.start + Duration::hours(1);
    v.sign_out(actor("desk-1"), out).unwrap();
    let mut r = rules(&[]);
    assert!(
        r.observe(&obs(out, "V-1", None, "d-lobby", "lobby"), [&v])
            .is_empty()
    );
    let alarms = r.observe(
        &obs(out + Duration::seconds(1), "V-1", None, "d-lobby", "lobby"),
        [&v],
    );
    assert_eq!(fired(&alarms), [VisitorRule::AfterSignOut]);
    // The desk hands the same badge to the next visitor: their use is theirs.
    let mut next = badged(Utc::now(), "V-1");
    next.id = crate::ids::VisitId::new_at(Utc::now(), [2; 10]);
    let reissued = out + Duration::minutes(10);
    if let Some(b) = next.badge.as_mut() {
        b.issued_at = reissued;
        b.valid_from = reissued;
    }
    let t = reissued + Duration::seconds(1);
    assert!(
        r.observe(&obs(t, "V-1", None, "d-lobby", "lobby"), [&v, &next])
            .is_empty()
    );
    let before = r.observe(
        &obs(
            reissued - Duration::seconds(1),
            "V-1",
            None,
            "d-lobby",
            "lobby",
        ),
        [&v, &next],
    );
    assert_eq!(
        before[0].visit, v.id,
        "before reissue, the badge was still the old visit's"
    );
}

#[test]
fn an_escort_seen_within_the_window_before_or_after_settles_it() {
    let v = badged(Utc::now(), "V-1");
    let t = v.window.start + Duration::minutes(5);
    let s = Duration::seconds;
    let mut r = rules(&["plant-room"]);
    // Host 30 s before, at the same door.
    assert!(
        r.observe(
            &obs(t - s(30), "E-42", Some("emp-042"), "d-plant", "plant-room"),
            [&v]
        )
        .is_empty()
    );
    assert!(
        r.observe(&obs(t, "V-1", None, "d-plant", "plant-room"), [&v])
            .is_empty()
    );
    assert!(r.expire(t + s(120)).is_empty());
    // Host 30 s after, into the same zone by another door.
    let t = t + s(600);
    assert!(
        r.observe(&obs(t, "V-1", None, "d-plant", "plant-room"), [&v])
            .is_empty()
    );
    assert!(
        r.observe(
            &obs(
                t + s(30),
                "E-42",
                Some("emp-042"),
                "d-plant-2",
                "plant-room"
            ),
            [&v]
        )
        .is_empty()
    );
    assert!(r.expire(t + s(120)).is_empty());
}

#[test]
fn an_escort_a_second_too_far_is_an_alarm() {
    let v = badged(Utc::now(), "V-1");
    let t = v.window.start + Duration::minutes(5);
    let s = Duration::seconds;
    let mut r = rules(&["plant-room"]);
    // Host 31 s before: the visitor waits for a host who does not come.
    assert!(
        r.observe(
            &obs(t - s(31), "E-42", Some("emp-042"), "d-plant", "plant-room"),
            [&v]
        )
        .is_empty()
    );
    assert!(
        r.observe(&obs(t, "V-1", None, "d-plant", "plant-room"), [&v])
            .is_empty()
    );
    assert!(
        r.expire(t + s(30)).is_empty(),
        "the host may still come at +30 s"
    );
    let alarms = r.expire(t + s(31));
    assert_eq!(fired(&alarms), [VisitorRule::EscortMissing]);
    assert_eq!(alarms[0].at, t);
    // Host 31 s after: the host's own event decides it.
    let t = t + s(600);
    assert!(
        r.observe(&obs(t, "V-1", None, "d-plant", "plant-room"), [&v])
            .is_empty()
    );
    let alarms = r.observe(
        &obs(t + s(31), "E-42", Some("emp-042"), "d-plant", "plant-room"),
        [&v],
    );
    assert_eq!(fired(&alarms), [VisitorRule::EscortMissing]);
    // Someone else's host, on time, does not count.
    let t = t + s(600);
    r.observe(
        &obs(t, "E-9", Some("emp-009"), "d-plant", "plant-room"),
        [&v],
    );
    r.observe(&obs(t, "V-1", None, "d-plant", "plant-room"), [&v]);
    assert_eq!(fired(&r.expire(t + s(31))), [VisitorRule::EscortMissing]);
    // Zones without the escort rule are never held.
    let t = t + s(600);
    r.observe(&obs(t, "V-1", None, "d-lobby", "lobby"), [&v]);
    assert!(r.expire(t + s(600)).is_empty());
}

#[test]
fn watchlist_hits_become_alarms_without_personal_data() {
    let v = badged(Utc::now(), "V-1");
    let hit = WatchlistMatch {
        list: MatchedList::Provider,
        basis: MatchBasis::Name,
    };
    let a = watchlist_alarm(&v, &hit, v.registered_at);
    assert_eq!(
        (a.rule, a.severity),
        (VisitorRule::ProviderWatchlist, Severity::Medium)
    );
    let json = serde_json::to_string(&a).unwrap();
    assert!(!json.contains("Kowalski"), "{json}");
    assert!(json.contains(&v.id.to_string()));
}

#[test]
fn another_tenants_event_time_does_not_decide_an_escort_check() {
    let v = badged(Utc::now(), "V-1");
    let t = v.window.start + Duration::minutes(5);
    let mut r = rules(&["plant-room"]);
    r.observe(&obs(t, "V-1", None, "d-plant", "plant-room"), [&v]);
    let mut elsewhere = obs(t + Duration::hours(1), "X-1", Some("zed"), "d-1", "hall");
    elsewhere.tenant = TenantId::new("riverside").unwrap();
    assert!(r.observe(&elsewhere, [&v]).is_empty());
    let host = obs(
        t + Duration::seconds(20),
        "E-42",
        Some("emp-042"),
        "d-plant",
        "plant-room",
    );
    assert!(r.observe(&host, [&v]).is_empty(), "the host came in time");
    assert!(r.expire(t + Duration::hours(2)).is_empty());
}
