use chrono::{Duration, Utc};
use proptest::prelude::*;
use vigil_model::{SiteId, TenantId, Timestamp};

use super::*;
use crate::ids::TenantSecret;

pub(crate) fn actor(id: &str) -> ActorId {
    ActorId::new(id).unwrap()
}

pub(crate) fn secret() -> TenantSecret {
    TenantSecret::new(*b"northgate-tenant-secret").unwrap()
}

pub(crate) fn request(now: Timestamp) -> PreRegistration {
    PreRegistration {
        visitor_name: "Zoë Kowalski".into(),
        company: "Acme Lifts".into(),
        purpose: "Lift maintenance".into(),
        host: "emp-042".into(),
        site: SiteId::new("lon1").unwrap(),
        window_start: now + Duration::hours(1),
        window_end: now + Duration::hours(5),
        zones: vec!["lobby".into(), "plant-room".into()],
    }
}

pub(crate) fn passport() -> IdentityDocument {
    IdentityDocument {
        kind: DocumentKind::Passport,
        number: "PA 1234567".into(),
    }
}

pub(crate) fn registered(now: Timestamp) -> Visit {
    Visit::pre_register(
        VisitId::new_at(now, [1; 10]),
        TenantId::new("northgate").unwrap(),
        &request(now),
        actor("emp-042"),
        &VisitSettings::default(),
        now,
    )
    .unwrap()
    .0
}

/// A visit taken through to `badge_issued` at the window's start.
pub(crate) fn badged(now: Timestamp, badge: &str) -> Visit {
    let mut v = registered(now);
    let start = v.window.start;
    v.approve(actor("approver-1"), None, None, now).unwrap();
    v.arrive(
        actor("desk-1"),
        &passport(),
        &VisitSettings::default(),
        &secret(),
        start,
    )
    .unwrap();
    v.issue_badge(actor("desk-1"), badge, start).unwrap();
    v
}

#[test]
fn a_visit_runs_from_registration_to_sign_out() {
    let now = Utc::now();
    let settings = VisitSettings::default();
    let (mut v, audit) = Visit::pre_register(
        VisitId::new_at(now, [1; 10]),
        TenantId::new("northgate").unwrap(),
        &request(now),
        actor("emp-042"),
        &settings,
        now,
    )
    .unwrap();
    assert_eq!(audit.to, VisitState::PreRegistered);
    assert_eq!(audit.from, None);
    let mut audits = vec![audit];
    audits.push(
        v.approve(
            actor("approver-1"),
            Some(&["lobby".to_owned()]),
            Some("lobby only: the plant room is closed"),
            now,
        )
        .unwrap(),
    );
    assert_eq!(v.zones_approved.len(), 1);
    let at = v.window.start - Duration::minutes(10);
    audits.push(
        v.arrive(actor("desk-1"), &passport(), &settings, &secret(), at)
            .unwrap(),
    );
    audits.push(v.issue_badge(actor("desk-1"), "V-0007", at).unwrap());
    let badge = v.badge.clone().unwrap();
    assert_eq!(
        badge.valid_from, at,
        "an early visitor's badge works at once"
    );
    assert_eq!(badge.valid_until, v.window.end);
    assert_eq!(badge.zones.iter().collect::<Vec<_>>(), ["lobby"]);
    audits.push(
        v.sign_out(actor("desk-1"), at + Duration::hours(2))
            .unwrap(),
    );
    assert_eq!(v.state, VisitState::SignedOut);
    let states: Vec<_> = audits.iter().map(|a| a.to.as_str()).collect();
    assert_eq!(
        states,
        [
            "pre_registered",
            "approved",
            "arrived",
            "badge_issued",
            "signed_out"
        ]
    );
    assert_eq!(audits[4].badge.as_deref(), Some("V-0007"));
    // The audit trail names nobody and keeps no document.
    let trail = serde_json::to_string(&audits).unwrap();
    for personal in [
        "Zoë",
        "Kowalski",
        "Acme",
        "Lift maintenance",
        "1234567",
        "PA",
    ] {
        assert!(!trail.contains(personal), "{personal} in {trail}");
    }
}

#[test]
fn a_window_that_ends_before_it_starts_or_runs_too_long_names_the_field() {
    let now = Utc::now();
    let settings = VisitSettings::default();
    let mut r = request(now);
    r.window_end = r.window_start - Duration::seconds(1);
    let err = r.check(&settings, now).unwrap_err();
    assert!(
        matches!(
            err,
            VisitError::Invalid {
                field: "window_end",
                ..
            }
        ),
        "{err}"
    );
    r.window_end = r.window_start;
    assert!(r.check(&settings, now).is_err());
    r.window_end = r.window_start + settings.max_window;
    assert_eq!(
        r.check(&settings, now),
        Ok(()),
        "exactly the maximum is allowed"
    );
    r.window_end += Duration::seconds(1);
    let err = r.check(&settings, now).unwrap_err();
    assert!(
        err.to_string().starts_with("window_end: the window lasts"),
        "{err}"
    );
    let mut r = request(now);
    r.visitor_name = "  ".into();
    assert!(matches!(
        r.check(&settings, now),
        Err(VisitError::Invalid {
            field: "visitor_name",
            ..
        })
    ));
    let mut r = request(now);
    r.zones = vec!["lobby".into(), "".into()];
    assert!(matches!(
        r.check(&settings, now),
        Err(VisitError::Invalid { field: "zones", .. })
    ));
}

#[test]
fn illegal_steps_are_typed_errors_and_change_nothing() {
    let now = Utc::now();
    let mut v = registered(now);
    let before = v.clone();
    assert_eq!(
        v.issue_badge(actor("desk-1"), "V-1", now),
        Err(VisitError::IllegalTransition {
            from: VisitState::PreRegistered,
            action: VisitAction::IssueBadge
        })
    );
    assert!(v.sign_out(actor("desk-1"), now).is_err());
    assert_eq!(
        v.approve(actor("approver-1"), Some(&["roof".to_owned()]), None, now),
        Err(VisitError::ZoneNotRequested {
            zone: "roof".into()
        })
    );
    assert!(v.refuse(actor("approver-1"), " ", now).is_err());
    assert_eq!(v, before);
    v.refuse(actor("approver-1"), "no escort available", now)
        .unwrap();
    assert!(v.state.is_final());
    assert!(v.approve(actor("approver-1"), None, None, now).is_err());
}

#[test]
fn arrival_must_fall_in_the_window() {
    let now = Utc::now();
    let settings = VisitSettings::default();
    let mut v = registered(now);
    v.approve(actor("approver-1"), None, None, now).unwrap();
    let too_early = v.window.start - settings.early_arrival - Duration::seconds(1);
    assert!(matches!(
        v.arrive(actor("d"), &passport(), &settings, &secret(), too_early),
        Err(VisitError::OutsideWindow { .. })
    ));
    let too_late = v.window.end + Duration::seconds(1);
    assert!(
        v.arrive(actor("d"), &passport(), &settings, &secret(), too_late)
            .is_err()
    );
    let just = v.window.start - settings.early_arrival;
    assert!(
        v.arrive(actor("d"), &passport(), &settings, &secret(), just)
            .is_ok()
    );
}

#[test]
fn the_document_is_kept_as_the_policy_says() {
    let now = Utc::now();
    let mut v = registered(now);
    v.approve(actor("a"), None, None, now).unwrap();
    let settings = VisitSettings {
        document_policy: DocumentPolicy::NotRecorded,
        ..VisitSettings::default()
    };
    v.arrive(
        actor("d"),
        &passport(),
        &settings,
        &secret(),
        v.window.start,
    )
    .unwrap();
    assert_eq!(
        v.arrival.as_ref().unwrap().document,
        RecordedDocument::NotRecorded
    );
    let v = badged(now, "V-9");
    let json = serde_json::to_string(&v).unwrap();
    assert!(!json.contains("1234567"), "{json}");
}

#[derive(Debug, Clone)]
enum Step {
    Approve(bool),
    Refuse(bool),
    Arrive(i64),
    Issue(bool),
    SignOut,
    Erase,
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    let s = prop_oneof![
        any::<bool>().prop_map(Step::Approve),
        any::<bool>().prop_map(Step::Refuse),
        (-600i64..600).prop_map(Step::Arrive),
        any::<bool>().prop_map(Step::Issue),
        Just(Step::SignOut),
        Just(Step::Erase),
    ];
    (s, -3600i64..36_000)
}

proptest! {
    #[test]
    fn no_step_sequence_panics_or_takes_an_illegal_transition(
        steps in proptest::collection::vec(step(), 0..12)
    ) {
        let now = Utc::now();
        let settings = VisitSettings::default();
        let mut v = registered(now);
        for (step, offset) in steps {
            let at = now + Duration::seconds(offset);
            let before = v.clone();
            let result = match step {
                Step::Approve(narrow) => {
                    let zones = ["lobby".to_owned()];
                    v.approve(actor("a"), narrow.then_some(&zones[..]), None, at)
                }
                Step::Refuse(blank) => v.refuse(actor("a"), if blank { "" } else { "no" }, at),
                Step::Arrive(minutes) => {
                    let at = v.window.start + Duration::minutes(minutes);
                    v.arrive(actor("d"), &passport(), &settings, &secret(), at)
                }
                Step::Issue(blank) => v.issue_badge(actor("d"), if blank { " " } else { "V-1" }, at),
                Step::SignOut => v.sign_out(actor("d"), at),
                Step::Erase => v.erase(actor("retention"), at),
            };
            if before.erased_at.is_some() {
                prop_assert_eq!(result, Err(VisitError::Erased));
                prop_assert_eq!(&v, &before);
                continue;
            }
            match result {
                Ok(audit) if audit.action == VisitAction::Erase => {
                    prop_assert!(!before.state.on_site());
                    prop_assert_eq!(v.state, before.state);
                    prop_assert!(v.visitor.name.is_empty());
                }
                Ok(audit) => {
                    prop_assert!(Visit::legal(before.state, v.state), "{} -> {}", before.state, v.state);
                    prop_assert_eq!(audit.from, Some(before.state));
                    prop_assert_eq!(audit.to, v.state);
                }
                Err(_) => prop_assert_eq!(&v, &before),
            }
            if v.state == VisitState::BadgeIssued {
                let badge = v.badge.as_ref().unwrap();
                prop_assert!(badge.zones.is_subset(&v.zones_requested));
                prop_assert_eq!(badge.valid_until, v.window.end);
            }
        }
    }
}

/// One step tried on a visit at a time.
type Attempt = fn(&mut Visit, Timestamp) -> Result<VisitAudit, VisitError>;

/// Every action from every state: accepted exactly when the machine allows it.
#[test]
fn every_action_from_every_state_is_accepted_exactly_when_legal() {
    use VisitState::*;
    let now = Utc::now();
    let settings = VisitSettings::default();
    let in_state = |state: VisitState| {
        let mut v = registered(now);
        let start = v.window.start;
        match state {
            PreRegistered => {}
            Refused => {
                v.refuse(actor("a"), "no", now).unwrap();
            }
            _ => {
                v.approve(actor("a"), None, None, now).unwrap();
                if state != Approved {
                    v.arrive(actor("d"), &passport(), &settings, &secret(), start)
                        .unwrap();
                }
                if matches!(state, BadgeIssued | SignedOut) {
                    v.issue_badge(actor("d"), "V-1", start).unwrap();
                }
                if state == SignedOut {
                    v.sign_out(actor("d"), start).unwrap();
                }
            }
        }
        assert_eq!(v.state, state);
        v
    };
    let states = [
        PreRegistered,
        Approved,
        Refused,
        Arrived,
        BadgeIssued,
        SignedOut,
    ];
    for from in states {
        let at = in_state(from).window.start;
        let attempts: [(VisitState, Attempt); 5] = [
            (Approved, |v, at| v.approve(actor("a"), None, None, at)),
            (Refused, |v, at| v.refuse(actor("a"), "no", at)),
            (Arrived, |v, at| {
                v.arrive(
                    actor("d"),
                    &passport(),
                    &VisitSettings::default(),
                    &secret(),
                    at,
                )
            }),
            (BadgeIssued, |v, at| v.issue_badge(actor("d"), "V-1", at)),
            (SignedOut, |v, at| v.sign_out(actor("d"), at)),
        ];
        for (to, attempt) in attempts {
            let mut v = in_state(from);
            let result = attempt(&mut v, at);
            assert_eq!(
                result.is_ok(),
                Visit::legal(from, to),
                "{from} -> {to}: {result:?}"
            );
            if let Err(e) = result {
                assert!(matches!(e, VisitError::IllegalTransition { from: f, .. } if f == from));
            }
        }
    }
}
