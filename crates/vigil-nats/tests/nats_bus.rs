//! Two buses on one NATS server, as two nodes would have them.
//!
//! Runs when `VIGIL_TEST_NATS_URL` names a NATS server; without it the test
//! says it is skipped, and fails under `CI=true`.

use std::time::Duration;

use vigil_model::{AlertId, Severity, TenantId};
use vigil_nats::{ConnectSettings, NatsBus, connect};
use vigil_store::{Bus, BusMessage};

fn nats_url() -> Option<String> {
    match std::env::var("VIGIL_TEST_NATS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("VIGIL_TEST_NATS_URL is not set but CI=true: the NATS tests must run")
        }
        _ => {
            println!("skipped: VIGIL_TEST_NATS_URL is not set");
            None
        }
    }
}

async fn bus(url: &str, node: &str) -> NatsBus {
    let client = connect(url, node, &ConnectSettings::default())
        .await
        .expect("connect to NATS");
    NatsBus::start(client, "vigil", node, 64)
        .await
        .expect("start bus")
}

#[tokio::test]
async fn a_message_published_on_one_node_reaches_the_other_and_its_own_subscribers_once() {
    let Some(url) = nats_url() else { return };
    // Node ids of their own, so that a parallel run's messages are told apart.
    let run = uuid::Uuid::now_v7().simple().to_string();
    let a = bus(&url, &format!("a-{run}")).await;
    let b = bus(&url, &format!("b-{run}")).await;
    let mut on_a = a.subscribe();
    let mut on_b = b.subscribe();

    let message = BusMessage::AlertRaised {
        id: AlertId(uuid::Uuid::now_v7()),
        tenant: TenantId::new("acme").unwrap(),
        severity: Severity::High,
        title: format!("raised on a ({run})"),
    };
    let sent = std::time::Instant::now();
    a.publish(message.clone());

    // The issue asks for a second; the wait is generous so that a loaded
    // machine does not fail it, and the latency is printed.
    let within = Duration::from_secs(10);
    let seen = async {
        loop {
            let got = on_b.recv().await.expect("b's subscription");
            if got == message {
                return got;
            }
        }
    };
    tokio::time::timeout(within, seen)
        .await
        .expect("b heard a's message");
    println!("b heard a's message after {:?}", sent.elapsed());

    assert_eq!(
        on_a.recv().await.unwrap(),
        message,
        "a hears its own at once"
    );
    // NATS hands a its own message back too; it must not be delivered again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(other) = on_a.try_recv() {
        assert_ne!(other, message, "a's own message was delivered twice");
    }
}
