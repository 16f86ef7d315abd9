//! Response actions as signed webhooks to a real local HTTP server, with
//! retries; escalation e-mail to a small real SMTP listener; escalation
//! timers on a manual clock, fired once even with two nodes.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Duration;
use common::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use vigil_desk::alarm::AlarmCommand;
use vigil_desk::config::{ClientConfig, Endpoint, SmtpConfig};
use vigil_desk::escalation::{ContactRole, EscalationLevel, EscalationPolicy, Recipient};
use vigil_desk::incident::{Category, NewIncident};
use vigil_desk::response::{Backoff, DeliveryStatus, ResponseAction, verify_webhook};
use vigil_desk::service::Desk;
use vigil_desk::{Actor, DeskConfig};
use vigil_model::{EntityKind, Severity};
use vigil_store::{DeskStore, Role, TenantScope};

const SECRET: &[u8] = b"northgate-shared-secret";

/// One request the receiver took: its signature header and its body.
type Delivered = (String, Vec<u8>);

#[derive(Default, Clone)]
struct Received {
    bodies: Arc<Mutex<Vec<Delivered>>>,
}

/// A receiver that refuses the first `fail` requests with 503.
async fn receiver(fail: usize) -> (String, Received) {
    let got = Received::default();
    let seen = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                let sig = headers
                    .get("x-vigil-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let mut b = seen.bodies.lock().unwrap();
                b.push((sig, body.to_vec()));
                if b.len() <= fail {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

/// A minimal SMTP server (RFC 5321 happy path) that keeps what it receives.
async fn smtp_listener() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let kept = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (r, mut w) = socket.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 test ESMTP\r\n").await.ok();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(buf) = data.as_mut() {
                        if line == "." {
                            kept.lock().unwrap().push(data.take().unwrap_or_default());
                            w.write_all(b"250 2.0.0 queued\r\n").await.ok();
                        } else {
                            buf.push_str(&line);
                            buf.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 test\r\n"
                    } else if upper.starts_with("DATA") {
                        data = Some(String::new());
                        b"354 go ahead\r\n"
                    } else if upper.starts_with("QUIT") {
                        w.write_all(b"221 bye\r\n").await.ok();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    w.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, mails)
}

fn client(url: &str, escalation: Option<EscalationPolicy>) -> ClientConfig {
    ClientConfig {
        tenant: tenant(A),
        tier: "gold".into(),
        endpoints: vec![Endpoint {
            name: "acs".into(),
            url: url.into(),
            secret_env: None,
            actions: vec!["disable_badge".into(), "lock_down_door".into()],
            secret: Some(SECRET.to_vec()),
        }],
        escalation,
    }
}

fn op() -> Actor {
    Actor::person("alice", Role::ProviderOperator, None)
}

#[tokio::test]
async fn a_response_action_is_signed_retried_and_recorded() {
    let (url, got) = receiver(2).await;
    let config = DeskConfig {
        clients: vec![client(&url, None)],
        delivery_backoff: Backoff {
            initial_secs: 10,
            max_secs: 60,
            max_attempts: 5,
        },
        ..Default::default()
    };
    let w = world(config).await;
    let incident = w
        .desk
        .open_incident(
            &op(),
            NewIncident {
                tenant: tenant(A),
                title: "Door forced".into(),
                severity: Severity::High,
                category: Category::Physical,
                sites: vec![],
                assets: vec![],
                alarms: vec![],
            },
        )
        .await
        .unwrap();
    let d = w
        .desk
        .respond(
            &op(),
            &incident.id,
            ResponseAction::LockDownDoor {
                door: "hall-a".into(),
            },
        )
        .await
        .unwrap();
    // Not configured for this action: refused with the reason.
    let err = w
        .desk
        .respond(
            &op(),
            &incident.id,
            ResponseAction::IsolateHost {
                host: "ws-1".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("no endpoint configured for isolate_host"),
        "{err}"
    );
    // A client viewer may not act.
    let viewer = Actor::person("v", Role::ClientViewer, Some(tenant(A)));
    assert!(
        w.desk
            .respond(
                &viewer,
                &incident.id,
                ResponseAction::LockDownDoor { door: "x".into() }
            )
            .await
            .is_err()
    );

    assert_eq!(
        w.desk.attempt_due_deliveries().await.unwrap(),
        1,
        "first attempt: 503"
    );
    assert_eq!(
        w.desk.attempt_due_deliveries().await.unwrap(),
        0,
        "the retry is not due yet"
    );
    w.clock.advance(Duration::seconds(10));
    assert_eq!(
        w.desk.attempt_due_deliveries().await.unwrap(),
        1,
        "second attempt: 503"
    );
    w.clock.advance(Duration::seconds(19));
    assert_eq!(
        w.desk.attempt_due_deliveries().await.unwrap(),
        0,
        "backoff doubled to 20 s"
    );
    w.clock.advance(Duration::seconds(1));
    assert_eq!(
        w.desk.attempt_due_deliveries().await.unwrap(),
        1,
        "third attempt: 200"
    );
    let list = w
        .desk
        .deliveries(&op(), Some(&incident.id), 10)
        .await
        .unwrap();
    let done = list.iter().find(|x| x.id == d.id).unwrap();
    assert_eq!(done.status, DeliveryStatus::Delivered);
    let codes: Vec<Option<u16>> = done.attempts.iter().map(|a| a.code).collect();
    assert_eq!(codes, [Some(503), Some(503), Some(200)]);
    // Every request the receiver saw is signed and verifies independently.
    let bodies = got.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 3);
    for (sig, body) in &bodies {
        assert!(
            verify_webhook(SECRET, sig, body, w.clock_now(), Duration::minutes(5)),
            "{sig}"
        );
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["action"]["type"], "lock_down_door");
    }
    // The request and each attempt are in the audit chain.
    let entries = w
        .store
        .audit_entries(&TenantScope::One(tenant(A)), None, 100)
        .await
        .unwrap();
    let n = |a: &str| entries.iter().filter(|e| e.action == a).count();
    assert_eq!((n("delivery.request"), n("delivery.attempt")), (1, 3));
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_gives_up_after_its_attempts() {
    let (url, _) = receiver(usize::MAX).await;
    let config = DeskConfig {
        clients: vec![client(&url, None)],
        delivery_backoff: Backoff {
            initial_secs: 1,
            max_secs: 1,
            max_attempts: 3,
        },
        ..Default::default()
    };
    let w = world(config).await;
    let incident = w
        .desk
        .open_incident(
            &op(),
            NewIncident {
                tenant: tenant(A),
                title: "Badge".into(),
                severity: Severity::High,
                category: Category::Physical,
                sites: vec![],
                assets: vec![],
                alarms: vec![],
            },
        )
        .await
        .unwrap();
    w.desk
        .respond(
            &op(),
            &incident.id,
            ResponseAction::DisableBadge {
                badge: "B-1".into(),
            },
        )
        .await
        .unwrap();
    for _ in 0..5 {
        w.desk.attempt_due_deliveries().await.unwrap();
        w.clock.advance(Duration::seconds(1));
    }
    let d = &w.desk.deliveries(&op(), None, 10).await.unwrap()[0];
    assert_eq!((d.status, d.attempts.len()), (DeliveryStatus::Failed, 3));
}

fn policy(with_webhook: bool) -> EscalationPolicy {
    let mut second = vec![Recipient {
        name: "client".into(),
        role: ContactRole::ClientContact,
        email: Some("soc@northgate.example".into()),
        webhook: None,
    }];
    if with_webhook {
        second.push(Recipient {
            name: "client-hook".into(),
            role: ContactRole::OnCall,
            email: None,
            webhook: Some("acs".into()),
        });
    }
    EscalationPolicy {
        min_severity: Severity::High,
        levels: vec![
            EscalationLevel {
                after_minutes: 5,
                notify: vec![Recipient {
                    name: "lead".into(),
                    role: ContactRole::ShiftLead,
                    email: Some("lead@provider.example".into()),
                    webhook: None,
                }],
            },
            EscalationLevel {
                after_minutes: 15,
                notify: second,
            },
        ],
    }
}

#[tokio::test]
async fn unacknowledged_alarms_escalate_level_by_level_by_email_and_webhook() {
    let (url, got) = receiver(0).await;
    let (port, mails) = smtp_listener().await;
    let config = DeskConfig {
        clients: vec![client(&url, Some(policy(true)))],
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            from: "vigil@provider.example".into(),
            starttls: false,
            username: None,
            password_env: None,
        }),
        ..Default::default()
    };
    let w = world(config).await;
    let a = raise(
        &w.store,
        A,
        "door-forced",
        Severity::Critical,
        EntityKind::Door,
        "d1",
        0,
    )
    .await;
    assert_eq!(w.desk.triage_once().await.unwrap().escalations, 1);
    assert_eq!(
        w.desk.fire_due_escalations().await.unwrap(),
        0,
        "not due yet"
    );
    w.clock.advance(Duration::minutes(5));
    assert_eq!(w.desk.fire_due_escalations().await.unwrap(), 1);
    assert_eq!(
        w.desk.fire_due_escalations().await.unwrap(),
        0,
        "a level fires once"
    );
    assert_eq!(w.desk.attempt_due_deliveries().await.unwrap(), 1);
    {
        let mails = mails.lock().unwrap();
        assert_eq!(mails.len(), 1);
        assert!(
            mails[0].contains("Subject: [Vigil] critical alarm unacknowledged for 5 min"),
            "{}",
            mails[0]
        );
        assert!(mails[0].contains("To: lead@provider.example"));
    }
    w.clock.advance(Duration::minutes(10));
    assert_eq!(w.desk.fire_due_escalations().await.unwrap(), 1);
    assert_eq!(w.desk.attempt_due_deliveries().await.unwrap(), 2);
    assert_eq!(mails.lock().unwrap().len(), 2);
    assert_eq!(got.bodies.lock().unwrap().len(), 1, "the webhook recipient");
    let delivered = w
        .desk
        .deliveries(&op(), Some(&a.id.to_string()), 10)
        .await
        .unwrap();
    assert_eq!(delivered.len(), 3);
    assert!(
        delivered
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered)
    );
    assert!(
        w.desk.escalations(&op()).await.unwrap().is_empty(),
        "every level has fired"
    );
}

#[tokio::test]
async fn acknowledging_stops_the_clock_and_two_nodes_fire_a_level_once() {
    let w = world(DeskConfig {
        clients: vec![client("http://127.0.0.1:9/none", Some(policy(false)))],
        ..Default::default()
    })
    .await;
    let acked = raise(
        &w.store,
        A,
        "door-forced",
        Severity::High,
        EntityKind::Door,
        "d1",
        0,
    )
    .await;
    raise(
        &w.store,
        A,
        "door-forced",
        Severity::High,
        EntityKind::Door,
        "d2",
        0,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    w.desk
        .alarm_command(&op(), acked.id, AlarmCommand::Acknowledge)
        .await
        .unwrap();
    assert_eq!(
        w.desk.escalations(&op()).await.unwrap().len(),
        1,
        "the acknowledged one stopped"
    );
    // A second node on the same store.
    let config = DeskConfig {
        clients: vec![client("http://127.0.0.1:9/none", Some(policy(false)))],
        ..Default::default()
    };
    let other = Desk::new(w.store.clone(), w.clock.clone(), config, None)
        .await
        .unwrap();
    w.clock.advance(Duration::minutes(6));
    let (x, y) = tokio::join!(w.desk.fire_due_escalations(), other.fire_due_escalations());
    assert_eq!(x.unwrap() + y.unwrap(), 1, "one level, fired once");
    let fired = w
        .store
        .audit_entries(&TenantScope::All, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "escalation.fire")
        .count();
    assert_eq!(fired, 1);
    // Without an SMTP relay the e-mail delivery records why it failed.
    w.desk.attempt_due_deliveries().await.unwrap();
    let d = &w.desk.deliveries(&op(), None, 10).await.unwrap()[0];
    assert!(
        d.attempts[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("no SMTP relay")
    );
}

trait ClockNow {
    fn clock_now(&self) -> vigil_model::Timestamp;
}

impl ClockNow for World {
    fn clock_now(&self) -> vigil_model::Timestamp {
        use vigil_model::Clock;
        self.clock.now()
    }
}
