//! End to end: a shipper that resends every batch it got no answer for,
//! against a node killed with SIGKILL at random moments and started again
//! on the same data, ends with every event stored exactly once — batches
//! committed whose answer was lost in the crash add nothing when resent,
//! and `vigil_events_in_total` does not count a resent batch again.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Vigil, sha256_hex};
use rand::Rng;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

const ADMIN: &str = "vgl_resend_admin_token_0123456789";
const INGEST: &str = "vgl_resend_ingest_token_0123456789";
const BATCHES: usize = 400;
const PER_BATCH: usize = 10;
const KILLS: usize = 4;

fn write_config(dir: &std::path::Path) {
    let config = format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"
builtin_rules = false

[[tenants]]
id = "alpha"
name = "Alpha Water"

[[sources]]
id = "alpha-app"
tenant = "alpha"
kind = "http"
product = "app"
token_sha256 = "{ingest}"

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"
"#,
        ingest = sha256_hex(INGEST),
        admin = sha256_hex(ADMIN),
    );
    std::fs::write(dir.join("vigil.toml"), config).unwrap();
}

fn start(dir: &std::path::Path) -> (Vigil, String) {
    let mut vigil = Vigil::start(dir, &["serve", "--config", "vigil.toml"]);
    let line = vigil.wait_for_line("vigil serving on", Duration::from_secs(60));
    let base = line.split_whitespace().last().unwrap().to_owned();
    (vigil, base)
}

/// Batch `b`: events numbered `b * PER_BATCH ..`, with their own time.
fn body(b: usize, day: &str) -> String {
    (0..PER_BATCH)
        .map(|i| {
            let n = b * PER_BATCH + i;
            format!(
                r#"{{"time":"{day}T10:{:02}:{:02}Z","class":"authentication","n":{n}}}"#,
                (n / 60) % 60,
                n % 60
            ) + "\n"
        })
        .collect()
}

#[test]
fn every_event_is_stored_once_across_sigkills_and_resends() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let day = common::day();
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut answered = vec![false; BATCHES];
    let mut rng = rand::rng();
    let mut unanswered = 0usize;
    for round in 0..=KILLS {
        let (mut vigil, base) = start(dir.path());
        // SIGKILL at a random moment while batches are in flight (the
        // last round runs to the end): no shutdown, whatever was sent.
        let killer = (round < KILLS).then(|| {
            let pid = vigil.child.id().to_string();
            let delay = Duration::from_millis(rng.random_range(5..60));
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid])
                    .status();
            })
        });
        for (b, done) in answered.iter_mut().enumerate() {
            if *done {
                continue;
            }
            let sent = client
                .post(format!("{base}/api/v1/ingest"))
                .bearer_auth(INGEST)
                .body(body(b, &day))
                .send();
            match sent {
                Ok(r) if r.status() == StatusCode::OK => *done = true,
                Ok(r) => panic!("batch {b}: {}", r.status()),
                // The node is gone: this batch and the rest wait for the next round.
                Err(_) => {
                    unanswered += 1;
                    break;
                }
            }
        }
        if let Some(killer) = killer {
            killer.join().unwrap();
        }
        if round < KILLS {
            vigil.child.wait().unwrap();
        } else {
            assert!(
                answered.iter().all(|a| *a),
                "every batch answered at the end"
            );
            // Read every event back.
            let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
            let mut cursor: Option<String> = None;
            loop {
                let url = match &cursor {
                    Some(c) => format!("{base}/api/v1/events?limit=1000&cursor={c}"),
                    None => format!("{base}/api/v1/events?limit=1000"),
                };
                let page: Value = client
                    .get(url)
                    .bearer_auth(ADMIN)
                    .send()
                    .unwrap()
                    .json()
                    .unwrap();
                for e in page["items"].as_array().unwrap() {
                    *seen.entry(e["fields"]["n"].as_u64().unwrap()).or_default() += 1;
                }
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            let twice: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).collect();
            assert!(twice.is_empty(), "stored more than once: {twice:?}");
            assert_eq!(seen.len(), BATCHES * PER_BATCH, "every event stored");
            // A batch answered before, sent again: nothing stored, and the
            // event counter does not count it again; the resend counter does.
            let counter = |name: &str| -> u64 {
                let text = client
                    .get(format!("{base}/metrics"))
                    .bearer_auth(ADMIN)
                    .send()
                    .unwrap()
                    .text()
                    .unwrap();
                let prefix = format!(r#"{name}{{tenant="alpha",source="alpha-app"}} "#);
                text.lines()
                    .find_map(|l| l.strip_prefix(&prefix))
                    .map_or(0, |n| n.trim().parse().unwrap())
            };
            let (stored, resent) = (
                counter("vigil_events_in_total"),
                counter("vigil_events_resent_total"),
            );
            let again = client
                .post(format!("{base}/api/v1/ingest"))
                .bearer_auth(INGEST)
                .body(body(0, &day))
                .send()
                .unwrap();
            assert_eq!(again.status(), StatusCode::OK);
            assert_eq!(counter("vigil_events_in_total"), stored, "counted once");
            assert_eq!(
                counter("vigil_events_resent_total"),
                resent + PER_BATCH as u64,
                "the resend counted as such"
            );
            eprintln!(
                "{} events in {BATCHES} batches, {KILLS} SIGKILLs, {unanswered} sends unanswered and resent: each stored once",
                BATCHES * PER_BATCH
            );
        }
    }
}
