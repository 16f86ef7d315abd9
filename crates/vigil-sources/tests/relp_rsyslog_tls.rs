//! RELP over TLS with rsyslog's own TLS: rsyslogd's `omrelp` with
//! `tls="on"` sends to a `relp` source with `[sources.tls]`, certificates
//! made at test time (a CA, the source's certificate for `localhost`, a
//! client certificate the CA signed and one another CA signed).
//!
//! librelp speaks TLS through GnuTLS (Debian's default, `tls.tlslib` unset)
//! or OpenSSL. With GnuTLS, omrelp offers certificate cipher suites only
//! when it has a certificate of its own (`tls.myCert`, `tls.myPrivKey`);
//! without one it offers anonymous Diffie-Hellman only (`+ANON-DH`), which
//! rustls does not implement (it authenticates every server), so the
//! handshake fails with "no shared cipher" on any certificate-based server
//! (the last test holds that). With OpenSSL, omrelp needs no certificate
//! of its own. Either way the source's certificate is checked by omrelp as
//! `tls.authMode` says (`name`: against `tls.permittedPeer`; `certvalid`:
//! the chain only), and with `ca` in `[sources.tls]` the source requires a
//! client certificate its CA signed.
//!
//! Needs rsyslogd with omrelp (Debian's `rsyslog` and `rsyslog-relp`);
//! without them the tests say they are skipped, and under `CI=true` fail.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::daemons::{self, Daemon};
use common::pki::Pki;
use common::running::{section, start, wait_for_events};
use serde_json::Value;

/// rsyslogd, when it can load omrelp (checked with `-N1`).
fn rsyslogd_with_omrelp() -> Option<PathBuf> {
    let binary = daemons::rsyslogd()?;
    let dir = tempfile::tempdir().expect("a temp dir");
    let conf = dir.path().join("check.conf");
    // A configuration without an action does not pass the check.
    std::fs::write(
        &conf,
        "module(load=\"omrelp\")\naction(type=\"omrelp\" target=\"127.0.0.1\" port=\"2514\")\n",
    )
    .expect("write check.conf");
    let check = Command::new(&binary)
        .args(["-N1", "-f"])
        .arg(&conf)
        .output()
        .expect("run rsyslogd -N1");
    if common::skip_unless(
        check.status.success(),
        "rsyslogd's omrelp module (Debian package rsyslog-relp)",
    ) {
        return None;
    }
    Some(binary)
}

/// What omrelp is given: which TLS library, its own certificate, how it
/// checks the source's.
struct Omrelp<'a> {
    tlslib: Option<&'a str>,
    certificate: Option<&'a (PathBuf, PathBuf)>,
    auth: &'a str,
}

/// The RainerScript for omrelp over TLS to `addr`, retried every second.
fn omrelp(addr: SocketAddr, ca: &Path, o: &Omrelp<'_>) -> String {
    let module = match o.tlslib {
        Some(lib) => format!("module(load=\"omrelp\" tls.tlslib=\"{lib}\")"),
        None => "module(load=\"omrelp\")".to_owned(),
    };
    let certificate = o
        .certificate
        .map(|(cert, key)| {
            format!(
                " tls.myCert=\"{}\" tls.myPrivKey=\"{}\"",
                cert.display(),
                key.display()
            )
        })
        .unwrap_or_default();
    format!(
        "{module}\n\
         action(type=\"omrelp\" target=\"{ip}\" port=\"{port}\" tls=\"on\" \
         tls.caCert=\"{ca}\"{certificate} {auth} \
         template=\"RSYSLOG_SyslogProtocol23Format\" \
         action.resumeRetryCount=\"-1\" action.resumeInterval=\"1\")",
        ip = addr.ip(),
        port = addr.port(),
        ca = ca.display(),
        auth = o.auth,
    )
}

/// Feeds three messages to `daemon` and waits for their events in `store`
/// (`before` already there); checks what omrelp put in them.
async fn three_messages_arrive(
    daemon: &mut Daemon,
    store: &vigil_store::sqlite::SqliteStore,
    before: usize,
) {
    for n in 1..=3 {
        daemon.log(&format!(
            "<34>sshd[42]: Failed password for ann from 10.0.0.{n} port 22"
        ));
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while common::events(store).await.len() < before + 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "omrelp's messages never arrived; rsyslogd's stderr:\n{}",
            daemon.stderr()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    wait_for_events(store, before + 3).await;
    let events = common::events(store).await;
    for n in 1..=3 {
        let text = format!("Failed password for ann from 10.0.0.{n} port 22");
        let event = events
            .iter()
            .find(|e| {
                e.fields
                    .get("message")
                    .and_then(Value::as_str)
                    .is_some_and(|m| m.trim() == text)
            })
            .unwrap_or_else(|| panic!("no event for {text}: {events:?}"));
        assert_eq!(event.source.kind.as_str(), "relp");
        assert_eq!(event.fields.get("app_name"), Some(&Value::from("sshd")));
        assert_eq!(event.fields.get("facility"), Some(&Value::from(4)));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn omrelp_over_gnutls_with_its_certificate_checking_the_source_s_name() {
    let Some(rsyslogd) = rsyslogd_with_omrelp() else {
        return;
    };
    let pki = Pki::new();
    let node = start(&[section("acme-relp", "relp", "linux", &pki.table(false))]).await;
    let mut daemon = daemons::start_rsyslogd(
        &rsyslogd,
        &omrelp(
            node.addr("acme-relp"),
            &pki.ca,
            &Omrelp {
                tlslib: None,
                certificate: Some(&pki.client),
                auth: "tls.authMode=\"name\" tls.permittedPeer=[\"localhost\"]",
            },
        ),
    );
    three_messages_arrive(&mut daemon, &node.store, 0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn omrelp_over_openssl_needs_no_certificate_of_its_own() {
    let Some(rsyslogd) = rsyslogd_with_omrelp() else {
        return;
    };
    let pki = Pki::new();
    let node = start(&[section("acme-relp", "relp", "linux", &pki.table(false))]).await;
    let mut daemon = daemons::start_rsyslogd(
        &rsyslogd,
        &omrelp(
            node.addr("acme-relp"),
            &pki.ca,
            &Omrelp {
                tlslib: Some("openssl"),
                certificate: None,
                auth: "tls.authMode=\"certvalid\"",
            },
        ),
    );
    three_messages_arrive(&mut daemon, &node.store, 0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_ca_the_source_serves_omrelp_with_a_certificate_it_signed_only() {
    let Some(rsyslogd) = rsyslogd_with_omrelp() else {
        return;
    };
    let pki = Pki::new();
    let node = start(&[section("acme-mtls", "relp", "linux", &pki.table(true))]).await;
    let addr = node.addr("acme-mtls");

    // A client certificate another CA signed: refused in the handshake,
    // which omrelp reports (and retries); nothing is stored.
    let mut stranger = daemons::start_rsyslogd(
        &rsyslogd,
        &omrelp(
            addr,
            &pki.ca,
            &Omrelp {
                tlslib: None,
                certificate: Some(&pki.stranger),
                auth: "tls.authMode=\"certvalid\"",
            },
        ),
    );
    stranger.log("<34>sshd[42]: from a stranger");
    stranger.wait_for_stderr("error opening connection to remote peer");
    drop(stranger);

    // Its own client certificate, with both TLS libraries.
    for tlslib in [None, Some("openssl")] {
        let before = common::events(&node.store).await.len();
        let mut daemon = daemons::start_rsyslogd(
            &rsyslogd,
            &omrelp(
                addr,
                &pki.ca,
                &Omrelp {
                    tlslib,
                    certificate: Some(&pki.client),
                    auth: "tls.authMode=\"certvalid\"",
                },
            ),
        );
        three_messages_arrive(&mut daemon, &node.store, before).await;
    }
    let events = common::events(&node.store).await;
    assert_eq!(
        events.len(),
        6,
        "the stranger's message was stored: {events:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn omrelp_over_gnutls_without_a_certificate_offers_only_anonymous_suites() {
    let Some(rsyslogd) = rsyslogd_with_omrelp() else {
        return;
    };
    let pki = Pki::new();
    let node = start(&[section("acme-relp", "relp", "linux", &pki.table(false))]).await;
    let mut daemon = daemons::start_rsyslogd(
        &rsyslogd,
        &omrelp(
            node.addr("acme-relp"),
            &pki.ca,
            &Omrelp {
                tlslib: None,
                certificate: None,
                auth: "tls.authMode=\"certvalid\"",
            },
        ),
    );
    daemon.log("<34>sshd[42]: anonymous");
    // rustls answers the anonymous-only hello with a fatal alert.
    daemon.wait_for_stderr("TLS handshake failed");
    assert!(common::events(&node.store).await.is_empty());
}
