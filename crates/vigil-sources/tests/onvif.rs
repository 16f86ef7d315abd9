//! ONVIF: real-shaped `Notify` messages posted to the push endpoint, and
//! the PullPoint client against a small event service (axum, in the test)
//! that checks its WS-Security digests and hands out messages.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};
use vigil_model::SourceKind;
use vigil_sources::onvif::pullpoint::{
    Credentials, PullCamera, PullSettings, password_digest, subscription_cycle,
};
use vigil_sources::onvif::xml::parse;
use vigil_sources::onvif::{CameraPlace, CameraStates, OnvifPush};
use vigil_store::{DeadLetterQuery, Store, TenantScope};

const NOTIFY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa5="http://www.w3.org/2005/08/addressing"
 xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tns1="http://www.onvif.org/ver10/topics">
<SOAP-ENV:Header><wsa5:Action>http://docs.oasis-open.org/wsn/bw-2/NotificationConsumer/Notify</wsa5:Action></SOAP-ENV:Header>
<SOAP-ENV:Body><wsnt:Notify>
 <wsnt:NotificationMessage>
  <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:RuleEngine/TamperDetector/Tamper</wsnt:Topic>
  <wsnt:Message><tt:Message UtcTime="2026-11-27T02:14:05Z" PropertyOperation="Changed">
   <tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSourceToken"/><tt:SimpleItem Name="Rule" Value="TamperRule"/></tt:Source>
   <tt:Data><tt:SimpleItem Name="IsTamper" Value="true"/></tt:Data>
  </tt:Message></wsnt:Message>
 </wsnt:NotificationMessage>
 <wsnt:NotificationMessage>
  <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:VideoSource/SignalLoss</wsnt:Topic>
  <wsnt:Message><tt:Message UtcTime="2026-11-27T02:14:05Z" PropertyOperation="Initialized">
   <tt:Source><tt:SimpleItem Name="Source" Value="VideoSourceToken"/></tt:Source>
   <tt:Data><tt:SimpleItem Name="State" Value="false"/></tt:Data>
  </tt:Message></wsnt:Message>
 </wsnt:NotificationMessage>
 <wsnt:NotificationMessage>
  <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:RuleEngine/LineDetector/Crossed</wsnt:Topic>
  <wsnt:Message><tt:Message UtcTime="2026-11-27T02:14:06Z">
   <tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSourceToken"/><tt:SimpleItem Name="Rule" Value="Fence"/></tt:Source>
   <tt:Data><tt:SimpleItem Name="ObjectId" Value="17"/></tt:Data>
  </tt:Message></wsnt:Message>
 </wsnt:NotificationMessage>
</wsnt:Notify></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;

fn field<'a>(e: &'a vigil_model::Event, k: &str) -> Option<&'a str> {
    e.fields.get(k).and_then(|v| v.as_str())
}

async fn serve(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn pushed_notifications_become_events_once_and_bad_ones_dead_letters() {
    let (pipeline, store) = common::pipeline().await;
    let binding = common::binding("acme-cameras", SourceKind::OnvifPush, "onvif");
    let token = "camera-token-0123456789";
    store
        .upsert_source(&binding, Some(Sha256::digest(token.as_bytes()).into()))
        .await
        .unwrap();
    let mut places = HashMap::new();
    places.insert(
        "lon1-hall-1-cam".to_string(),
        CameraPlace {
            id: "lon1-hall-1-cam".into(),
            zone: Some("lon1-corridor".into()),
            covers_door: Some("lon1-hall-1".into()),
        },
    );
    let mut cameras = HashMap::new();
    cameras.insert(binding.id.clone(), places);
    let addr = serve(vigil_sources::onvif::router(OnvifPush {
        pipeline,
        store: store.clone(),
        cameras,
        heartbeats: HashMap::new(),
        supervision: None,
        states: Arc::new(Mutex::new(CameraStates::new())),
    }))
    .await;
    let http = reqwest::Client::new();
    let post = |path: String, body: &'static str| {
        http.post(format!("http://{addr}{path}"))
            .header("content-type", "application/soap+xml")
            .body(body)
            .send()
    };
    let ok = post(format!("/onvif/notify/{token}/lon1-hall-1-cam"), NOTIFY)
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let events = common::events(&store).await;
    assert_eq!(
        events.len(),
        2,
        "tamper and line crossing; a quiet Initialized state is no event"
    );
    let tamper = events
        .iter()
        .find(|e| field(e, "action") == Some("tamper"))
        .unwrap();
    assert_eq!(
        (
            field(tamper, "camera"),
            field(tamper, "covers_door"),
            field(tamper, "source_Rule")
        ),
        (
            Some("lon1-hall-1-cam"),
            Some("lon1-hall-1"),
            Some("TamperRule")
        )
    );
    assert_eq!(tamper.observed_at.to_rfc3339(), "2026-11-27T02:14:05+00:00");
    assert_eq!(
        tamper.tenant.as_str(),
        "acme",
        "the token's binding decides the tenant"
    );
    assert!(
        events
            .iter()
            .any(|e| field(e, "action") == Some("line_crossing")
                && field(e, "data_ObjectId") == Some("17"))
    );

    // The same Notify again (a camera retrying after a lost answer) is the
    // same events, stored once; the Initialized state it carries is still
    // known: nothing new from it either.
    assert_eq!(
        post(format!("/onvif/notify/{token}/lon1-hall-1-cam"), NOTIFY)
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(common::events(&store).await.len(), 2);

    let wrong = post("/onvif/notify/not-the-token/lon1-hall-1-cam".into(), NOTIFY)
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let bad = post(
        format!("/onvif/notify/{token}/lon1-hall-1-cam"),
        "<SOAP-ENV:Envelope",
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("Fault"));
    let letters = store
        .dead_letters(&DeadLetterQuery {
            scope: TenantScope::All,
            source: None,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap()
        .items;
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0]
            .reason
            .contains("ONVIF notify from camera `lon1-hall-1-cam`"),
        "{}",
        letters[0].reason
    );
    let bad_id = post(format!("/onvif/notify/{token}/bad%20id"), NOTIFY)
        .await
        .unwrap();
    assert_eq!(bad_id.status(), StatusCode::BAD_REQUEST);
}

/// A camera's event service: checks the digest of every request, hands
/// out one batch of messages, renews, and counts what it was asked.
#[derive(Clone, Default)]
struct Camera {
    password: String,
    port: Arc<AtomicUsize>,
    pulls: Arc<AtomicUsize>,
    renews: Arc<AtomicUsize>,
}

const NS_WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const NS_WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

fn authorised(body: &str, password: &str) -> bool {
    let Ok(doc) = parse(body) else { return false };
    let Some(token) = doc.find(NS_WSSE, "UsernameToken") else {
        return false;
    };
    let text = |ns: &str, n: &str| {
        token
            .find(ns, n)
            .map(|e| e.text.clone())
            .unwrap_or_default()
    };
    let nonce = B64.decode(text(NS_WSSE, "Nonce")).unwrap_or_default();
    text(NS_WSSE, "Username") == "vigil"
        && text(NS_WSSE, "Password") == password_digest(&nonce, &text(NS_WSU, "Created"), password)
}

fn envelope(body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tns1="http://www.onvif.org/ver10/topics"><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

async fn camera(State(cam): State<Camera>, body: String) -> (StatusCode, String) {
    if !authorised(&body, &cam.password) {
        return (
            StatusCode::BAD_REQUEST,
            envelope(
                "<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text>ter:NotAuthorized</s:Text></s:Reason></s:Fault>",
            ),
        );
    }
    let now = chrono::Utc::now();
    let t = |d: i64| {
        (now + chrono::Duration::seconds(d)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    if body.contains("CreatePullPointSubscription") {
        let port = cam.port.load(Ordering::Relaxed);
        return (
            StatusCode::OK,
            envelope(&format!(
                "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa:Address>http://127.0.0.1:{port}/onvif/subscription/1</wsa:Address></tev:SubscriptionReference><wsnt:CurrentTime>{}</wsnt:CurrentTime><wsnt:TerminationTime>{}</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>",
                t(0),
                t(10)
            )),
        );
    }
    if body.contains("<wsnt:Renew>") {
        cam.renews.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::OK,
            envelope(&format!(
                "<wsnt:RenewResponse><wsnt:TerminationTime>{}</wsnt:TerminationTime><wsnt:CurrentTime>{}</wsnt:CurrentTime></wsnt:RenewResponse>",
                t(60),
                t(0)
            )),
        );
    }
    let n = cam.pulls.fetch_add(1, Ordering::Relaxed);
    let messages = if n == 0 {
        r#"<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:VideoSource/SignalLoss</wsnt:Topic><wsnt:Message><tt:Message UtcTime="2026-11-27T02:14:05Z" PropertyOperation="Initialized"><tt:Source><tt:SimpleItem Name="Source" Value="vs0"/></tt:Source><tt:Data><tt:SimpleItem Name="State" Value="true"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>
           <wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:Device/HardwareFailure/StorageFailure</wsnt:Topic><wsnt:Message><tt:Message UtcTime="2026-11-27T02:14:07Z" PropertyOperation="Changed"><tt:Source><tt:SimpleItem Name="Token" Value="SD_DISK_20200422"/></tt:Source><tt:Data><tt:SimpleItem Name="Failed" Value="true"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>"#
    } else {
        // Nothing new: the camera holds the request for its timeout.
        tokio::time::sleep(StdDuration::from_millis(200)).await;
        ""
    };
    (
        StatusCode::OK,
        envelope(&format!(
            "<tev:PullMessagesResponse><tev:CurrentTime>{}</tev:CurrentTime><tev:TerminationTime>{}</tev:TerminationTime>{messages}</tev:PullMessagesResponse>",
            t(0),
            t(60)
        )),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pullpoint_client_subscribes_pulls_renews_and_signs_every_request() {
    let cam = Camera {
        password: "s3cret".into(),
        ..Default::default()
    };
    let app = Router::new()
        .route("/onvif/event_service", post(camera))
        .route("/onvif/subscription/1", post(camera))
        .with_state(cam.clone());
    let addr = serve(app).await;
    cam.port.store(addr.port() as usize, Ordering::Relaxed);
    let (pipeline, store) = common::pipeline().await;
    let binding = common::binding("acme-pull", SourceKind::OnvifPull, "onvif");
    let camera_at = |password: &str| PullCamera {
        place: CameraPlace {
            id: "ps-01-gate-cam".into(),
            zone: Some("ps-01-compound".into()),
            covers_door: None,
        },
        url: format!("http://{addr}/onvif/event_service"),
        credentials: Some(Credentials {
            username: "vigil".into(),
            password: password.into(),
        }),
    };
    let states = Arc::new(Mutex::new(CameraStates::new()));
    let puller = tokio::spawn(vigil_sources::onvif::pullpoint::run(
        binding.clone(),
        camera_at("s3cret"),
        pipeline.clone(),
        states.clone(),
        None,
        PullSettings::default(),
    ));
    let mut events = Vec::new();
    for _ in 0..50 {
        events = common::events(&store).await;
        if events.len() >= 2 && cam.pulls.load(Ordering::Relaxed) >= 3 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    puller.abort();
    assert_eq!(events.len(), 2, "{events:#?}");
    let lost = events
        .iter()
        .find(|e| field(e, "action") == Some("signal_loss"))
        .expect("the Initialized signal loss, unknown and on");
    assert_eq!(
        lost.fields.get("resync").and_then(|v| v.as_bool()),
        Some(true)
    );
    let storage = events
        .iter()
        .find(|e| field(e, "action") == Some("storage_failure"))
        .unwrap();
    assert_eq!(
        (field(storage, "class"), field(storage, "status")),
        (Some("device_status"), Some("fault"))
    );
    assert!(
        cam.renews.load(Ordering::Relaxed) >= 1,
        "a 10 s subscription is renewed before it runs out"
    );
    assert!(cam.pulls.load(Ordering::Relaxed) >= 3, "it keeps pulling");

    // The wrong password: the camera's fault ends the cycle with its reason.
    let http = reqwest::Client::new();
    let err = subscription_cycle(
        &http,
        &binding,
        &camera_at("wrong"),
        &pipeline,
        &states,
        None,
        PullSettings::default(),
    )
    .await;
    assert!(err.to_string().contains("NotAuthorized"), "{err}");
}
