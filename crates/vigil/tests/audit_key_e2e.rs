//! End to end: the audit signing key apart from the data folder. A key is
//! made with `vigil audit key new`, checkpoints are signed with it from a
//! file and then, after a rotation, with a new key from an environment
//! variable; `vigil audit verify` reports which key signed each checkpoint,
//! verifies both with both keys trusted (given, or from vigil.toml), and
//! refuses the old checkpoints when only the new key is trusted. A key file
//! others may read is refused, naming the file and its mode. A node signs
//! with a key from the environment and writes none into its data folder.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Vigil, eventually};

const KEY_VAR: &str = "VIGIL_TEST_AUDIT_SIGNING_KEY";

fn vigil(args: &[&str], dir: &Path, env_key: Option<&str>) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
    command
        .args(args)
        .current_dir(dir)
        .env("VIGIL_LOG", "warn")
        .env_remove(KEY_VAR);
    if let Some(secret) = env_key {
        command.env(KEY_VAR, secret);
    }
    let out = command.output().expect("run vigil");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str], dir: &Path, env_key: Option<&str>) -> String {
    let (ok, stdout, stderr) = vigil(args, dir, env_key);
    assert!(ok, "vigil {args:?}: {stdout}\n{stderr}");
    stdout
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .trim()
        .to_owned()
}

#[test]
fn checkpoints_verify_across_a_key_rotation_and_unknown_or_open_keys_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let line = format!(
        r#"{{"EventID":4624,"Hostname":"ws1","TargetUserName":"ann","@timestamp":"{}T10:00:00Z"}}"#,
        common::day()
    );
    std::fs::write(d.join("events.jsonl"), format!("{line}\n")).unwrap();
    ok(
        &[
            "ingest",
            "--data",
            "data",
            "--tenant",
            "acme",
            "events.jsonl",
        ],
        d,
        None,
    );

    // A key of its own, outside the data folder, private.
    let old_public = ok(&["audit", "key", "new", "--out", "keys/old.key"], d, None);
    assert_eq!(old_public.trim(), read(d, "keys/old.key.pub"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("keys/old.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (made, _, stderr) = vigil(&["audit", "key", "new", "--out", "keys/old.key"], d, None);
    assert!(!made, "a key is never overwritten");
    assert!(stderr.contains("keys/old.key"), "{stderr}");
    let shown = ok(
        &["audit", "key", "public", "--key", "keys/old.key"],
        d,
        None,
    );
    assert_eq!(shown.trim(), old_public.trim());

    // Checkpoint 1 under the old key (a file).
    let export = |key: &[&str], out: &str, env: Option<&str>| {
        let mut args = vec![
            "audit", "export", "--data", "data", "--tenant", "acme", "--out", out,
        ];
        args.extend_from_slice(key);
        ok(&args, d, env)
    };
    export(&["--key", "keys/old.key"], "e1.json", None);

    // Rotation: a new key, given to the commands through the environment.
    let new_public = ok(&["audit", "key", "new", "--out", "keys/new.key"], d, None);
    let new_secret = read(d, "keys/new.key");
    std::fs::remove_file(d.join("keys/new.key")).unwrap();
    assert_eq!(
        ok(
            &["audit", "key", "public", "--key-env", KEY_VAR],
            d,
            Some(&new_secret)
        )
        .trim(),
        new_public.trim()
    );
    export(&["--key-env", KEY_VAR], "e2.json", Some(&new_secret));
    assert!(
        !d.join("data/audit-signing.key").exists(),
        "no key made in the data folder"
    );

    // Both trusted: both checkpoints verify, each reported with its key.
    let report = ok(
        &[
            "audit",
            "verify",
            "--data",
            "data",
            "--public-key",
            "keys/new.key.pub",
            "--public-key",
            "keys/old.key.pub",
        ],
        d,
        None,
    );
    assert!(report.contains("audit chain intact"), "{report}");
    let signed_by = |which: &str, key: &str| {
        report
            .lines()
            .any(|l| l.starts_with(which) && l.contains(key.trim()) && l.ends_with("(trusted)"))
    };
    assert!(signed_by("checkpoint 1 ", &old_public), "{report}");
    assert!(signed_by("checkpoint 2 ", &new_public), "{report}");

    // The same trust from vigil.toml: the current key from the environment,
    // the retired one in trusted_keys. Only [desk] is read: the node's
    // token variables need not be set where the log is verified.
    std::fs::write(
        d.join("vigil.toml"),
        format!(
            "data_dir = \"data\"\n[[tokens]]\nname = \"admin\"\nrole = \"provider_admin\"\ntoken_env = \"VIGIL_TEST_SURELY_UNSET_TOKEN_5512\"\n[desk]\nsigning_key_env = \"{KEY_VAR}\"\ntrusted_keys = [\"keys/old.key.pub\"]\n"
        ),
    )
    .unwrap();
    let report = ok(
        &[
            "audit",
            "verify",
            "--data",
            "data",
            "--config",
            "vigil.toml",
        ],
        d,
        Some(&new_secret),
    );
    assert!(report.contains("audit chain intact"), "{report}");

    // The new key alone does not vouch for what the old one signed.
    let (verified, stdout, stderr) = vigil(
        &[
            "audit",
            "verify",
            "--data",
            "data",
            "--public-key",
            new_public.trim(),
        ],
        d,
        None,
    );
    assert!(!verified, "{stdout}");
    assert!(
        stderr.contains(&format!(
            "checkpoint 1 was signed by key {}, which is not a trusted key",
            old_public.trim()
        )),
        "{stderr}"
    );
    assert!(stdout.contains("NOT TRUSTED"), "{stdout}");

    // The client's export proves its entries across the rotation.
    let summary = ok(
        &[
            "audit",
            "verify-export",
            "e2.json",
            "--public-key",
            new_public.trim(),
        ],
        d,
        None,
    );
    assert!(
        summary.contains("earlier checkpoints consistent"),
        "{summary}"
    );

    // A key file others may read is refused, by name and mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            d.join("keys/old.key"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let (signed, _, stderr) = vigil(
            &[
                "audit",
                "export",
                "--data",
                "data",
                "--tenant",
                "acme",
                "--out",
                "e3.json",
                "--key",
                "keys/old.key",
            ],
            d,
            None,
        );
        assert!(!signed);
        assert!(
            stderr.contains("keys/old.key") && stderr.contains("mode 644"),
            "{stderr}"
        );
        assert!(!d.join("e3.json").exists());
    }
}

/// Runs `vigil serve`, which must stop by itself (60 s at most; killed
/// otherwise) with an error: its standard error.
fn refused_start(dir: &Path) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["serve", "--config", "vigil.toml"])
        .current_dir(dir)
        .env("VIGIL_LOG", "warn")
        .env_remove(KEY_VAR)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run vigil");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("vigil serve started instead of refusing the key");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use std::io::Read;
        let _ = pipe.read_to_string(&mut stderr);
    }
    assert!(!status.success(), "serve started: {stderr}");
    stderr
}

fn node_config(dir: &Path, desk: &str) {
    std::fs::write(
        dir.join("vigil.toml"),
        format!(
            "data_dir = \"data\"\nlisten = \"127.0.0.1:0\"\nbuiltin_rules = false\n[[tenants]]\nid = \"acme\"\nname = \"Acme\"\n[desk]\ncheckpoint_interval_secs = 1\n{desk}"
        ),
    )
    .unwrap();
}

#[test]
fn a_node_signs_with_a_key_from_the_environment_and_refuses_an_open_key_file() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let public = ok(&["audit", "key", "new", "--out", "keys/node.key"], d, None);
    let public = public.trim().to_owned();
    let secret = read(d, "keys/node.key");
    std::fs::remove_file(d.join("keys/node.key")).unwrap();

    node_config(d, &format!("signing_key_env = \"{KEY_VAR}\"\n"));
    // Without the variable the node does not start, and says why.
    let stderr = refused_start(d);
    assert!(
        stderr.contains(KEY_VAR) && stderr.contains("is not set"),
        "{stderr}"
    );

    {
        let mut node = Vigil::start_with_env(
            d,
            &["serve", "--config", "vigil.toml"],
            &[(KEY_VAR, secret.as_str())],
        );
        node.wait_for_line("vigil serving on", Duration::from_secs(60));
        // The desk signs a checkpoint within a second of its first entry.
        let report = eventually(
            "a checkpoint signed by the key",
            Duration::from_secs(60),
            || {
                let (verified, stdout, _) = vigil(
                    &["audit", "verify", "--data", "data", "--public-key", &public],
                    d,
                    None,
                );
                (verified && stdout.contains("checkpoint 1 ")).then_some(stdout)
            },
        );
        assert!(
            report.contains(&format!("signed by key {public} (trusted)")),
            "{report}"
        );
    }
    assert!(
        !d.join("data/audit-signing.key").exists(),
        "the node wrote a key into its data folder"
    );

    // A key file others may read stops the node, naming the file and mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        ok(&["audit", "key", "new", "--out", "keys/open.key"], d, None);
        std::fs::set_permissions(
            d.join("keys/open.key"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
        node_config(d, "signing_key = \"keys/open.key\"\n");
        let stderr = refused_start(d);
        assert!(
            stderr.contains("keys/open.key") && stderr.contains("mode 640"),
            "{stderr}"
        );
    }
}
