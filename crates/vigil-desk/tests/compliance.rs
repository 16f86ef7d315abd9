//! Compliance evidence packs over a real store: the desk gathers a
//! client's facts (its sources and events, incidents, tokens, the audit
//! chain), makes the pack, records its digests in the audit chain under a
//! signed checkpoint, and an exported pack verifies against that record —
//! until one entry is changed, which the check names. Another client's
//! user is refused, and nothing is written.

use std::sync::Arc;

use chrono::Duration;
use serde_json::{Value, json};
use vigil_compliance::FrameworkId;
use vigil_compliance::evidence::logging::Retention;
use vigil_compliance::evidence::{AUDIT_ACTION, PackError, PeriodSpec, Status};
use vigil_desk::incident::{Category, IncidentCommand, IncidentState, NewIncident, ResolutionKind};
use vigil_desk::service::{
    ComplianceRequest, Desk, EvidenceSettings, VerifyPackError, verify_evidence_pack,
};
use vigil_desk::{Actor, DeskConfig, DeskError};
use vigil_model::{
    Event, EventClass, EventId, ManualClock, Severity, SourceBinding, SourceId, SourceKind,
    SourceRef, Tenant, TenantId, Timestamp,
};
use vigil_store::audit::AuditSigner;
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{ApiToken, DeskStore, IngestBatch, Role, Store, TenantScope};

const A: &str = "northgate";
const B: &str = "riverside";

fn tenant(id: &str) -> TenantId {
    TenantId::new(id).expect("tenant id")
}

struct World {
    store: Arc<SqliteStore>,
    desk: Desk,
    signer_key: [u8; 32],
    now: Timestamp,
}

fn token(name: &str, role: Role, t: Option<&str>) -> ApiToken {
    ApiToken {
        name: name.into(),
        role,
        tenant: t.map(tenant),
        hash: vigil_store::token::hash_token(&format!("vigil_{name}")),
    }
}

async fn event(store: &SqliteStore, t: &str, source: &str, at: Timestamp, n: u8) {
    let e = Event {
        id: EventId::new_at(at, [n; 10]),
        tenant: tenant(t),
        site: None,
        observed_at: at,
        received_at: at,
        source: SourceRef {
            id: SourceId::new(source).expect("source id"),
            kind: SourceKind::Http,
            product: "vigil".into(),
            device: None,
        },
        class: EventClass::Authentication,
        severity: Severity::Low,
        entities: vec![],
        fields: Default::default(),
    };
    store
        .commit(IngestBatch {
            events: vec![e],
            fingerprints: vec![u64::from(n)],
            ..Default::default()
        })
        .await
        .expect("commit");
}

/// Two clients; northgate has two sources (`fw` delivers, `dc` is
/// silent), riverside one; three tokens; the clock at now.
async fn world() -> World {
    let now = chrono::Utc::now();
    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).expect("store"));
    for (id, sources) in [(A, vec!["ng-fw", "ng-dc"]), (B, vec!["rs-fw"])] {
        store
            .upsert_tenant(&Tenant {
                id: tenant(id),
                name: format!("{id} Ltd"),
            })
            .await
            .expect("tenant");
        for s in sources {
            store
                .upsert_source(
                    &SourceBinding {
                        id: SourceId::new(s).expect("source id"),
                        tenant: tenant(id),
                        site: None,
                        kind: SourceKind::Http,
                        product: "vigil".into(),
                    },
                    None,
                )
                .await
                .expect("source");
        }
    }
    event(&store, A, "ng-fw", now - Duration::days(2), 1).await;
    event(&store, A, "ng-fw", now - Duration::days(1), 2).await;
    event(&store, B, "rs-fw", now - Duration::days(1), 3).await;
    let tokens = vec![
        token("alice", Role::ProviderOperator, None),
        token("lead", Role::ProviderLead, None),
        token("ng-viewer", Role::ClientViewer, Some(A)),
        token("rs-viewer", Role::ClientViewer, Some(B)),
    ];
    for t in &tokens {
        store.upsert_api_token(t).await.expect("token");
    }
    let clock = Arc::new(ManualClock::new(now - Duration::days(3)));
    let signer = AuditSigner::from_secret([9; 32]);
    let signer_key = signer.public_key();
    let desk = Desk::new(
        store.clone(),
        clock.clone(),
        DeskConfig::default(),
        Some(signer),
    )
    .await
    .expect("desk");
    desk.set_evidence_settings(EvidenceSettings {
        retention: Retention::Days(90),
        tokens: Some(tokens),
    });
    // An incident handled three days ago: triaged, closed with lessons.
    let alice = Actor::person("alice", Role::ProviderOperator, None);
    let lead = Actor::person("lead", Role::ProviderLead, None);
    let inc = desk
        .open_incident(
            &alice,
            NewIncident {
                tenant: tenant(A),
                title: "Brute force on VPN".into(),
                severity: Severity::High,
                category: Category::Cyber,
                sites: vec![],
                assets: vec![],
                alarms: vec![],
            },
        )
        .await
        .expect("open");
    clock.advance(Duration::minutes(4));
    for to in [
        IncidentState::Triaged,
        IncidentState::Contained,
        IncidentState::Eradicated,
        IncidentState::Recovered,
    ] {
        desk.incident_command(&alice, &inc.id, IncidentCommand::Advance { to })
            .await
            .expect("advance");
        clock.advance(Duration::minutes(10));
    }
    clock.advance(Duration::hours(2));
    desk.incident_command(
        &lead,
        &inc.id,
        IncidentCommand::Close {
            resolution: ResolutionKind::Resolved,
            summary: "Blocked the source addresses".into(),
            lessons_learned: "Rate-limit VPN logins".into(),
        },
    )
    .await
    .expect("close");
    clock.set(now);
    World {
        store,
        desk,
        signer_key,
        now,
    }
}

fn last_week(w: &World) -> PeriodSpec {
    PeriodSpec::parse(&format!(
        "{}..{}",
        (w.now - Duration::days(7)).to_rfc3339(),
        w.now.to_rfc3339()
    ))
    .expect("period")
}

async fn audit_len(store: &SqliteStore) -> usize {
    store
        .audit_entries(&TenantScope::All, None, 10_000)
        .await
        .expect("audit")
        .len()
}

#[tokio::test]
async fn a_pack_shows_the_client_s_evidence_and_is_recorded_under_a_checkpoint() {
    let w = world().await;
    let alice = Actor::person("alice", Role::ProviderOperator, None);
    let pack = w
        .desk
        .compliance_report(
            &alice,
            &ComplianceRequest {
                tenant: tenant(A),
                framework: FrameworkId::Iso27001,
                period: last_week(&w),
            },
            None,
        )
        .await
        .expect("pack");
    assert_eq!(pack.tenant, A);
    assert_eq!(pack.client, "northgate Ltd");
    let entry = |id: &str| pack.entry(id).unwrap_or_else(|| panic!("{id}"));
    let sources = entry("logging.sources");
    assert_eq!(sources.status, Status::Partially, "{}", sources.finding);
    assert_eq!(sources.data["silent_sources"], json!(["ng-dc"]));
    assert_eq!(
        sources.data["events_stored"],
        json!(2),
        "riverside's event is not counted"
    );
    assert_eq!(entry("logging.retention").status, Status::Evidenced);
    assert_eq!(entry("incidents.handled").status, Status::Evidenced);
    assert_eq!(
        entry("incidents.handled").data["incidents"][0]["triage_secs"],
        json!(240)
    );
    assert_eq!(entry("incidents.lessons").status, Status::Evidenced);
    let rights = entry("access.rights");
    assert_eq!(rights.status, Status::Evidenced, "{}", rights.finding);
    let names: Vec<&str> = rights.data["holders"]
        .as_array()
        .expect("holders")
        .iter()
        .filter_map(|h| h["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["alice", "lead", "ng-viewer"],
        "no other client's user"
    );
    assert_eq!(
        rights.data["holders"][0]["last_action"],
        json!("incident.advance")
    );
    let integrity = entry("audit.integrity");
    assert_eq!(integrity.status, Status::Partially, "{}", integrity.finding);

    // Recorded: the entry holds the digests, and a checkpoint covers it.
    let record = pack.record.clone().expect("recorded");
    assert_eq!(record.tree_size, Some(record.seq));
    let entries = w
        .store
        .audit_entries(&TenantScope::One(tenant(A)), None, 1)
        .await
        .expect("audit");
    let e = &entries[0];
    assert_eq!((e.seq, e.action.as_str()), (record.seq, AUDIT_ACTION));
    assert_eq!(e.actor, "alice");
    assert_eq!(e.after.map(hex::encode), Some(pack.digest.clone()));
    let detail: Value = serde_json::from_str(&e.detail).expect("detail");
    assert_eq!(detail["entries"]["logging.sources"], json!(sources.digest));

    // A second pack, now that a checkpoint exists, finds the chain signed.
    let again = w
        .desk
        .compliance_report(
            &alice,
            &ComplianceRequest {
                tenant: tenant(A),
                framework: FrameworkId::Nis2,
                period: last_week(&w),
            },
            None,
        )
        .await
        .expect("pack");
    assert_eq!(again.controls.len(), 10);
    let integrity = again.entry("audit.integrity").expect("integrity");
    assert_eq!(integrity.status, Status::Evidenced, "{}", integrity.finding);
}

#[tokio::test]
async fn an_exported_pack_verifies_and_a_changed_entry_is_named() {
    let w = world().await;
    let alice = Actor::person("alice", Role::ProviderOperator, None);
    let pack = w
        .desk
        .compliance_report(
            &alice,
            &ComplianceRequest {
                tenant: tenant(A),
                framework: FrameworkId::Iso27001,
                period: last_week(&w),
            },
            None,
        )
        .await
        .expect("pack");
    let exported = serde_json::to_value(&pack).expect("json");
    let store: &dyn DeskStore = w.store.as_ref();
    let ok = verify_evidence_pack(store, &exported, Some(&w.signer_key))
        .await
        .expect("verifies");
    assert_eq!(ok.seq, pack.record.as_ref().expect("record").seq);
    assert_eq!(ok.entries, pack.entries.len());

    let i = pack
        .entries
        .iter()
        .position(|e| e.id == "access.rights")
        .expect("entry");
    let mut tampered = exported.clone();
    tampered["entries"][i]["data"]["holders"][2]["role"] = json!("client_admin");
    let err = verify_evidence_pack(store, &tampered, Some(&w.signer_key))
        .await
        .expect_err("tampered");
    assert!(
        matches!(&err, VerifyPackError::Pack(PackError::EntryChanged { entry, .. }) if entry == "access.rights"),
        "{err}"
    );
    assert!(err.to_string().contains("`access.rights`"), "{err}");

    // Signed by another key: the checkpoint is not trusted.
    let err = verify_evidence_pack(store, &exported, Some(&[7; 32]))
        .await
        .expect_err("untrusted key");
    assert!(matches!(err, VerifyPackError::Export(_)), "{err}");
}

#[tokio::test]
async fn another_client_s_user_is_refused_and_nothing_is_written() {
    let w = world().await;
    let before = audit_len(&w.store).await;
    let outsider = Actor::person("rs-viewer", Role::ClientViewer, Some(tenant(B)));
    let err = w
        .desk
        .compliance_report(
            &outsider,
            &ComplianceRequest {
                tenant: tenant(A),
                framework: FrameworkId::Iso27001,
                period: last_week(&w),
            },
            None,
        )
        .await
        .expect_err("refused");
    assert!(matches!(err, DeskError::Forbidden { .. }), "{err}");
    let backwards = PeriodSpec::parse(&format!(
        "{}..{}",
        w.now.date_naive(),
        (w.now - Duration::days(3)).date_naive()
    ))
    .expect("parses");
    let err = w
        .desk
        .compliance_report(
            &Actor::person("alice", Role::ProviderOperator, None),
            &ComplianceRequest {
                tenant: tenant(A),
                framework: FrameworkId::Iso27001,
                period: backwards,
            },
            None,
        )
        .await
        .expect_err("empty period");
    assert!(err.to_string().contains("must come after"), "{err}");
    assert_eq!(audit_len(&w.store).await, before, "nothing recorded");
}

#[tokio::test]
async fn the_pdf_opens_and_carries_the_controls_and_the_digest() {
    use vigil_desk::reporting::render::{EvidenceFormat, evidence_file_name, render_evidence};
    let w = world().await;
    let pack = w
        .desk
        .compliance_report(
            &Actor::person("alice", Role::ProviderOperator, None),
            &ComplianceRequest {
                tenant: tenant(A),
                framework: FrameworkId::Nis2,
                period: last_week(&w),
            },
            None,
        )
        .await
        .expect("pack");
    assert!(evidence_file_name(&pack, EvidenceFormat::Pdf).starts_with("evidence-nis2-northgate-"));
    assert_eq!(
        "docx"
            .parse::<EvidenceFormat>()
            .expect_err("no docx")
            .to_string(),
        "format `docx` is not one of json, pdf"
    );
    let pdf = render_evidence(&pack, EvidenceFormat::Pdf).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("pack.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let out = match std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: pdftotext (Debian's poppler-utils) is not installed: {e}");
            return;
        }
        Err(e) => panic!("pdftotext (poppler-utils) is needed under CI: {e}"),
    };
    assert!(
        out.status.success(),
        "pdftotext refused the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Compliance evidence pack"), "{text}");
    assert!(text.contains("northgate Ltd"), "{text}");
    assert!(text.contains("21(2)(b)"), "{text}");
    assert!(
        text.contains(&pack.digest),
        "the digest is printed whole: {text}"
    );
    assert!(text.contains("page 1 of"), "{text}");
}
