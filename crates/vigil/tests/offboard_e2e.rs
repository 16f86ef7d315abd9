//! End to end: `vigil tenant offboard` exports a client (files matching
//! their manifest), deletes everything it owns and nothing of the other
//! client, and writes a certificate `vigil tenant verify-certificate`
//! accepts and refuses once tampered with; refused, and nothing changed,
//! while a legal hold stands.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigil_desk::governance::HoldScope;
use vigil_desk::service::Desk;
use vigil_desk::{Actor, DeskConfig};
use vigil_model::{
    Alert, AlertStatus, DeadLetter, Entity, EntityKind, Event, EventClass, EventId, Severity, Site,
    SiteId, SourceBinding, SourceId, SourceKind, SourceRef, SystemClock, Tenant, TenantId,
    alert_id_for,
};
use vigil_store::audit::AuditSigner;
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{
    AlertDetection, AlertQuery, ApiToken, EventQuery, IngestBatch, Role, Store, TenantScope,
};

const A: &str = "northgate";
const B: &str = "riverside";

fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

fn vigil(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("VIGIL_LOG", "warn")
        .output()
        .expect("run vigil");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Two clients, each with a site, a source, a token, three events, an
/// alert over one of them and a dead letter.
async fn seed(store: &SqliteStore) {
    let now = chrono::Utc::now();
    for (n, id) in [A, B].into_iter().enumerate() {
        store
            .upsert_tenant(&Tenant {
                id: tenant(id),
                name: id.into(),
            })
            .await
            .unwrap();
        store
            .upsert_site(&Site {
                tenant: tenant(id),
                id: SiteId::new("hq").unwrap(),
                name: "HQ".into(),
                timezone: "UTC".into(),
            })
            .await
            .unwrap();
        let source = SourceId::new(&format!("{id}-fw")).unwrap();
        store
            .upsert_source(
                &SourceBinding {
                    id: source.clone(),
                    tenant: tenant(id),
                    site: None,
                    kind: SourceKind::Http,
                    product: "fw".into(),
                },
                Some([n as u8 + 1; 32]),
            )
            .await
            .unwrap();
        store
            .upsert_api_token(&ApiToken {
                name: format!("{id}-viewer"),
                role: Role::ClientViewer,
                tenant: Some(tenant(id)),
                hash: [n as u8 + 10; 32],
            })
            .await
            .unwrap();
        let events: Vec<Event> = (0..3u8)
            .map(|i| Event {
                id: EventId::new_at(now, [n as u8, i, 0, 0, 0, 0, 0, 0, 0, 1]),
                tenant: tenant(id),
                site: None,
                observed_at: now - chrono::Duration::minutes(i64::from(i)),
                received_at: now,
                source: SourceRef {
                    id: source.clone(),
                    kind: SourceKind::Http,
                    product: "fw".into(),
                    device: None,
                },
                class: EventClass::Authentication,
                severity: Severity::Low,
                entities: vec![Entity::new(EntityKind::User, "ann")],
                fields: Default::default(),
            })
            .collect();
        let alert = Alert {
            id: alert_id_for(&tenant(id), "r1", "user:ann", now),
            tenant: tenant(id),
            site: None,
            rule_id: "r1".into(),
            rule_title: "Rule".into(),
            severity: Severity::High,
            status: AlertStatus::New,
            group_key: "user:ann".into(),
            window_start: now,
            first_seen: now,
            last_seen: now,
            event_count: 1,
            entities: vec![],
            evidence: vec![],
            created_at: now,
            updated_at: now,
        };
        store
            .commit(IngestBatch {
                fingerprints: vec![1, 2, 3],
                detections: vec![AlertDetection {
                    alert,
                    evidence: vec![(events[0].id, 1, events[0].observed_at)],
                }],
                dead_letters: vec![DeadLetter {
                    id: 0,
                    tenant: tenant(id),
                    source,
                    received_at: now,
                    reason: "bad".into(),
                    raw: b"not json".to_vec(),
                }],
                events,
            })
            .await
            .unwrap();
    }
}

async fn counts(store: &SqliteStore, id: &str) -> (usize, usize, usize) {
    let scope = TenantScope::One(tenant(id));
    let events = store
        .events(&EventQuery {
            scope: scope.clone(),
            from: None,
            to: None,
            fields: vec![],
            cursor: None,
            limit: 100,
        })
        .await
        .unwrap()
        .items
        .len();
    let alerts = store
        .alerts(&AlertQuery::all_in(scope.clone(), 100))
        .await
        .unwrap()
        .items
        .len();
    let tenants = store.tenants(&scope).await.unwrap().len();
    (events, alerts, tenants)
}

fn sha256_file(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[tokio::test]
async fn offboarding_exports_deletes_certifies_and_respects_holds() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("export");
    let store =
        Arc::new(SqliteStore::open(&data.join("vigil.db"), SqliteOptions::default()).unwrap());
    seed(&store).await;
    let signer = AuditSigner::load_or_create(&data.join(AuditSigner::FILE_NAME)).unwrap();
    let desk = Desk::new(
        store.clone(),
        Arc::new(SystemClock),
        DeskConfig::default(),
        Some(signer),
    )
    .await
    .unwrap();
    let lead = Actor::person("lead", Role::ProviderLead, None);
    desk.place_legal_hold(&lead, &tenant(A), HoldScope::Tenant, "Matter 4711")
        .await
        .unwrap();
    let args = |t: &str| {
        vec![
            "tenant".to_string(),
            "offboard".into(),
            "--tenant".into(),
            t.into(),
            "--data".into(),
            data.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    let run = |t: &str| {
        let a = args(t);
        vigil(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };

    // Held: refused, naming the hold; nothing exported or deleted.
    let (ok, text) = run(A);
    assert!(
        !ok && text.contains("legal hold") && text.contains("Matter 4711"),
        "{text}"
    );
    assert!(!out.exists(), "nothing exported");
    assert_eq!(counts(&store, A).await, (3, 1, 1));
    let (ok, text) = run("nobody");
    assert!(!ok && text.contains("`nobody`"), "{text}");
    desk.lift_legal_hold(&lead, &tenant(A), HoldScope::Tenant)
        .await
        .unwrap();

    // The access review names the client's own tokens, not the other's.
    let (ok, text) = vigil(&[
        "tenant",
        "access-review",
        "--tenant",
        A,
        "--data",
        data.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{text}");
    let review: Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = review["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [format!("{A}-viewer")]);
    assert_eq!(review["holders"][0]["in_configuration"], Value::Null);

    let (ok, text) = run(A);
    assert!(ok, "{text}");

    // The client's data is gone; the other client's is all there.
    assert_eq!(counts(&store, A).await, (0, 0, 0));
    assert_eq!(counts(&store, B).await, (3, 1, 1));
    assert!(store.api_token(&[10; 32]).await.unwrap().is_none());
    assert!(store.api_token(&[11; 32]).await.unwrap().is_some());

    // The files match the manifest, and hold what the client owned.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    for file in manifest["files"].as_array().unwrap() {
        let name = file["file"].as_str().unwrap();
        assert_eq!(
            file["sha256"],
            json!(sha256_file(&out.join(name))),
            "{name}"
        );
    }
    let lines = |name: &str| {
        std::fs::read_to_string(out.join(name))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(lines("events.jsonl").len(), 3);
    assert!(lines("events.jsonl").iter().all(|e| e["tenant"] == A));
    assert_eq!(lines("alerts.jsonl").len(), 1);
    assert_eq!(lines("dead_letters.jsonl").len(), 1);
    assert!(
        lines("desk_records.jsonl").is_empty(),
        "the lifted hold went with its record"
    );

    // The certificate verifies (with the export), and names what went.
    let cert_path = out.join("deletion-certificate.json");
    let public = data.join("audit-signing.key.pub");
    let verify = |extra: &[&str]| {
        let mut a = vec![
            "tenant",
            "verify-certificate",
            cert_path.to_str().unwrap(),
            "--public-key",
            public.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        vigil(&a)
    };
    let (ok, text) = verify(&["--export", out.to_str().unwrap()]);
    assert!(ok, "{text}");
    let cert: Value = serde_json::from_slice(&std::fs::read(&cert_path).unwrap()).unwrap();
    assert_eq!(cert["deleted"]["events"], 3);
    assert_eq!(cert["deleted"]["alerts"], 1);
    assert_eq!(cert["purge"]["rows"]["tenants"], 1);

    // Tampered: an edited count, an edited export file.
    let original = std::fs::read_to_string(&cert_path).unwrap();
    std::fs::write(
        &cert_path,
        original.replacen("\"events\": 3", "\"events\": 2", 1),
    )
    .unwrap();
    let (ok, text) = verify(&[]);
    assert!(!ok && text.contains("altered"), "{text}");
    std::fs::write(&cert_path, &original).unwrap();
    std::fs::write(out.join("events.jsonl"), "{}\n").unwrap();
    let (ok, text) = verify(&["--export", out.to_str().unwrap()]);
    assert!(!ok && text.contains("events.jsonl"), "{text}");

    // Every step is on the record, and the chain still verifies.
    let (ok, text) = vigil(&["audit", "verify", "--data", data.to_str().unwrap()]);
    assert!(ok, "{text}");
    let actions: Vec<String> = vigil_store::DeskStore::audit_entries(
        store.as_ref(),
        &TenantScope::One(tenant(A)),
        None,
        100,
    )
    .await
    .unwrap()
    .into_iter()
    .map(|e| e.action)
    .collect();
    for action in [
        "offboard.delete",
        "offboard.purge",
        "legal_hold.lift",
        "access.review",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}
