//! The `relp` source configured as a node configures it, driven by a RELP
//! client written out byte by byte: a session is opened with offers,
//! messages are answered only once stored, a broken frame ends the session
//! after the messages before it are answered, an over-long message is a
//! dead letter (and answered, since that is stored), and the same works
//! over TLS. rsyslog's own `omrelp` drives it in `crates/vigil/tests/relp_e2e.rs`.

mod common;

use std::time::Duration;

use common::running::{section, start};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use vigil_store::Store;

const OPEN: &str =
    "relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog";

fn frame(txnr: u32, command: &str, data: &str) -> String {
    if data.is_empty() {
        format!("{txnr} {command} 0\n")
    } else {
        format!("{txnr} {command} {} {data}\n", data.len())
    }
}

fn message(n: usize) -> String {
    format!("<34>1 - ws1 sshd 1 - - Failed password for ann from 10.0.0.{n} port 22")
}

/// Reads exactly as many bytes as `expected` has (30 s at most) and
/// returns them as text.
async fn read_answer(stream: &mut (impl AsyncRead + Unpin), expected: &str) -> String {
    let mut got = vec![0u8; expected.len()];
    tokio::time::timeout(Duration::from_secs(30), stream.read_exact(&mut got))
        .await
        .expect("an answer within 30 s")
        .expect("the answer");
    String::from_utf8(got).expect("text")
}

/// Reads until the server closes (30 s at most); returns what came.
async fn read_to_end(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut got))
        .await
        .expect("closed within 30 s")
        .expect("read");
    String::from_utf8(got).expect("text")
}

fn open_answer() -> String {
    let offers = format!(
        "200 OK\nrelp_version=0\nrelp_software=vigil,{}\ncommands=syslog",
        env!("CARGO_PKG_VERSION")
    );
    format!("1 rsp {} {offers}\n", offers.len())
}

async fn session(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    store: &vigil_store::sqlite::SqliteStore,
) {
    stream
        .write_all(frame(1, "open", OPEN).as_bytes())
        .await
        .unwrap();
    let expected = open_answer();
    assert_eq!(read_answer(&mut stream, &expected).await, expected);

    // Three messages in one write: one batch, three answers in order.
    let batch: String = (2..=4)
        .map(|t| frame(t, "syslog", &message(t as usize)))
        .collect();
    stream.write_all(batch.as_bytes()).await.unwrap();
    let expected = "2 rsp 6 200 OK\n3 rsp 6 200 OK\n4 rsp 6 200 OK\n";
    assert_eq!(read_answer(&mut stream, expected).await, expected);
    // Answered means stored: no waiting here.
    let events = common::events(store).await;
    assert_eq!(events.len(), 3, "{events:?}");
    let text = serde_json::to_string(&events[1].fields).unwrap();
    assert!(text.contains("10.0.0.3"), "{text}");
    assert_eq!(events[0].source.kind.as_str(), "relp");

    stream
        .write_all(frame(5, "close", "").as_bytes())
        .await
        .unwrap();
    assert_eq!(read_to_end(&mut stream).await, "5 rsp 0\n0 serverclose 0\n");
}

#[tokio::test]
async fn messages_are_answered_once_stored_and_close_ends_the_session() {
    let node = start(&[section("acme-relp", "relp", "linux", "")]).await;
    let stream = TcpStream::connect(node.addr("acme-relp")).await.unwrap();
    session(stream, &node.store).await;
}

#[tokio::test]
async fn relp_over_tls_is_the_same_session() {
    let pki = common::pki::Pki::new();
    let node = start(&[section("acme-relp", "relp", "linux", &pki.table(false))]).await;
    let stream = pki.connect(node.addr("acme-relp"), None).await.unwrap();
    session(stream, &node.store).await;
}

#[tokio::test]
async fn a_broken_frame_ends_the_session_after_the_messages_before_it_are_answered() {
    let node = start(&[section("acme-relp", "relp", "linux", "")]).await;
    let mut stream = TcpStream::connect(node.addr("acme-relp")).await.unwrap();
    stream
        .write_all(frame(1, "open", OPEN).as_bytes())
        .await
        .unwrap();
    read_answer(&mut stream, &open_answer()).await;
    let mut bytes = frame(2, "syslog", &message(1));
    bytes.push_str("3 syslog 5 abcdefgh\n");
    stream.write_all(bytes.as_bytes()).await.unwrap();
    assert_eq!(
        read_to_end(&mut stream).await,
        "2 rsp 6 200 OK\n0 serverclose 0\n"
    );
    assert_eq!(common::events(&node.store).await.len(), 1);
}

#[tokio::test]
async fn messages_before_open_or_out_of_order_are_refused() {
    let node = start(&[section("acme-relp", "relp", "linux", "")]).await;
    let mut stream = TcpStream::connect(node.addr("acme-relp")).await.unwrap();
    stream
        .write_all(frame(1, "syslog", &message(1)).as_bytes())
        .await
        .unwrap();
    assert_eq!(
        read_to_end(&mut stream).await,
        "1 rsp 26 500 `syslog` before `open`\n0 serverclose 0\n"
    );

    let mut stream = TcpStream::connect(node.addr("acme-relp")).await.unwrap();
    stream
        .write_all(frame(1, "open", OPEN).as_bytes())
        .await
        .unwrap();
    read_answer(&mut stream, &open_answer()).await;
    stream
        .write_all(frame(7, "syslog", &message(1)).as_bytes())
        .await
        .unwrap();
    assert_eq!(read_to_end(&mut stream).await, "0 serverclose 0\n");
    assert!(common::events(&node.store).await.is_empty());
}

#[tokio::test]
async fn an_over_long_message_is_a_dead_letter_and_answered() {
    let node = start(&[section("acme-relp", "relp", "linux", "")]).await;
    let mut stream = TcpStream::connect(node.addr("acme-relp")).await.unwrap();
    stream
        .write_all(frame(1, "open", OPEN).as_bytes())
        .await
        .unwrap();
    read_answer(&mut stream, &open_answer()).await;
    // Above the syslog frame limit (64 KiB by default), within RELP's.
    let long = format!("<34>1 - ws1 app - - - {}", "x".repeat(70 * 1024));
    let mut bytes = frame(2, "syslog", &long);
    bytes.push_str(&frame(3, "syslog", &message(3)));
    stream.write_all(bytes.as_bytes()).await.unwrap();
    let expected = "2 rsp 6 200 OK\n3 rsp 6 200 OK\n";
    assert_eq!(read_answer(&mut stream, expected).await, expected);
    assert_eq!(common::events(&node.store).await.len(), 1);
    let dead = node
        .store
        .dead_letters(&vigil_store::DeadLetterQuery {
            scope: vigil_store::TenantScope::All,
            source: None,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap()
        .items;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(
        dead[0].reason.contains("transaction 2"),
        "{:?}",
        dead[0].reason
    );
    assert!(dead[0].reason.contains("longer than the limit of 65536"));
}
