//! MQTT over TLS to the broker: the test starts a Mosquitto of its own on a
//! free port with a TLS listener made from certificates made at test time,
//! requiring client certificates; an `mqtt` source configured as a node
//! configures it (`mqtts://` and `[sources.tls]` with the CA and its client
//! certificate) subscribes, and a reading published over TLS by
//! `mosquitto_pub` is stored. Without the client certificate the broker
//! refuses the source and nothing is stored. The broker is ended whatever
//! the outcome.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::running::{section, start, wait_for_events};

/// The broker process, killed on drop.
struct Broker {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Mosquitto with one TLS listener requiring client certificates the
/// test CA signed; `None` (and the test skipped) when it is not
/// installed, unless `CI=true`.
async fn broker(pki: &common::pki::Pki) -> Option<Broker> {
    let installed = Command::new("mosquitto")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if common::skip_unless(installed, "mosquitto") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\n",
            pki.ca.display(),
            pki.server.0.display(),
            pki.server.1.display()
        ),
    )
    .unwrap();
    let child = Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto starts");
    let broker = Broker {
        child,
        port,
        _dir: dir,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "mosquitto did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(broker)
}

/// Publishes a retained reading over TLS with the client certificate, so
/// that the subscriber gets it whenever it subscribes.
fn publish(pki: &common::pki::Pki, port: u16, topic: &str, message: &str) {
    let path = |p: &Path| p.display().to_string();
    let out = Command::new("mosquitto_pub")
        .args(["-h", "localhost", "-p", &port.to_string()])
        .args(["--cafile", &path(&pki.ca)])
        .args([
            "--cert",
            &path(&pki.client.0),
            "--key",
            &path(&pki.client.1),
        ])
        .args(["-t", topic, "-m", message, "-q", "1", "-r"])
        .output()
        .expect("mosquitto_pub runs");
    assert!(
        out.status.success(),
        "mosquitto_pub: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mqtt_tables(port: u16, pki: &common::pki::Pki, client_certificate: bool) -> String {
    let mut tables = format!(
        "[mqtt]\nurl = \"mqtts://localhost:{port}\"\ntopics = [\"sensors/#\"]\n[tls]\nca = \"{}\"\n",
        pki.ca.display()
    );
    if client_certificate {
        tables.push_str(&format!(
            "cert = \"{}\"\nkey = \"{}\"\n",
            pki.client.0.display(),
            pki.client.1.display()
        ));
    }
    tables
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_arrive_over_tls_with_a_client_certificate() {
    let pki = common::pki::Pki::new();
    let Some(broker) = broker(&pki).await else {
        return;
    };
    publish(
        &pki,
        broker.port,
        "sensors/hall-1-temp-1",
        r#"{"metric": "temperature", "value": 21.5, "unit": "C"}"#,
    );
    let node = start(&[section(
        "acme-sensors",
        "mqtt",
        "sensors",
        &mqtt_tables(broker.port, &pki, true),
    )])
    .await;
    wait_for_events(&node.store, 1).await;
    let events = common::events(&node.store).await;
    assert_eq!(events[0].fields["metric"], "temperature", "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_client_certificate_the_source_is_refused_by_the_broker() {
    let pki = common::pki::Pki::new();
    let Some(broker) = broker(&pki).await else {
        return;
    };
    publish(
        &pki,
        broker.port,
        "sensors/hall-1-temp-2",
        r#"{"metric": "temperature", "value": 22.0, "unit": "C"}"#,
    );
    // Two sources on the same broker: only the one with a certificate is
    // let in, so once its copy of the retained reading is stored, the other
    // has had the same chance and stored nothing.
    let with = section(
        "acme-with",
        "mqtt",
        "sensors",
        &mqtt_tables(broker.port, &pki, true),
    );
    let without = section(
        "acme-without",
        "mqtt",
        "sensors",
        &mqtt_tables(broker.port, &pki, false),
    );
    let node = start(&[without, with]).await;
    wait_for_events(&node.store, 1).await;
    let events = common::events(&node.store).await;
    assert!(
        events.iter().all(|e| e.source.id.as_str() == "acme-with"),
        "{events:?}"
    );
}
