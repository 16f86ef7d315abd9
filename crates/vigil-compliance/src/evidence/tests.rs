//! The pack as a whole: its JSON shape, its digests, the NIS-2 view
//! through the mapping, and the checks an exported pack goes through.

use std::collections::BTreeMap;

use chrono::Duration;
use serde_json::{Value, json};

use super::access::{AccessFacts, Holder};
use super::audit::{AuditFacts, CheckpointFact};
use super::incidents::{IncidentFact, IncidentFacts};
use super::logging::{LoggingFacts, Retention, SourceFacts};
use super::physical::{PhysicalFacts, RegisteredDevice, SupervisedDevice, SupervisionFacts};
use super::*;

struct Facts {
    logging: LoggingFacts,
    supervision: SupervisionFacts,
    incidents: IncidentFacts,
    physical: PhysicalFacts,
    access: AccessFacts,
    audit: AuditFacts,
}

fn facts() -> Facts {
    let now = chrono::Utc::now();
    Facts {
        logging: LoggingFacts {
            sources: vec![SourceFacts {
                id: "fw".into(),
                kind: "syslog_tcp".into(),
                product: "fortigate".into(),
                site: None,
                events: 120,
                last_event: Some(now - Duration::hours(1)),
            }],
            other_events: 0,
            capped: false,
            retention: Retention::Days(90),
            past_limit: None,
            read_at: now,
        },
        supervision: SupervisionFacts {
            devices: vec![SupervisedDevice {
                id: "p1".into(),
                name: "Panel 1".into(),
                kind: "intrusion_panel".into(),
                site: Some("lon1".into()),
                interval_secs: 300,
                lost_since: None,
                losses: 0,
                down_secs: 0,
            }],
            measured_to: Some(now),
        },
        incidents: IncidentFacts {
            incidents: vec![IncidentFact {
                id: "inc-1".into(),
                title: "Forced door".into(),
                severity: "high".into(),
                category: "physical".into(),
                state: "closed".into(),
                opened_at: now - Duration::days(5),
                triaged_at: Some(now - Duration::days(5) + Duration::minutes(3)),
                notified_at: None,
                contained_at: None,
                closed_at: Some(now - Duration::days(4)),
                resolution: Some("resolved".into()),
                lessons_learned: Some("Fit a door-held alarm".into()),
                alarms: 1,
                observables: 0,
            }],
            sops: 5,
            capped: false,
        },
        physical: PhysicalFacts {
            devices: vec![RegisteredDevice {
                id: "p1".into(),
                name: "Panel 1".into(),
                kind: "intrusion_panel".into(),
                site: Some("lon1".into()),
                supervised: true,
                events: 4,
            }],
            events_by_class: BTreeMap::from([("intrusion_alarm".to_owned(), 4)]),
            capped: false,
        },
        access: AccessFacts {
            register_known: true,
            holders: vec![Holder {
                name: "alice".into(),
                role: "provider_operator".into(),
                all_clients: true,
                registered: true,
                last_act: Some(now - Duration::hours(3)),
                last_action: Some("incident.close".into()),
            }],
            former: vec![],
            logins: 2,
            failed_authentications: 0,
        },
        audit: AuditFacts {
            entries: 50,
            checkpoints: 3,
            newest: Some(CheckpointFact {
                seq: 3,
                tree_size: 50,
                at: now,
                key: "cd".repeat(32),
            }),
            unsigned_tail: 0,
            problem: None,
            complete: true,
        },
    }
}

fn pack(framework: FrameworkId, f: &Facts) -> EvidencePack {
    // The facts' reading time, so that the same facts give the same pack.
    let now = f.logging.read_at;
    evidence_pack(&EvidenceInput {
        framework,
        tenant: "northgate",
        client: "Northgate Colocation",
        period: Span {
            from: now - Duration::days(30),
            to: now,
        },
        generated_at: now,
        logging: &f.logging,
        supervision: &f.supervision,
        incidents: &f.incidents,
        physical: &f.physical,
        access: &f.access,
        audit: &f.audit,
        notes: &[],
    })
    .expect("pack")
}

#[test]
fn every_annex_a_control_is_listed_with_a_status_and_its_evidence() {
    let p = pack(FrameworkId::Iso27001, &facts());
    assert_eq!(p.controls.len(), 93);
    assert_eq!(p.controls[0].id, "A.5.1");
    assert_eq!(p.controls[92].id, "A.8.34");
    let status = |id: &str| p.control(id).expect(id).status;
    for id in [
        "A.8.15", "A.8.16", "A.5.24", "A.5.25", "A.5.26", "A.5.27", "A.5.28", "A.7.2", "A.7.4",
        "A.5.15", "A.5.16", "A.5.17", "A.5.18",
    ] {
        assert_eq!(
            status(id),
            Status::Evidenced,
            "{id}: {}",
            p.control(id).expect(id).basis
        );
    }
    // Monitoring shows the perimeter watched, not drawn: partial at best.
    assert_eq!(status("A.7.1"), Status::Partially);
    assert_eq!(status("A.5.1"), Status::NotEvidenced);
    assert_eq!(
        p.summary.evidenced
            + p.summary.partially
            + p.summary.not_evidenced
            + p.summary.not_applicable,
        93
    );
    let a815: Vec<&str> = p
        .control("A.8.15")
        .expect("A.8.15")
        .evidence
        .iter()
        .map(|r| r.entry.as_str())
        .collect();
    assert_eq!(
        a815,
        ["logging.sources", "logging.retention", "audit.integrity"]
    );
}

#[test]
fn the_json_has_the_documented_shape_and_every_digest_is_over_canonical_json() {
    let f = facts();
    let p = pack(FrameworkId::Iso27001, &f);
    let v = serde_json::to_value(&p).expect("json");
    for key in [
        "format",
        "framework",
        "framework_title",
        "tenant",
        "client",
        "period",
        "generated_at",
        "summary",
        "controls",
        "entries",
        "notes",
        "digest",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert!(v.get("record").is_none(), "no record before it is recorded");
    assert_eq!(v["format"], FORMAT);
    assert_eq!(v["framework"], "iso27001");
    assert_eq!(v["controls"][0]["status"], "not_evidenced");
    let entry = p.entry("logging.sources").expect("entry");
    let mut content = serde_json::to_value(entry).expect("json");
    content.as_object_mut().expect("object").remove("digest");
    let text = canonical_json(&content).expect("canonical");
    assert_eq!(entry.digest, hex::encode(Sha256::digest(text.as_bytes())));
    assert_eq!(entry.digest.len(), 64);
    // The same facts give the same digests.
    let again = pack(FrameworkId::Iso27001, &f);
    assert_eq!(again.digest, p.digest);
    assert_eq!(
        again.entry("logging.sources").map(|e| &e.digest),
        Some(&entry.digest)
    );
    let checked = check_digests(&v).expect("verifies");
    assert_eq!(checked.digest, p.digest);
    assert_eq!(checked.entries.len(), p.entries.len());
}

#[test]
fn nis2_measures_take_their_evidence_through_the_mapping() {
    let mut f = facts();
    let p = pack(FrameworkId::Nis2, &f);
    assert_eq!(p.controls.len(), 10);
    assert_eq!(p.controls[0].id, "21(2)(a)");
    assert_eq!(p.controls[9].id, "21(2)(j)");
    let b = p.control("21(2)(b)").expect("(b)");
    // A.5.5 and A.6.8 are not the platform's to show.
    assert_eq!(b.status, Status::Partially, "{}", b.basis);
    assert!(
        b.via
            .iter()
            .any(|m| m.id == "A.8.15" && m.status == Status::Evidenced)
    );
    assert!(b.evidence.iter().any(|r| r.entry == "incidents.handled"));
    let a = p.control("21(2)(a)").expect("(a)");
    assert_eq!(a.status, Status::NotEvidenced);
    assert!(a.evidence.is_empty());

    // A broken audit chain takes A.8.15 down to partial, and (b) with it.
    f.audit.problem = Some("audit entry 9 was changed".into());
    let p = pack(FrameworkId::Nis2, &f);
    let b = p.control("21(2)(b)").expect("(b)");
    assert!(
        b.via
            .iter()
            .any(|m| m.id == "A.8.15" && m.status == Status::Partially)
    );
}

#[test]
fn a_control_with_only_inapplicable_evidence_is_not_applicable() {
    let mut f = facts();
    f.supervision = SupervisionFacts::default();
    f.physical = PhysicalFacts::default();
    let p = pack(FrameworkId::Iso27001, &f);
    assert_eq!(
        p.control("A.7.2").expect("A.7.2").status,
        Status::NotApplicable
    );
    assert_eq!(
        p.control("A.7.4").expect("A.7.4").status,
        Status::NotApplicable
    );
}

fn recorded(p: &EvidencePack) -> (Value, String) {
    (p.audit_detail(), p.digest.clone())
}

#[test]
fn an_exported_pack_matches_its_record_and_a_tampered_entry_is_named() {
    let p = pack(FrameworkId::Iso27001, &facts());
    let (detail, after) = recorded(&p);
    let record = |after: &str, detail: &Value| {
        let v = serde_json::to_value(&p).expect("json");
        let d = check_digests(&v)?;
        check_record(
            &d,
            &RecordedPack {
                seq: 12,
                action: AUDIT_ACTION,
                tenant: Some("northgate"),
                after: Some(after),
                detail,
            },
        )
    };
    record(&after, &detail).expect("matches its record");

    // Changed in place: the entry's own digest gives it away.
    let mut v = serde_json::to_value(&p).expect("json");
    let i = p
        .entries
        .iter()
        .position(|e| e.id == "incidents.lessons")
        .expect("entry");
    v["entries"][i]["data"]["resolved"][0]["lessons_learned"] = json!("none needed");
    match check_digests(&v) {
        Err(PackError::EntryChanged {
            entry, controls, ..
        }) => {
            assert_eq!(entry, "incidents.lessons");
            assert_eq!(controls, "A.5.27");
        }
        other => panic!("expected the entry named, got {other:?}"),
    }

    // Changed and every digest recomputed: the audit record gives it away.
    let mut forged = p.clone();
    forged.entries[i].finding = "All fine.".into();
    forged.entries[i].digest = digest_without(&forged.entries[i], &["digest"]).expect("digest");
    for c in &mut forged.controls {
        for r in &mut c.evidence {
            if r.entry == "incidents.lessons" {
                r.digest = forged.entries[i].digest.clone();
            }
        }
    }
    forged.digest = digest_without(&forged, &["digest", "record"]).expect("digest");
    let fv = serde_json::to_value(&forged).expect("json");
    let d = check_digests(&fv).expect("consistent on its own");
    let err = check_record(
        &d,
        &RecordedPack {
            seq: 12,
            action: AUDIT_ACTION,
            tenant: Some("northgate"),
            after: Some(&after),
            detail: &detail,
        },
    )
    .expect_err("does not match the record");
    assert!(
        matches!(&err, PackError::EntryNotRecorded { entry, seq: 12, .. } if entry == "incidents.lessons"),
        "{err}"
    );
    assert!(err.to_string().contains("`incidents.lessons`"), "{err}");

    // Another client's record, or another act, is not this pack's.
    let v = serde_json::to_value(&p).expect("json");
    let d = check_digests(&v).expect("verifies");
    let other = check_record(
        &d,
        &RecordedPack {
            seq: 12,
            action: AUDIT_ACTION,
            tenant: Some("riverside"),
            after: Some(&after),
            detail: &detail,
        },
    );
    assert!(matches!(
        other,
        Err(PackError::NotItsRecord { seq: 12, .. })
    ));
}

#[test]
fn a_control_pointing_at_a_changed_digest_or_a_changed_pack_is_refused() {
    let p = pack(FrameworkId::Iso27001, &facts());
    let mut v = serde_json::to_value(&p).expect("json");
    let i = p
        .controls
        .iter()
        .position(|c| c.id == "A.8.16")
        .expect("A.8.16");
    v["controls"][i]["evidence"][0]["digest"] = json!("00".repeat(32));
    assert!(matches!(
        check_digests(&v),
        Err(PackError::Reference { control, .. }) if control == "A.8.16"
    ));
    let mut v = serde_json::to_value(&p).expect("json");
    v["client"] = json!("Someone else");
    assert!(matches!(
        check_digests(&v),
        Err(PackError::PackChanged { .. })
    ));
    let mut v = serde_json::to_value(&p).expect("json");
    v["format"] = json!("vigil.nis2-report/1");
    assert!(matches!(check_digests(&v), Err(PackError::NotAPack(_))));
}

#[test]
fn statuses_combine_as_documented() {
    use Status::*;
    assert_eq!(Status::combine([Evidenced, Evidenced]), Evidenced);
    assert_eq!(Status::combine([Evidenced, NotApplicable]), Evidenced);
    assert_eq!(Status::combine([Evidenced, NotEvidenced]), Partially);
    assert_eq!(Status::combine([NotEvidenced, NotEvidenced]), NotEvidenced);
    assert_eq!(Status::combine([Partially]), Partially);
    assert_eq!(Status::combine([NotApplicable]), NotApplicable);
    assert_eq!(Status::combine([]), NotApplicable);
}
