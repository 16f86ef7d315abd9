//! DC-09 over TLS, configured as a node configures it (`[sources.tls]` of a
//! `dc09_tcp` source, here with a CA, so panels must show a client
//! certificate it signed), with certificates made at test time: a Rust TLS
//! client sends a frame and reads its `ACK`, and the event is stored; a
//! client without a certificate, or in plaintext, is refused and stores
//! nothing.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::running::{section, start, wait_for_events};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vigil_sources::dc09::Dc09Sender;
use vigil_sources::dc09::frame::{parse_envelope, parse_header};

/// Reads one answer frame (LF … CR), 30 s at most.
async fn answer(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    tokio::time::timeout(Duration::from_secs(30), async {
        while got.last() != Some(&b'\r') {
            let n = stream.read(&mut byte).await.expect("an answer");
            assert!(n > 0, "the receiver closed without answering");
            got.push(byte[0]);
        }
    })
    .await
    .expect("an answer within 30 s");
    let envelope = parse_envelope(&got).expect("a well-formed answer");
    parse_header(envelope.body).expect("a header").0.token
}

#[tokio::test]
async fn a_panel_with_a_client_certificate_is_acknowledged_over_tls_and_others_are_refused() {
    let pki = common::pki::Pki::new();
    let tables = format!(
        "[dc09]\naccounts = [{{ account = \"1234\" }}]\n{}",
        pki.table(true)
    );
    let node = start(&[section("acme-arc", "dc09_tcp", "sia-dc09", &tables)]).await;
    let addr = node.addr("acme-arc");
    let mut rng = StdRng::seed_from_u64(5);
    let panel = Dc09Sender::new("1234");

    let mut tls = pki
        .connect(addr, Some(&pki.client))
        .await
        .expect("the panel's certificate is accepted");
    let frame = panel.frame(1, "SIA-DCS", "Nri1/BA3", Utc::now(), true, &mut rng);
    tls.write_all(&frame).await.unwrap();
    tls.flush().await.unwrap();
    assert_eq!(answer(&mut tls).await, "ACK");
    // The ACK came after the event was durable.
    assert_eq!(common::events(&node.store).await.len(), 1);
    let second = panel.frame(2, "SIA-DCS", "Nri1/BR3", Utc::now(), true, &mut rng);
    tls.write_all(&second).await.unwrap();
    assert_eq!(answer(&mut tls).await, "ACK");
    wait_for_events(&node.store, 2).await;
    tls.shutdown().await.unwrap();

    // Without a certificate, or with one another CA signed: refused in the
    // handshake (under TLS 1.3 the client learns it on its first read).
    for certificate in [None, Some(&pki.stranger)] {
        let frame = panel.frame(3, "SIA-DCS", "Nri1/BA4", Utc::now(), true, &mut rng);
        if let Ok(mut stream) = pki.connect(addr, certificate).await {
            let _ = stream.write_all(&frame).await;
            let _ = stream.flush().await;
            common::pki::closed_by_server(stream).await;
        }
    }
    let mut plain = TcpStream::connect(addr).await.unwrap();
    let frame = panel.frame(4, "SIA-DCS", "Nri1/BA5", Utc::now(), true, &mut rng);
    plain.write_all(&frame).await.unwrap();
    common::pki::closed_by_server(plain).await;
    assert_eq!(
        common::events(&node.store).await.len(),
        2,
        "a refused client's frame was stored"
    );
}
