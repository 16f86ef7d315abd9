use super::*;
use crate::nis2::profile::{AuthorityConfig, EntityType, Nis2Profile, Sector, Turnover};
use crate::nis2::significance::{IncidentFacts, assess};
use chrono::{TimeZone, Utc};
use vigil_model::TenantId;

fn at(d: u32, h: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0)
        .single()
        .expect("valid fixed instant")
}

fn profile() -> Nis2Profile {
    Nis2Profile {
        client: TenantId::new("northgate").expect("slug"),
        sector: Sector::IctServiceManagement,
        entity_type: EntityType::Essential,
        managed_service_provider: true,
        managed_security_service_provider: false,
        turnover: Turnover::Exact(42_000_000),
        member_state: "AT".into(),
        authority: AuthorityConfig {
            name: "CERT.at".into(),
            contact: "reports@cert.at".into(),
        },
        eu_users: Some(250_000),
    }
}

fn record(loss_eur: u64) -> IncidentRecord {
    let facts = IncidentFacts {
        occurred_at: at(10, 6),
        direct_financial_loss_eur: loss_eur,
        ..IncidentFacts::default()
    };
    let assessment = assess(&profile(), &facts).expect("assessable");
    IncidentRecord {
        reference: "INC-2025-0042".into(),
        title: "Ransomware on the hosting cluster".into(),
        aware_at: at(10, 8),
        timeline: vec![
            TimelineEntry {
                at: at(10, 9),
                text: "Cluster isolated".into(),
            },
            TimelineEntry {
                at: at(10, 6),
                text: "First encryption observed".into(),
            },
        ],
        severity: Severity::Critical,
        category: Category::Cyber,
        impact: "Hosting for 40 customers unavailable".into(),
        indicators: vec![Indicator {
            kind: "ipv4".into(),
            value: "203.0.113.7".into(),
        }],
        suspected_cause: SuspectedCause {
            unlawful_or_malicious: Suspicion::Yes,
            threat_type: None,
            root_cause: None,
        },
        cross_border: CrossBorderImpact {
            possible: Suspicion::Yes,
            member_states: vec!["de".into(), "IT".into(), "DE".into()],
            description: None,
        },
        mitigation: Mitigation {
            applied: vec!["Cluster isolated".into()],
            ongoing: vec!["Restore from backup".into()],
        },
        profile: profile(),
        assessment,
        confirmation: None,
    }
}

fn significant() -> IncidentRecord {
    record(900_000)
}

#[test]
fn an_early_warning_says_malice_and_cross_border_impact() {
    let d = significant()
        .draft(ReportKind::EarlyWarning, 1)
        .expect("drafted");
    let doc = &d.document;
    assert_eq!(doc["format"], FORMAT);
    assert_eq!(doc["kind"], "early_warning");
    assert_eq!(
        doc["legal_basis"],
        "Directive (EU) 2022/2555, Art. 23(4)(a)"
    );
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["incident"]["reference"], "INC-2025-0042");
    assert_eq!(doc["incident"]["aware_at"], "2025-03-10T08:00:00Z");
    assert_eq!(doc["entity"]["client"], "northgate");
    assert_eq!(doc["entity"]["annex"], "I");
    assert_eq!(doc["recipient"]["name"], "CERT.at");
    assert_eq!(doc["suspected_unlawful_or_malicious"], "yes");
    assert_eq!(doc["cross_border_impact"]["possible"], "yes");
    assert_eq!(
        doc["cross_border_impact"]["member_states"],
        serde_json::json!(["DE", "IT"])
    );
    assert!(
        doc.get("indicators_of_compromise").is_none(),
        "not asked of an early warning"
    );
}

#[test]
fn a_notification_gives_the_initial_assessment_and_indicators() {
    let d = significant()
        .draft(ReportKind::IncidentNotification, 1)
        .expect("drafted");
    let doc = &d.document;
    assert_eq!(
        doc["legal_basis"],
        "Directive (EU) 2022/2555, Art. 23(4)(b)"
    );
    let initial = &doc["initial_assessment"];
    assert_eq!(initial["severity"], "critical");
    assert_eq!(initial["category"], "cyber");
    assert_eq!(initial["impact"], "Hosting for 40 customers unavailable");
    assert_eq!(initial["significance"]["criteria_met"][0]["id"], "art3_1_a");
    assert_eq!(
        initial["significance"]["confirmed_by"],
        serde_json::Value::Null
    );
    assert_eq!(doc["indicators_of_compromise"][0]["value"], "203.0.113.7");
    // The timeline is in time order whatever order it was recorded in.
    assert_eq!(doc["timeline"][0]["text"], "First encryption observed");
    assert_eq!(
        doc["suspected_unlawful_or_malicious"], "yes",
        "updates the early warning"
    );
}

#[test]
fn a_final_report_needs_the_threat_type_or_root_cause() {
    let r = significant();
    let err = r.draft(ReportKind::FinalReport, 1).expect_err("missing");
    assert!(matches!(
        err,
        ReportError::Missing {
            kind: ReportKind::FinalReport,
            ..
        }
    ));
    assert!(err.to_string().contains("INC-2025-0042"), "{err}");

    let mut r = significant();
    r.suspected_cause.threat_type = Some("ransomware".into());
    r.suspected_cause.root_cause = Some("unpatched VPN appliance".into());
    let doc = r
        .draft(ReportKind::FinalReport, 1)
        .expect("drafted")
        .document;
    assert_eq!(
        doc["legal_basis"],
        "Directive (EU) 2022/2555, Art. 23(4)(d)"
    );
    assert_eq!(doc["status"], "handled");
    assert_eq!(doc["description"]["severity"], "critical");
    assert_eq!(
        doc["description"]["timeline"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(doc["threat"]["threat_type"], "ransomware");
    assert_eq!(doc["threat"]["root_cause"], "unpatched VPN appliance");
    assert_eq!(doc["mitigation"]["applied"][0], "Cluster isolated");
    assert_eq!(doc["mitigation"]["ongoing"][0], "Restore from backup");
    assert_eq!(doc["cross_border_impact"]["possible"], "yes");
}

#[test]
fn a_progress_report_may_not_know_the_root_cause_yet() {
    let doc = significant()
        .draft(ReportKind::ProgressReport, 1)
        .expect("drafted")
        .document;
    assert_eq!(doc["status"], "ongoing");
    assert_eq!(
        doc["legal_basis"],
        "Directive (EU) 2022/2555, Art. 23(4)(e)"
    );
    assert_eq!(doc["threat"]["root_cause"], serde_json::Value::Null);
}

#[test]
fn an_intermediate_report_gives_status_updates() {
    let doc = significant()
        .draft(ReportKind::IntermediateReport, 3)
        .expect("drafted")
        .document;
    assert_eq!(doc["version"], 3);
    assert_eq!(doc["status_updates"][1]["text"], "Cluster isolated");
    assert_eq!(doc["mitigation"]["ongoing"][0], "Restore from backup");
}

#[test]
fn no_report_is_drafted_for_an_incident_that_is_not_significant() {
    let r = record(500_000);
    assert!(!r.assessment.significant);
    for kind in ReportKind::ALL {
        assert_eq!(
            r.draft(kind, 1).expect_err("refused"),
            ReportError::NotSignificant {
                reference: "INC-2025-0042".into()
            }
        );
    }
}

#[test]
fn the_analysts_decision_overrides_the_proposal() {
    let mut r = record(500_000);
    let c = r
        .assessment
        .decide(
            "j.doe",
            at(10, 9),
            true,
            "client reports loss still growing",
        )
        .expect("decided");
    r.confirmation = Some(c);
    let doc = r.draft(ReportKind::EarlyWarning, 1).expect("drafted");
    assert_eq!(doc.kind, ReportKind::EarlyWarning);

    let mut r = significant();
    r.confirmation = Some(
        r.assessment
            .decide("j.doe", at(10, 9), false, "loss was double-counted")
            .expect("decided"),
    );
    assert!(matches!(
        r.draft(ReportKind::EarlyWarning, 1),
        Err(ReportError::NotSignificant { .. })
    ));
}

#[test]
fn the_confirmation_is_in_the_notification() {
    let mut r = significant();
    r.confirmation = Some(r.assessment.confirm("j.doe", at(10, 9)).expect("confirmed"));
    let doc = r
        .draft(ReportKind::IncidentNotification, 1)
        .expect("drafted")
        .document;
    assert_eq!(
        doc["initial_assessment"]["significance"]["confirmed_by"],
        "j.doe"
    );
    assert_eq!(
        doc["initial_assessment"]["significance"]["confirmed_at"],
        "2025-03-10T09:00:00Z"
    );
}

#[test]
fn the_digest_is_the_sha256_of_the_canonical_json() {
    let d = significant()
        .draft(ReportKind::EarlyWarning, 1)
        .expect("drafted");
    let text = d.canonical_json().expect("encodes");
    assert_eq!(d.digest, hex::encode(Sha256::digest(text.as_bytes())));
    assert_eq!(d.digest.len(), 64);
    assert!(
        !text.contains("\": ") && !text.contains('\n'),
        "no whitespace between tokens"
    );
    assert!(
        text.starts_with("{\"cross_border_impact\":"),
        "keys sorted: {text}"
    );

    // The same record drafts the same bytes; another version, another digest.
    let again = significant()
        .draft(ReportKind::EarlyWarning, 1)
        .expect("drafted");
    assert_eq!(again.digest, d.digest);
    let v2 = significant()
        .draft(ReportKind::EarlyWarning, 2)
        .expect("drafted");
    assert_ne!(v2.digest, d.digest);
    // A change of content changes the digest.
    let mut changed = significant();
    changed.cross_border.possible = Suspicion::No;
    assert_ne!(
        changed
            .draft(ReportKind::EarlyWarning, 1)
            .expect("drafted")
            .digest,
        d.digest
    );
}

#[test]
fn version_zero_and_blank_texts_are_refused() {
    let r = significant();
    assert!(matches!(
        r.draft(ReportKind::EarlyWarning, 0),
        Err(ReportError::BadVersion { .. })
    ));
    let mut r = significant();
    r.title = " ".into();
    assert_eq!(
        r.draft(ReportKind::EarlyWarning, 1).expect_err("blank"),
        ReportError::Blank {
            reference: "INC-2025-0042".into(),
            field: "title"
        }
    );
    let mut r = significant();
    r.reference = "".into();
    assert!(matches!(
        r.draft(ReportKind::EarlyWarning, 1),
        Err(ReportError::Blank {
            field: "reference",
            ..
        })
    ));
}

#[test]
fn a_submission_records_who_sent_which_version_to_whom() {
    let d = significant()
        .draft(ReportKind::IncidentNotification, 2)
        .expect("drafted");
    let s = d
        .submit(" j.doe ", at(11, 7), "CERT.at portal")
        .expect("submitted");
    assert_eq!(
        s,
        Submission {
            kind: ReportKind::IncidentNotification,
            version: 2,
            digest: d.digest.clone(),
            by: "j.doe".into(),
            at: at(11, 7),
            to: "CERT.at portal".into(),
        }
    );
    assert!(matches!(
        d.submit("", at(11, 7), "x"),
        Err(ReportError::Blank { field: "by", .. })
    ));
    let err = d.submit("j.doe", at(11, 7), " ").expect_err("to");
    assert_eq!(
        err.to_string(),
        "incident `INC-2025-0042`, field `to`: must not be empty"
    );
}

#[test]
fn drafts_and_records_round_trip_through_json() {
    let r = significant();
    let back: IncidentRecord =
        serde_json::from_str(&serde_json::to_string(&r).expect("ser")).expect("de");
    assert_eq!(back, r);
    let d = r.draft(ReportKind::EarlyWarning, 1).expect("drafted");
    let back: ReportDraft =
        serde_json::from_str(&serde_json::to_string(&d).expect("ser")).expect("de");
    assert_eq!(
        back.canonical_json().expect("enc"),
        d.canonical_json().expect("enc")
    );
    assert_eq!(ReportKind::ProgressReport.to_string(), "progress_report");
}
