//! The DC-09 receiver against diallers written outside this project, and
//! against hand-built broken frames: every frame answered as the protocol
//! says, nothing ACKed lost, the receiver still serving afterwards.
//!
//! The dialler is `dc09_spt` from the Python package index (plain frames),
//! and its author's Python 3 successor `my_dc09_spt` for encrypted ones:
//! `dc09_spt` 0.0.4 hands `str` to the AES library and cannot encrypt on
//! Python 3. Install: `pip install --no-deps dc09_spt && pip install
//! pycryptodome my_dc09_spt`. Without them the test says it is skipped
//! (and fails under `CI=true`).

mod common;

use std::process::Command;

use chrono::{Duration, Utc};
use rand::SeedableRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use vigil_model::SourceKind;
use vigil_sources::dc09::frame::{build_frame, parse_envelope, parse_header};
use vigil_sources::dc09::{
    Dc09Listener, Dc09Receiver, Dc09Sender, PanelAccount, PanelKey, TimeWindow, serve_tcp,
    serve_udp,
};
use vigil_store::{DeadLetterQuery, Store, TenantScope};

const KEY_128: &str = "000102030405060708090A0B0C0D0E0F";
const KEY_192: &str = "8E73B0F7DA0E6452C810F32B809079E562F8EAD2522C6B7B";
const KEY_256: &str = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";

const DIALLER: &str = r#"
import sys, json, logging
logging.disable(logging.CRITICAL)
host, tcp, udp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = {}

from dc09_spt import dc09_spt as plain_spt
from dc09_spt.comm.transpath import TransPath as PlainPath
from dc09_spt.msg.dc03_msg import dc03_msg
from dc09_spt.msg.dc05_msg import dc05_msg
from dc09_spt.msg.dc09_msg import dc09_msg as plain_msg

spt = plain_spt.dc09_spt('1234', receiver=1, line=1)
def plain(kind, port):
    return PlainPath(host, port, '1234', receiver=1, line=1, type=kind)
out['plain_sia_tcp'] = spt.transfer_msg(1, 'SIA-DCS', dc03_msg.dc03event('1234', {'code': 'BA', 'zone': '001', 'area': '1'}), plain('tcp', tcp))
out['plain_cid_udp'] = spt.transfer_msg(2, 'ADM-CID', dc05_msg.dc05event('1234', {'code': '130', 'q': '1', 'area': '1', 'zone': '3'}), plain('udp', udp))
out['poll_tcp'] = spt.transfer_msg(0, 'NULL', ']', plain('tcp', tcp))

# An account the receiver does not know: the answer itself, read by the dialler.
import socket
m = plain_msg('4321', None, 1, 1)
s = socket.create_connection((host, tcp), timeout=5)
s.send(m.dc09block(3, 'SIA-DCS', dc03_msg.dc03event('4321', {'code': 'BA', 'zone': '1'})).encode())
out['unknown_account'] = m.dc09answer(3, s.recv(512).decode())[0]
s.close()

from my_dc09_spt import dc09_spt as enc_spt
from my_dc09_spt.comm.transpath import TransPath as EncPath
from my_dc09_spt.msg.dc03_msg import dc03_msg as enc_dc03
from my_dc09_spt.msg.dc05_msg import dc05_msg as enc_dc05
k128 = bytes.fromhex(sys.argv[4]); k256 = bytes.fromhex(sys.argv[5])
e1 = enc_spt.dc09_spt('5678', receiver=1, line=1)
out['aes128_sia_tcp'] = e1.transfer_msg(4, 'SIA-DCS', enc_dc03.dc03event('5678', {'code': 'FA', 'zone': '129'}), EncPath(host, tcp, '5678', key=k128, receiver=1, line=1, type='tcp'))
e2 = enc_spt.dc09_spt('9012', receiver=2, line=7)
out['aes256_cid_udp'] = e2.transfer_msg(5, 'ADM-CID', enc_dc05.dc05event('9012', {'code': '121', 'q': '1', 'area': '2', 'user': '4'}), EncPath(host, udp, '9012', key=k256, receiver=2, line=7, type='udp'))
out['aes256_poll_tcp'] = e2.transfer_msg(0, 'NULL', ']', EncPath(host, tcp, '9012', key=k256, receiver=2, line=7, type='tcp'))
print(json.dumps(out))
"#;

fn dialler_available() -> bool {
    Command::new("python3")
        .args(["-c", "import dc09_spt.dc09_spt, my_dc09_spt.dc09_spt"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn receiver() -> Dc09Receiver {
    let mut plain = PanelAccount::new("1234");
    plain.zones.insert("1".into(), "lon1-perimeter".into());
    let mut a128 = PanelAccount::new("5678");
    a128.key = Some(PanelKey::from_hex(KEY_128).unwrap());
    let mut a256 = PanelAccount::new("9012");
    a256.key = Some(PanelKey::from_hex(KEY_256).unwrap());
    let mut a192 = PanelAccount::new("3456");
    a192.key = Some(PanelKey::from_hex(KEY_192).unwrap());
    Dc09Receiver::new([plain, a128, a256, a192], TimeWindow::default())
}

async fn exchange(stream: &mut TcpStream, frame: &[u8]) -> Vec<u8> {
    stream.write_all(frame).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let mut got = Vec::new();
    while !got.ends_with(b"\r") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("an answer within 5 s")
            .unwrap();
        assert!(n > 0, "the receiver closed the connection");
        got.extend_from_slice(&buf[..n]);
    }
    got
}

fn token(answer: &[u8]) -> String {
    let env = parse_envelope(answer).expect("a well-formed answer");
    parse_header(env.body).expect("a header").0.token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_diallers_and_broken_frames_are_answered_as_the_protocol_says() {
    let (pipeline, store) = common::pipeline().await;
    let dc09 = Dc09Listener::new(
        receiver(),
        common::binding("acme-arc", SourceKind::Dc09Tcp, "sia-dc09"),
        pipeline,
        None,
    );
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (tcp_port, udp_port) = (
        tcp.local_addr().unwrap().port(),
        udp.local_addr().unwrap().port(),
    );
    tokio::spawn(serve_tcp(tcp, dc09.clone()));
    tokio::spawn(serve_udp(udp, dc09));

    // Hand-built frames on one connection: each answered, and the
    // connection still serves the good frame after them.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut stream = TcpStream::connect(("127.0.0.1", tcp_port)).await.unwrap();
    let sender = Dc09Sender::new("1234");
    let mut bad_crc = sender.frame(10, "SIA-DCS", "NBA2", Utc::now(), false, &mut rng);
    bad_crc[1] = if bad_crc[1] == b'0' { b'1' } else { b'0' };
    let answer = exchange(&mut stream, &bad_crc).await;
    assert_eq!(token(&answer), "NAK");
    assert!(
        String::from_utf8_lossy(&answer).contains("]_"),
        "NAK carries the receiver's time"
    );
    let mut wrong_len = build_frame(b"\"SIA-DCS\"0011R1L1#1234[#1234|NBA2]");
    wrong_len[7] = b'F';
    assert_eq!(token(&exchange(&mut stream, &wrong_len).await), "NAK");
    let stale = sender.frame(
        12,
        "SIA-DCS",
        "NBA2",
        Utc::now() - Duration::minutes(5),
        true,
        &mut rng,
    );
    assert_eq!(token(&exchange(&mut stream, &stale).await), "NAK");
    let unknown = Dc09Sender::new("7777").frame(13, "SIA-DCS", "NBA2", Utc::now(), false, &mut rng);
    assert_eq!(token(&exchange(&mut stream, &unknown).await), "DUH");
    assert_eq!(
        token(&exchange(&mut stream, b"\nnot a frame at all\r").await),
        "NAK"
    );
    assert_eq!(token(&exchange(&mut stream, b"junk\r").await), "NAK");
    let good = sender.frame(14, "SIA-DCS", "NBA2", Utc::now(), true, &mut rng);
    let ack = exchange(&mut stream, &good).await;
    assert_eq!(token(&ack), "ACK");
    assert!(String::from_utf8_lossy(&ack).contains("\"ACK\"0014R1L1#1234[]"));
    let mut hand_acked = 1;

    // AES-192 (the diallers only do 128 and 256), over UDP.
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sealed = Dc09Sender::new("3456")
        .with_key(PanelKey::from_hex(KEY_192).unwrap())
        .frame(16, "SIA-DCS", "Nri1/PA007", Utc::now(), true, &mut rng);
    client
        .send_to(&sealed, ("127.0.0.1", udp_port))
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let (n, _) = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        client.recv_from(&mut buf),
    )
    .await
    .expect("an answer within 5 s")
    .unwrap();
    assert_eq!(token(&buf[..n]), "ACK");
    assert!(
        String::from_utf8_lossy(&buf[..n]).contains("\"*ACK\"0016R1L1#3456["),
        "an encrypted ACK"
    );
    hand_acked += 1;

    let mut dialled = 0;
    if !common::skip_unless(dialler_available(), "python3 with dc09_spt and my_dc09_spt") {
        let script = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(script.path(), DIALLER).unwrap();
        let path = script.path().to_path_buf();
        let output = tokio::task::spawn_blocking(move || {
            Command::new("python3")
                .arg(&path)
                .args([
                    "127.0.0.1",
                    &tcp_port.to_string(),
                    &udp_port.to_string(),
                    KEY_128,
                    KEY_256,
                ])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "dialler failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let results: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        for case in [
            "plain_sia_tcp",
            "plain_cid_udp",
            "poll_tcp",
            "aes128_sia_tcp",
            "aes256_cid_udp",
            "aes256_poll_tcp",
        ] {
            assert_eq!(results[case], true, "{case}: {results}");
        }
        assert_eq!(results["unknown_account"], "DUH");
        dialled = 4;
        // The server is still serving after all that.
        let again = sender.frame(15, "ADM-CID", "3401 01 002", Utc::now(), true, &mut rng);
        assert_eq!(token(&exchange(&mut stream, &again).await), "ACK");
        hand_acked += 1;
    }

    // Every ACKed event frame is in the store, once.
    let events = common::events(&store).await;
    assert_eq!(events.len(), hand_acked + dialled, "{events:#?}");
    if dialled > 0 {
        let by = |account: &str| {
            events
                .iter()
                .filter(|e| e.fields.get("account").and_then(|a| a.as_str()) == Some(account))
                .collect::<Vec<_>>()
        };
        let plain = by("1234");
        let f = |e: &vigil_model::Event, k: &str| {
            e.fields.get(k).and_then(|v| v.as_str()).map(str::to_owned)
        };
        assert!(
            plain
                .iter()
                .any(|e| f(e, "action").as_deref() == Some("burglary")
                    && f(e, "zone").as_deref() == Some("lon1-perimeter")),
            "{plain:#?}"
        );
        assert!(
            plain
                .iter()
                .any(|e| f(e, "event_code").as_deref() == Some("130")
                    && f(e, "code_scheme").as_deref() == Some("contact_id"))
        );
        let fire = &by("5678")[0];
        assert_eq!(
            (
                fire.fields["action"].as_str(),
                fire.fields["encrypted"].as_bool()
            ),
            (Some("fire"), Some(true))
        );
        let duress = &by("9012")[0];
        assert_eq!(duress.fields["action"], "duress");
        assert_eq!(
            (
                duress.fields["receiver"].as_str(),
                duress.fields["line"].as_str()
            ),
            (Some("2"), Some("7"))
        );
        assert_eq!(duress.fields["panel_user"], "004");
        let panic = &by("3456")[0];
        assert_eq!(
            (
                panic.fields["action"].as_str(),
                panic.fields["encrypted"].as_bool(),
                panic.fields["panel_zone"].as_str()
            ),
            (Some("panic"), Some(true), Some("007"))
        );
    }
    // And what was refused is kept for operators.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let letters = store
        .dead_letters(&DeadLetterQuery {
            scope: TenantScope::All,
            source: None,
            cursor: None,
            limit: 100,
        })
        .await
        .unwrap()
        .items;
    let reasons: Vec<&str> = letters.iter().map(|l| l.reason.as_str()).collect();
    for needle in [
        "CRC mismatch",
        "length mismatch",
        "behind the receiver's clock",
        "`7777` is not configured",
        "not a DC-09 frame",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(needle)),
            "{needle} not in {reasons:#?}"
        );
    }
}
