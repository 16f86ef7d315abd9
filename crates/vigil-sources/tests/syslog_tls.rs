//! Syslog over TLS (RFC 5425), configured as a node configures it
//! (`[sources.tls]` of a `syslog_tcp` source), with certificates made at
//! test time: octet-counted messages over TLS are stored; a plaintext
//! client is refused; with `ca`, a client without a certificate signed by
//! it is refused during the handshake and one with such a certificate is
//! served. Frames not octet-counted (as RFC 5425 requires) are dead letters
//! saying why, counted, unless the source accepts them by `framing = "any"`.

mod common;

use common::running::{start, wait_for_events};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use vigil_sources::{Registry, SourceSection};
use vigil_store::sqlite::SqliteStore;

fn section(id: &str, kind: &str, tls: &str) -> SourceSection {
    common::running::section(id, kind, "linux", tls)
}

/// An RFC 5425 frame: the octet count, a space, the message.
fn frame(message: &str) -> Vec<u8> {
    format!("{} {message}", message.len()).into_bytes()
}

fn message(n: usize) -> String {
    format!("<34>1 - ws1 sshd 1 - - Failed password for ann from 10.0.0.{n} port 22")
}

async fn count(store: &SqliteStore) -> usize {
    common::events(store).await.len()
}

#[tokio::test]
async fn syslog_over_tls_is_stored_and_a_plaintext_client_is_refused() {
    let pki = common::pki::Pki::new();
    let node = start(&[section("acme-syslog", "syslog_tcp", &pki.table(false))]).await;
    let addr = node.addr("acme-syslog");

    let mut tls = pki.connect(addr, None).await.expect("a TLS handshake");
    for n in 1..=3 {
        tls.write_all(&frame(&message(n))).await.unwrap();
    }
    tls.flush().await.unwrap();
    wait_for_events(&node.store, 3).await;
    tls.shutdown().await.unwrap();
    let events = common::events(&node.store).await;
    assert!(
        events.iter().any(|e| serde_json::to_string(&e.fields)
            .unwrap()
            .contains("10.0.0.2")),
        "{events:?}"
    );

    // Plaintext on the TLS port: not a handshake, so nothing is read.
    let mut plain = TcpStream::connect(addr).await.unwrap();
    plain.write_all(&frame(&message(9))).await.unwrap();
    common::pki::closed_by_server(plain).await;
    assert_eq!(
        count(&node.store).await,
        3,
        "the plaintext message was stored"
    );
}

#[tokio::test]
async fn with_a_ca_only_clients_with_a_certificate_it_signed_are_served() {
    let pki = common::pki::Pki::new();
    let node = start(&[section("acme-mtls", "syslog_tcp", &pki.table(true))]).await;
    let addr = node.addr("acme-mtls");

    // No client certificate: refused in the handshake. Under TLS 1.3 the
    // client learns it on its first read.
    for certificate in [None, Some(&pki.stranger)] {
        match pki.connect(addr, certificate).await {
            Err(_) => {}
            Ok(mut stream) => {
                let _ = stream.write_all(&frame(&message(7))).await;
                let _ = stream.flush().await;
                common::pki::closed_by_server(stream).await;
            }
        }
    }
    assert_eq!(
        count(&node.store).await,
        0,
        "a refused client's message was stored"
    );

    let mut client = pki
        .connect(addr, Some(&pki.client))
        .await
        .expect("a client certificate the CA signed is accepted");
    client.write_all(&frame(&message(1))).await.unwrap();
    client.flush().await.unwrap();
    wait_for_events(&node.store, 1).await;
    client.shutdown().await.unwrap();
}

/// Whether a client showing `certificate` is served: its message stored
/// (`Some(true)`), or refused (`Some(false)`); the store is then expected to
/// hold `stored` events.
async fn served(
    pki: &common::pki::Pki,
    addr: std::net::SocketAddr,
    certificate: &(std::path::PathBuf, std::path::PathBuf),
    store: &SqliteStore,
    stored: usize,
) -> bool {
    match pki.connect(addr, Some(certificate)).await {
        Err(_) => false,
        Ok(mut stream) => {
            let sent = stream.write_all(&frame(&message(stored + 1))).await.is_ok()
                && stream.flush().await.is_ok();
            let _ = stream.shutdown().await;
            // The server closes a refused stream; a served one is read to
            // its end and stored before the connection closes.
            common::pki::closed_by_server(stream).await;
            sent && count(store).await > stored
        }
    }
}

#[tokio::test]
async fn a_replaced_ca_file_decides_from_the_next_handshakes_on() {
    let pki = common::pki::Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("clients-ca.crt");
    std::fs::copy(&pki.ca, &ca).unwrap();
    let table = format!(
        "[tls]\ncert = \"{}\"\nkey = \"{}\"\nca = \"{}\"\n",
        pki.server.0.display(),
        pki.server.1.display(),
        ca.display()
    );
    let node = start(&[section("acme-rotating", "syslog_tcp", &table)]).await;
    let addr = node.addr("acme-rotating");
    assert!(served(&pki, addr, &pki.client, &node.store, 0).await);
    assert!(!served(&pki, addr, &pki.stranger, &node.store, 1).await);

    // The clients' CA is replaced by the other one: within the reload
    // check (2 s), the stranger is let in and the former client refused.
    std::fs::copy(&pki.other_ca, &ca).unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !served(
        &pki,
        addr,
        &pki.stranger,
        &node.store,
        count(&node.store).await,
    )
    .await
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replaced CA was never used"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let stored = count(&node.store).await;
    assert!(!served(&pki, addr, &pki.client, &node.store, stored).await);
}

#[tokio::test]
async fn over_tls_a_frame_not_octet_counted_is_a_dead_letter_unless_the_source_accepts_any() {
    let pki = common::pki::Pki::new();
    let node = start(&[
        section("acme-strict", "syslog_tcp", &pki.table(false)),
        section(
            "acme-legacy",
            "syslog_tcp",
            &format!("{}[syslog]\nframing = \"any\"\n", pki.table(false)),
        ),
    ])
    .await;
    // One octet-counted frame between two line-ended ones (rsyslog's
    // `omfwd` default framing over TLS).
    let mut stream = frame(&message(1));
    stream.splice(0..0, format!("{}\n", message(2)).into_bytes());
    stream.extend_from_slice(format!("{}\n", message(3)).as_bytes());

    let mut tls = pki
        .connect(node.addr("acme-strict"), None)
        .await
        .expect("a TLS handshake");
    tls.write_all(&stream).await.unwrap();
    tls.shutdown().await.unwrap();
    common::pki::closed_by_server(tls).await;
    let dead = wait_for_dead_letters(&node.store, 2).await;
    let events = common::events(&node.store).await;
    assert_eq!(
        events.len(),
        1,
        "only the octet-counted frame is stored: {events:?}"
    );
    assert!(
        serde_json::to_string(&events[0].fields)
            .unwrap()
            .contains("10.0.0.1")
    );
    for (letter, n) in dead.iter().zip([2, 3]) {
        assert!(
            letter.reason.contains("not octet-counted")
                && letter.reason.contains("RFC 5425")
                && letter.reason.contains("framing = \"any\""),
            "{}",
            letter.reason
        );
        assert!(
            dead.iter()
                .any(|d| String::from_utf8_lossy(&d.raw).contains(&format!("10.0.0.{n}"))),
            "the refused frame is kept: {dead:?}"
        );
    }
    let metrics = node.pipeline.metrics().encode();
    assert!(
        metrics.contains(r#"vigil_dead_letters_total{tenant="acme",source="acme-strict"} 2"#),
        "{metrics}"
    );

    // The same bytes to a source that accepts line-ended frames.
    let mut tls = pki
        .connect(node.addr("acme-legacy"), None)
        .await
        .expect("a TLS handshake");
    tls.write_all(&stream).await.unwrap();
    tls.shutdown().await.unwrap();
    common::pki::closed_by_server(tls).await;
    wait_for_events(&node.store, 4).await;
    assert_eq!(wait_for_dead_letters(&node.store, 2).await.len(), 2);
}

/// Waits (30 s at most) until the store holds `n` dead letters; returns
/// them.
async fn wait_for_dead_letters(store: &SqliteStore, n: usize) -> Vec<vigil_model::DeadLetter> {
    use vigil_store::Store;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let dead = store
            .dead_letters(&vigil_store::DeadLetterQuery {
                scope: vigil_store::TenantScope::All,
                source: None,
                cursor: None,
                limit: 100,
            })
            .await
            .unwrap()
            .items;
        if dead.len() >= n {
            return dead;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} dead letters never arrived (have {})",
            dead.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[test]
fn tls_settings_that_cannot_work_are_refused_with_the_reason() {
    let pki = common::pki::Pki::new();
    let registry = Registry::built_in();
    let no_env = |_: &str| None;
    let error = |s: SourceSection| format!("{:#}", registry.configure(&s, &no_env).unwrap_err());

    let udp = error(section("u", "syslog_udp", &pki.table(false)));
    assert!(
        udp.contains("source `u`") && udp.contains("syslog_tcp"),
        "{udp}"
    );
    let half = error(section(
        "h",
        "syslog_tcp",
        &format!("[tls]\ncert = \"{}\"\n", pki.server.0.display()),
    ));
    assert!(half.contains("without `key`"), "{half}");
    let missing = error(section(
        "m",
        "syslog_tcp",
        &format!(
            "[tls]\ncert = \"{}\"\nkey = \"{}\"\nca = \"/nonexistent/ca.crt\"\n",
            pki.server.0.display(),
            pki.server.1.display()
        ),
    ));
    assert!(missing.contains("/nonexistent/ca.crt"), "{missing}");
    let stray = error(section("s", "syslog_tcp", "[tls]\ncertificate = \"x\"\n"));
    assert!(stray.contains("certificate"), "{stray}");
    let framing = error(section(
        "f",
        "syslog_tcp",
        "[syslog]\nframing = \"lines\"\n",
    ));
    assert!(
        framing.contains("lines") && framing.contains("octet-counting"),
        "{framing}"
    );
    let udp_framing = error(section("uf", "syslog_udp", "[syslog]\nframing = \"any\"\n"));
    assert!(udp_framing.contains("syslog_tcp"), "{udp_framing}");
}
