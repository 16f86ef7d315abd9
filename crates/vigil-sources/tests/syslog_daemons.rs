//! The syslog daemons people run as real clients of a `syslog_tcp` source:
//! rsyslogd (`omfwd` over TCP, `TCP_Framing="octet-counted"`, the RFC 5424
//! template) and syslog-ng (its `syslog()` destination: RFC 5424,
//! octet-counted over TCP). Each is fed messages as `logger` writes them
//! and the events must arrive with the header fields the daemon put there.
//!
//! Needs rsyslogd (Debian's `rsyslog`) and syslog-ng (`VIGIL_TEST_SYSLOG_NG`;
//! `.ci/run` provides both); without them the tests say they are skipped,
//! and under `CI=true` they fail.

mod common;

use common::daemons::{self, Daemon};
use common::running::{section, start, wait_for_events};
use serde_json::Value;

/// Feeds three messages, waits for their events and checks their fields;
/// returns them.
async fn three_messages_arrive(
    daemon: &mut Daemon,
    store: &vigil_store::sqlite::SqliteStore,
) -> Vec<vigil_model::Event> {
    for n in 1..=3 {
        // <34>: facility auth (4), severity critical (2).
        daemon.log(&format!(
            "<34>sshd[42]: Failed password for ann from 10.0.0.{n} port 22"
        ));
    }
    wait_for_events(store, 3).await;
    let mut events = common::events(store).await;
    assert_eq!(events.len(), 3, "{events:?}");
    // Stored in one batch or several: put them in the order sent.
    events.sort_by_key(|e| {
        e.fields
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    for (n, event) in (1..=3).zip(&events) {
        // As a JSON object, a missing field reads as null (and fails the
        // comparison with the fields shown).
        let f = &Value::from(event.fields.clone());
        assert_eq!(event.source.kind.as_str(), "syslog_tcp");
        assert_eq!(f["app_name"], "sshd", "{f:?}");
        assert_eq!(f["procid"], "42", "{f:?}");
        assert_eq!(f["facility"], 4, "{f:?}");
        assert_eq!(f["severity"], 2, "{f:?}");
        assert!(
            f["hostname"].as_str().is_some_and(|h| !h.is_empty()),
            "{f:?}"
        );
        assert!(f["timestamp"].as_str().is_some(), "{f:?}");
        let message = f["message"].as_str().unwrap_or_default();
        assert_eq!(
            message.trim(),
            format!("Failed password for ann from 10.0.0.{n} port 22"),
            "{f:?}"
        );
    }
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn rsyslogd_forwards_rfc5424_octet_counted_over_tcp() {
    let Some(rsyslogd) = daemons::rsyslogd() else {
        return;
    };
    let node = start(&[section("acme-rsyslog", "syslog_tcp", "linux", "")]).await;
    let addr = node.addr("acme-rsyslog");
    let mut daemon = daemons::start_rsyslogd(
        &rsyslogd,
        &format!(
            "action(type=\"omfwd\" target=\"{}\" port=\"{}\" protocol=\"tcp\" \
             TCP_Framing=\"octet-counted\" template=\"RSYSLOG_SyslogProtocol23Format\")",
            addr.ip(),
            addr.port()
        ),
    );
    three_messages_arrive(&mut daemon, &node.store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn syslog_ng_sends_rfc5424_octet_counted_over_tcp() {
    let Some(syslog_ng) = daemons::syslog_ng() else {
        return;
    };
    let node = start(&[section("acme-syslog-ng", "syslog_tcp", "linux", "")]).await;
    let addr = node.addr("acme-syslog-ng");
    let mut daemon = daemons::start_syslog_ng(
        &syslog_ng,
        &format!(
            "syslog(\"{}\" transport(\"tcp\") port({}))",
            addr.ip(),
            addr.port()
        ),
    );
    let events = three_messages_arrive(&mut daemon, &node.store).await;
    // syslog-ng numbers what it sends in RFC 5424 structured data.
    let sequence: Vec<&str> = events
        .iter()
        .map(|e| {
            e.fields
                .get("sd.meta.sequenceId")
                .and_then(Value::as_str)
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(sequence, ["1", "2", "3"], "{events:?}");
}
