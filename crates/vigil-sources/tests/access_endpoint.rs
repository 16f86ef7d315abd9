//! The access-control endpoint over real HTTP: Vigil's words and vendors'
//! words stored as Vigil's, unknown actions refused with the accepted ones
//! named, tokens checked, and reader heartbeats supervised — a missed
//! interval loses the reader's path and its next word restores it.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::TimeZone;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use vigil_estate::supervision::{SupervisionHandle, task};
use vigil_model::{Clock, ManualClock, SourceKind};
use vigil_sources::access::endpoint::{ACCESS_EVENTS_PATH, AccessEndpoint, expect_readers, router};
use vigil_sources::access::live::AccessConfig;
use vigil_store::{DeadLetterQuery, Store, TenantScope};

const TOKEN: &str = "access-token-0123456789";
const CAMERA_TOKEN: &str = "camera-token-0123456789";

async fn serve(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn access_events_in_any_words_are_stored_and_readers_supervised() {
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let (pipeline, store) = common::pipeline_with(clock.clone(), &[]).await;
    let binding = common::binding("acme-access", SourceKind::Http, "access");
    store
        .upsert_source(&binding, Some(Sha256::digest(TOKEN.as_bytes()).into()))
        .await
        .unwrap();
    let cameras = common::binding("acme-cams", SourceKind::OnvifPush, "onvif");
    store
        .upsert_source(
            &cameras,
            Some(Sha256::digest(CAMERA_TOKEN.as_bytes()).into()),
        )
        .await
        .unwrap();
    let config: AccessConfig =
        toml::from_str("heartbeat_secs = 300\n[[readers]]\nid = \"r-1\"\nheartbeat_secs = 60\n")
            .unwrap();
    let supervision = SupervisionHandle::new();
    expect_readers(&supervision, &binding, &config, clock.now());
    let addr = serve(router(AccessEndpoint {
        pipeline: pipeline.clone(),
        store: store.clone(),
        sources: HashMap::from([(binding.id.clone(), config)]),
        supervision: Some(supervision.clone()),
    }))
    .await;
    let url = format!("http://{addr}{ACCESS_EVENTS_PATH}");
    let http = reqwest::Client::new();
    let post = |token: Option<&'static str>, body: String| {
        let mut req = http.post(&url).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };

    let body = [
        r#"{"time":"2026-11-27T09:00:01Z","action":"access_denied","reason":"wrong_pin","door":"d-1","reader":"r-1","badge":"1001"}"#,
        r#"{"time":"2026-11-27T09:00:02Z","event":"Access Denied - Card Expired","door":"d-1","reader":"r-1","badge":"1002"}"#,
        r#"{"time":"2026-11-27T09:00:03Z","action":"Door Forced Open","door":"d-1"}"#,
        r#"{"action":"heartbeat","reader":"r-2"}"#,
        r#"{"time":"2026-11-27T09:00:04Z","action":"Firmware update","door":"d-1"}"#,
    ]
    .join("\n");
    let resp = post(Some(TOKEN), body).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let outcome: Value = resp.json().await.unwrap();
    assert_eq!(outcome["accepted"], 3, "{outcome}");
    assert_eq!(outcome["heartbeats"], 1, "{outcome}");
    assert_eq!(outcome["rejected"][0]["line"], 5, "{outcome}");
    let reason = outcome["rejected"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("`action` is `Firmware update`")
            && reason.contains("access_granted, access_denied"),
        "{reason}"
    );

    let events = common::events(&store).await;
    let action_of = |badge_or_door: &str| {
        events
            .iter()
            .filter(|e| {
                e.fields.get("badge").and_then(Value::as_str) == Some(badge_or_door)
                    || (e.fields.get("badge").is_none()
                        && e.fields.get("door").and_then(Value::as_str) == Some(badge_or_door))
            })
            .map(|e| {
                (
                    e.fields["action"].as_str().unwrap_or_default().to_owned(),
                    e.fields
                        .get("reason")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        action_of("1001"),
        vec![("access_denied".into(), Some("wrong_pin".into()))]
    );
    assert_eq!(
        action_of("1002"),
        vec![("access_denied".into(), Some("expired".into()))]
    );
    assert_eq!(action_of("d-1"), vec![("door_forced_open".into(), None)]);
    assert!(
        events
            .iter()
            .all(|e| e.class == vigil_model::EventClass::PhysicalAccess)
    );
    let dead = store
        .dead_letters(&DeadLetterQuery {
            scope: TenantScope::All,
            source: None,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(dead.items.len(), 1);
    assert!(
        dead.items[0].reason.contains("line 5"),
        "{}",
        dead.items[0].reason
    );

    // Tokens: none, unknown, and another kind of source's.
    assert_eq!(
        post(None, "{}".into()).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(Some("vgl_nobody"), "{}".into())
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(Some(CAMERA_TOKEN), "{}".into())
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    // Supervision: r-1 (60 s) was heard at t0, r-2 (the source's 300 s)
    // too. At t0 + 61 s r-1 is lost, r-2 is not.
    clock.set(t0 + chrono::Duration::seconds(61));
    let transitions = supervision.take_transitions(clock.now());
    assert_eq!(transitions.len(), 1, "{transitions:?}");
    assert_eq!(transitions[0].device().device, "r-1");
    task::record(&pipeline, &transitions).await;
    // r-1's heartbeat restores it; the system reporting r-2 offline loses it.
    clock.set(t0 + chrono::Duration::seconds(90));
    let resp = post(
        Some(TOKEN),
        "{\"action\":\"heartbeat\",\"reader\":\"r-1\"}\n{\"event\":\"Reader Offline\",\"reader\":\"r-2\",\"door\":\"d-2\"}".into(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let transitions = supervision.take_transitions(clock.now());
    task::record(&pipeline, &transitions).await;
    let events = common::events(&store).await;
    let status: Vec<(String, String)> = events
        .iter()
        .filter(|e| e.class == vigil_model::EventClass::DeviceStatus)
        .map(|e| {
            (
                e.fields["device"].as_str().unwrap_or_default().to_owned(),
                e.fields["action"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        status,
        vec![
            ("r-1".to_owned(), "transmission_path_lost".to_owned()),
            ("r-1".to_owned(), "transmission_path_restored".to_owned()),
            ("r-2".to_owned(), "transmission_path_lost".to_owned()),
        ]
    );
    let lost = events
        .iter()
        .find(|e| e.class == vigil_model::EventClass::DeviceStatus)
        .unwrap();
    assert_eq!(lost.fields["device_type"], "reader");
    assert!(
        events
            .iter()
            .any(|e| e.fields.get("action").and_then(Value::as_str) == Some("reader_offline")),
        "the system's own word is stored too"
    );
}
