//! End to end: `vigil serve` with `[tls]` serves the API and console over
//! HTTPS only, marks the session cookie `Secure`, picks up a renewed
//! certificate without a restart, and refuses to start with a key that
//! does not belong to its certificate. Certificates are made by the test.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Vigil, eventually, sha256_hex};
use reqwest::StatusCode;
use reqwest::blocking::Client;

const ADMIN: &str = "vgl_tls_admin_token_0123456789";

/// A self-signed certificate for `localhost`: (certificate PEM, key PEM).
fn certificate() -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (made.cert.pem(), made.signing_key.serialize_pem())
}

/// Writes a file whole, as a certificate renewal tool does (write, rename).
fn replace(path: &Path, text: &str) {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text).unwrap();
    std::fs::rename(&partial, path).unwrap();
}

fn write_config(dir: &Path) {
    let config = format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"
builtin_rules = false

[tls]
cert = "tls/cert.pem"
key = "tls/key.pem"

[[tenants]]
id = "alpha"
name = "Alpha Water"

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"
"#,
        admin = sha256_hex(ADMIN),
    );
    std::fs::write(dir.join("vigil.toml"), config).unwrap();
}

/// A client that trusts only `cert_pem` and resolves `localhost` to the node.
fn client(cert_pem: &str) -> Client {
    Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[test]
fn the_api_is_served_over_https_with_a_secure_cookie_and_a_renewed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    std::fs::create_dir_all(&tls).unwrap();
    let (cert_a, key_a) = certificate();
    replace(&tls.join("cert.pem"), &cert_a);
    replace(&tls.join("key.pem"), &key_a);
    write_config(dir.path());
    let mut vigil = Vigil::start(dir.path(), &["serve", "--config", "vigil.toml"]);
    let line = vigil.wait_for_line("vigil serving on", Duration::from_secs(60));
    assert!(line.contains("https://"), "{line}");
    let port = line.rsplit(':').next().unwrap().trim().to_owned();
    let base = format!("https://localhost:{port}");

    let trusts_a = client(&cert_a);
    let r = trusts_a
        .get(format!("{base}/api/v1/session"))
        .bearer_auth(ADMIN)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The console's login sets a cookie the browser keeps to HTTPS.
    let r = trusts_a
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"token": ADMIN}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    // Plain HTTP on the same port gets no API.
    let plain = Client::new()
        .get(format!("http://127.0.0.1:{port}/api/v1/session"))
        .bearer_auth(ADMIN)
        .timeout(Duration::from_secs(5))
        .send();
    assert!(
        plain.map_or(true, |r| r.status() != StatusCode::OK),
        "plain HTTP was served"
    );

    // A renewed certificate is served from a later connection on.
    let (cert_b, key_b) = certificate();
    replace(&tls.join("key.pem"), &key_b);
    replace(&tls.join("cert.pem"), &cert_b);
    let trusts_b = client(&cert_b);
    eventually("the renewed certificate", Duration::from_secs(30), || {
        trusts_b
            .get(format!("{base}/api/v1/session"))
            .bearer_auth(ADMIN)
            .send()
            .ok()
            .filter(|r| r.status() == StatusCode::OK)
    });
    assert!(
        client(&cert_a)
            .get(format!("{base}/api/v1/session"))
            .send()
            .is_err(),
        "the old certificate is still served"
    );
}

#[test]
fn a_key_that_is_not_the_certificate_s_stops_the_node_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    std::fs::create_dir_all(&tls).unwrap();
    let (cert, _) = certificate();
    let (_, other_key) = certificate();
    replace(&tls.join("cert.pem"), &cert);
    replace(&tls.join("key.pem"), &other_key);
    write_config(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["serve", "--config", "vigil.toml"])
        .current_dir(dir.path())
        .env("VIGIL_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("TLS key") && stderr.contains("key.pem"),
        "{stderr}"
    );
}
