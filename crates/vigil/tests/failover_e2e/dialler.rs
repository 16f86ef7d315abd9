//! The panels of the failover test: each sends SIA DC-09 frames one at a
//! time, as a panel does (the next only once the last was ACKed), to its
//! first node, and sends the same frame to the other node whenever it gets
//! a NAK or no answer.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use vigil_sources::dc09::Dc09Sender;
use vigil_sources::dc09::frame::{parse_envelope, parse_header};

/// The panels' accounts.
pub const ACCOUNTS: [&str; 2] = ["1001", "1002"];

/// The pause between a frame's ACK and the panel's next frame.
const PACE: Duration = Duration::from_millis(40);

/// What one panel sent.
pub struct Sent {
    /// Frames sent (each counted once, however often it was repeated).
    pub sent: u64,
    /// (account, sequence) of each frame answered ACK.
    pub acked: BTreeSet<(String, String)>,
    /// Answers other than ACK (NAK, DUH): sent again.
    pub refused: u64,
    /// Connections refused or lost before an answer: sent again.
    pub unanswered: u64,
    /// Answers neither ACK nor NAK: none is expected.
    pub unexpected: Vec<String>,
}

/// The answer's message type (`ACK`, `NAK`, `DUH`), or why there is none.
fn answer(stream: &mut TcpStream, frame: &[u8]) -> Result<String, String> {
    stream.write_all(frame).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 512];
    while !bytes.contains(&b'\r') {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    let start = bytes.iter().position(|b| *b == b'\n').unwrap_or(0);
    let end = bytes
        .iter()
        .position(|b| *b == b'\r')
        .unwrap_or(bytes.len() - 1);
    let envelope = parse_envelope(&bytes[start..=end]).map_err(|e| e.to_string())?;
    let (header, _) = parse_header(envelope.body).map_err(|e| e.to_string())?;
    Ok(header.token)
}

/// Dials as panel `account` until `stop`, preferring `ports[0]`.
pub fn dial(account: &str, ports: [u16; 2], stop: &AtomicBool) -> Sent {
    let sender = Dc09Sender::new(account);
    let mut rng = StdRng::from_os_rng();
    let mut out = Sent {
        sent: 0,
        acked: BTreeSet::new(),
        refused: 0,
        unanswered: 0,
        unexpected: Vec::new(),
    };
    let mut connections: [Option<TcpStream>; 2] = [None, None];
    let mut target = 0usize;
    let mut seq: u16 = 1;
    while !stop.load(Ordering::SeqCst) && seq < 10_000 {
        let frame = sender.frame(
            seq,
            "SIA-DCS",
            "Nri1/BA1",
            chrono::Utc::now(),
            false,
            &mut rng,
        );
        out.sent += 1;
        // A panel repeats a frame until it is ACKed.
        let given_up = Instant::now() + Duration::from_secs(120);
        loop {
            let slot = target % 2;
            if connections[slot].is_none() {
                connections[slot] = TcpStream::connect(("127.0.0.1", ports[slot]))
                    .and_then(|s| {
                        s.set_read_timeout(Some(Duration::from_secs(15)))?;
                        Ok(s)
                    })
                    .ok();
            }
            let got = match connections[slot].as_mut() {
                Some(stream) => answer(stream, &frame),
                None => Err("connection refused".into()),
            };
            match got {
                Ok(token) if token == "ACK" => {
                    out.acked
                        .insert((account.to_owned(), format!("{:04}", seq)));
                    break;
                }
                Ok(token) if token == "NAK" => out.refused += 1,
                Ok(token) => out.unexpected.push(token),
                Err(_) => {
                    out.unanswered += 1;
                    connections[slot] = None;
                }
            }
            if Instant::now() > given_up {
                break;
            }
            target += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
        seq += 1;
        // A busy panel, not a flood: the log must not fall minutes behind.
        std::thread::sleep(PACE);
    }
    out
}
