//! The desk on the command line: starting it inside a node, and the
//! `vigil alarms`, `vigil incidents` and `vigil audit` commands.
//!
//! `alarms` and `incidents` talk to a running server over its HTTP API
//! (`--url`, `--token` or `VIGIL_URL`, `VIGIL_TOKEN`), so they act with the
//! token's role and tenant like any other client. `audit` works on the data
//! folder directly: verifying needs no server and no key, only the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use vigil_desk::DeskConfig;
use vigil_desk::service::{Desk, Workers};
use vigil_model::{Clock, TenantId};
use vigil_store::DeskStore;
use vigil_store::audit::{TenantExport, digest_json, verify_export};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};

/// How often the desk's timers look for work (real time).
const DESK_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Starts the desk over `store`: loads (or creates) the audit signing key,
/// records the configuration it runs with, and starts its timers.
pub async fn start_desk(
    store: Arc<dyn DeskStore>,
    clock: Arc<dyn Clock>,
    config: DeskConfig,
    levels: vigil_desk::service::ServiceLevels,
    data_dir: &Path,
) -> anyhow::Result<(Desk, Workers)> {
    let signer = config.signing_key_source(data_dir).signer()?;
    let public_key = hex::encode(signer.public_key());
    let digest = hex::encode(vigil_store::audit::digest_json(&config));
    let desk = Desk::new(store, clock, config, Some(signer)).await?;
    // Before the timers start, so that the first pass reads the contracts.
    desk.set_service_levels(levels);
    desk.record_act(
        &vigil_desk::Actor::system("node"),
        None,
        "config.load",
        "config/desk",
        // The public key goes on the record, so that the log itself says
        // which key signs its checkpoints from here on.
        json!({ "digest": digest, "sops": desk.sops().len(), "signing_key": public_key }),
    )
    .await?;
    let workers = desk.start_workers(DESK_POLL);
    Ok((desk, workers))
}

/// How far back the log is searched for the previous load of the same
/// configuration or rule set.
const PREVIOUS_LOAD_WITHIN: usize = 1000;

/// Records in the audit chain the configuration file and the rule set a
/// node starts with (SHA-256 of their bytes), each naming the digest it
/// replaces: a rule or configuration change between two starts is an entry
/// whose `changed` is true.
pub async fn record_start(
    desk: &Desk,
    config_file: &Path,
    builtin_rules: bool,
    rule_dirs: &[PathBuf],
    rules_loaded: usize,
) -> anyhow::Result<()> {
    let config_bytes = std::fs::read(config_file)
        .with_context(|| format!("cannot read {}", config_file.display()))?;
    let config_digest = hex::encode(digest_json(config_bytes.as_slice()));
    // Every rule file by path and content, in path order.
    let mut files = Vec::new();
    for dir in rule_dirs {
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            // The rules were loaded already; what cannot be read now is
            // left out of the digest rather than stopping the node.
            let Ok(entry) = entry else { continue };
            if entry.file_type().is_file()
                && let Ok(bytes) = std::fs::read(entry.path())
            {
                files.push((
                    entry.path().display().to_string(),
                    hex::encode(digest_json(bytes.as_slice())),
                ));
            }
        }
    }
    let rules_digest = hex::encode(digest_json(&(builtin_rules, &files)));
    let actor = vigil_desk::Actor::system("node");
    for (action, object, digest, extra) in [
        (
            "config.load",
            "config/file",
            config_digest,
            json!({ "file": config_file.display().to_string() }),
        ),
        (
            "rules.load",
            "rules",
            rules_digest,
            json!({ "builtin": builtin_rules, "files": files.len(), "loaded": rules_loaded }),
        ),
    ] {
        let previous = desk
            .last_act(action, object, PREVIOUS_LOAD_WITHIN)
            .await?
            .and_then(|e| serde_json::from_str::<Value>(&e.detail).ok())
            .and_then(|d| d.get("digest").and_then(Value::as_str).map(str::to_owned));
        let changed = previous.as_deref().is_some_and(|p| p != digest);
        let mut detail = json!({ "digest": digest, "previous": previous, "changed": changed });
        if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
            d.extend(e.clone());
        }
        desk.record_act(&actor, None, action, object, detail)
            .await?;
    }
    Ok(())
}

/// Where the API is and who is asking.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The server's base URL.
    #[arg(long, env = "VIGIL_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An API token.
    #[arg(long, env = "VIGIL_TOKEN", hide_env_values = true)]
    token: String,
}

/// `vigil alarms …`
#[derive(Debug, Subcommand)]
pub enum AlarmsCommand {
    /// The queue: highest priority first, then oldest.
    List {
        #[command(flatten)]
        api: ApiArgs,
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// Only these statuses (comma-separated); default: all but closed.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One alarm, as JSON.
    Show {
        #[command(flatten)]
        api: ApiArgs,
        /// The alarm's id.
        id: String,
    },
    /// Take an alarm.
    Ack {
        #[command(flatten)]
        api: ApiArgs,
        /// The alarm's id.
        id: String,
    },
    /// Take an alarm someone else holds.
    TakeOver {
        #[command(flatten)]
        api: ApiArgs,
        /// The alarm's id.
        id: String,
        /// Why (required, recorded).
        #[arg(long)]
        reason: String,
    },
    /// Start work on an alarm you hold.
    Start {
        #[command(flatten)]
        api: ApiArgs,
        /// The alarm's id.
        id: String,
    },
    /// Close an alarm you hold with a verdict.
    Close {
        #[command(flatten)]
        api: ApiArgs,
        /// The alarm's id.
        id: String,
        /// true_positive, false_positive, benign or duplicate.
        #[arg(long)]
        verdict: String,
        /// A note for the record.
        #[arg(long)]
        note: Option<String>,
    },
    /// Reopen a closed alarm.
    Reopen {
        #[command(flatten)]
        api: ApiArgs,
        /// The alarm's id.
        id: String,
        /// Why (required, recorded).
        #[arg(long)]
        reason: String,
    },
}

/// `vigil incidents …`
#[derive(Debug, Subcommand)]
pub enum IncidentsCommand {
    /// Open incidents, newest first.
    List {
        #[command(flatten)]
        api: ApiArgs,
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// Include closed ones.
        #[arg(long)]
        closed: bool,
    },
    /// One incident with its timeline, as JSON.
    Show {
        #[command(flatten)]
        api: ApiArgs,
        /// The incident's id.
        id: String,
    },
    /// Open an incident (from alarms, or by hand).
    Open {
        #[command(flatten)]
        api: ApiArgs,
        /// The client.
        #[arg(long)]
        tenant: String,
        /// A short title.
        #[arg(long)]
        title: String,
        /// info, low, medium, high or critical.
        #[arg(long, default_value = "high")]
        severity: String,
        /// cyber, physical, converged or environmental.
        #[arg(long, default_value = "cyber")]
        category: String,
        /// Alarms it is opened from (repeatable).
        #[arg(long = "alarm")]
        alarms: Vec<String>,
    },
    /// Apply a command given as JSON, e.g.
    /// `{"command":"advance","to":"triaged"}` or `{"command":"note","text":"…"}`.
    Do {
        #[command(flatten)]
        api: ApiArgs,
        /// The incident's id.
        id: String,
        /// The command, as JSON.
        command: String,
    },
}

/// `vigil audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole audit chain and every signed checkpoint; names the
    /// first entry that was changed, removed or reordered.
    Verify {
        /// The data folder.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
        /// A public key checkpoints may be signed with (hex, or a file of
        /// keys, one a line); repeatable, for the keys a rotation retired.
        /// Default: the keys of `--config`, else `audit-signing.key.pub` in
        /// the data folder.
        #[arg(long)]
        public_key: Vec<String>,
        /// vigil.toml: trust its `[desk]` signing key and `trusted_keys`.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Verify the log in this PostgreSQL database (`[store] url`)
        /// instead of the data folder's SQLite file.
        #[arg(long, env = "VIGIL_STORE_URL")]
        store_url: Option<String>,
        /// The PostgreSQL schema (`[store] schema`), with `--store-url`.
        #[arg(long, requires = "store_url")]
        store_schema: Option<String>,
        /// Witnesses' cosignature lines (as `vigil audit witness` prints
        /// them): each checkpoint is reported with those that hold for it.
        #[arg(long, requires = "witness")]
        cosignatures: Option<PathBuf>,
        /// A witness whose cosignatures count: `NAME=PUBLIC_KEY_HEX`
        /// (repeatable).
        #[arg(long, value_parser = crate::audit_witness::parse_witness)]
        witness: Vec<(String, [u8; 32])>,
        /// The log's origin on its notes (default: from its key).
        #[arg(long)]
        origin: Option<String>,
    },
    /// The add-checkpoint request for a witness (C2SP tlog-witness): the
    /// newest signed checkpoint as a note and the consistency proof from
    /// the size the witness last cosigned.
    WitnessRequest {
        /// The data folder.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
        /// The size the witness last cosigned (0 the first time).
        #[arg(long, default_value_t = 0)]
        old: u64,
        #[command(flatten)]
        key: crate::audit_key::KeyArgs,
        /// The log's origin line (default: from its key).
        #[arg(long)]
        origin: Option<String>,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Act as a witness: cosign a request's checkpoint only if the log
    /// signed it and it extends the one this witness cosigned before;
    /// prints the cosignature line.
    Witness {
        /// The add-checkpoint request (from `vigil audit witness-request`).
        request: PathBuf,
        /// The log's public key (hex, or a file holding it).
        #[arg(long)]
        log_key: String,
        /// The log's origin (default: from its key).
        #[arg(long)]
        origin: Option<String>,
        /// This witness's signing key (created, private, on first use).
        #[arg(long)]
        key: PathBuf,
        /// What this witness remembers of the log (created on first use).
        #[arg(long)]
        state: PathBuf,
        /// This witness's name on its cosignatures.
        #[arg(long)]
        name: String,
    },
    /// Export one client's own entries with proofs (JSON).
    Export {
        /// The data folder.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
        /// The client.
        #[arg(long)]
        tenant: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        key: crate::audit_key::KeyArgs,
    },
    /// Make a signing key, or show a key's public key.
    Key {
        #[command(subcommand)]
        command: crate::audit_key::AuditKeyCommand,
    },
    /// Check an export on its own.
    VerifyExport {
        /// The export file.
        file: PathBuf,
        /// The provider's public key (hex, or a file holding it); without
        /// it, the key named in the export is trusted.
        #[arg(long)]
        public_key: Option<String>,
    },
}

async fn call(
    api: &ApiArgs,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let url = format!("{}{path}", api.url.trim_end_matches('/'));
    let mut request = reqwest::Client::new()
        .request(method, &url)
        .bearer_auth(&api.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let value: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        bail!("{status}: {message}");
    }
    Ok(value)
}

fn print_json(v: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("-")
}

/// Runs `vigil alarms …`.
pub async fn alarms(command: AlarmsCommand) -> anyhow::Result<()> {
    use reqwest::Method;
    let (api, path, body) = match command {
        AlarmsCommand::List {
            api,
            tenant,
            status,
            limit,
        } => {
            let mut q = format!("?limit={limit}");
            if let Some(t) = tenant {
                q.push_str(&format!("&tenant={t}"));
            }
            if let Some(s) = status {
                q.push_str(&format!("&status={s}"));
            }
            let page = call(&api, Method::GET, &format!("/api/v1/alarms{q}"), None).await?;
            let items = page
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            println!(
                "{:<36}  {:>5}  {:<12}  {:<11}  {:<8}  {:<14}  TITLE",
                "ID", "PRIO", "TENANT", "STATUS", "SEVERITY", "OWNER"
            );
            for a in &items {
                let prio = a
                    .pointer("/priority/score")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0);
                println!(
                    "{:<36}  {:>5.1}  {:<12}  {:<11}  {:<8}  {:<14}  {}",
                    text(a, "id"),
                    prio,
                    text(a, "tenant"),
                    text(a, "status"),
                    text(a, "severity"),
                    a.get("owner").and_then(Value::as_str).unwrap_or("-"),
                    text(a, "rule_title")
                );
            }
            println!("{} alarm(s)", items.len());
            return Ok(());
        }
        AlarmsCommand::Show { api, id } => {
            let v = call(&api, Method::GET, &format!("/api/v1/alarms/{id}"), None).await?;
            return print_json(&v);
        }
        AlarmsCommand::Ack { api, id } => (api, format!("/api/v1/alarms/{id}/acknowledge"), None),
        AlarmsCommand::TakeOver { api, id, reason } => (
            api,
            format!("/api/v1/alarms/{id}/take-over"),
            Some(json!({ "reason": reason })),
        ),
        AlarmsCommand::Start { api, id } => (api, format!("/api/v1/alarms/{id}/start"), None),
        AlarmsCommand::Close {
            api,
            id,
            verdict,
            note,
        } => (
            api,
            format!("/api/v1/alarms/{id}/close"),
            Some(json!({ "verdict": verdict, "note": note })),
        ),
        AlarmsCommand::Reopen { api, id, reason } => (
            api,
            format!("/api/v1/alarms/{id}/reopen"),
            Some(json!({ "reason": reason })),
        ),
    };
    let v = call(&api, Method::POST, &path, body).await?;
    let a = v.get("alarm").cloned().unwrap_or(Value::Null);
    println!(
        "alarm {}: {} (owner {})",
        text(&a, "id"),
        text(&a, "status"),
        a.get("owner").and_then(Value::as_str).unwrap_or("nobody")
    );
    Ok(())
}

/// Runs `vigil incidents …`.
pub async fn incidents(command: IncidentsCommand) -> anyhow::Result<()> {
    use reqwest::Method;
    match command {
        IncidentsCommand::List {
            api,
            tenant,
            closed,
        } => {
            let mut q = format!("?closed={closed}");
            if let Some(t) = tenant {
                q.push_str(&format!("&tenant={t}"));
            }
            let page = call(&api, Method::GET, &format!("/api/v1/incidents{q}"), None).await?;
            let items = page
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            println!(
                "{:<40}  {:<12}  {:<10}  {:<8}  {:<12}  TITLE",
                "ID", "TENANT", "STATE", "SEVERITY", "CATEGORY"
            );
            for i in &items {
                println!(
                    "{:<40}  {:<12}  {:<10}  {:<8}  {:<12}  {}",
                    text(i, "id"),
                    text(i, "tenant"),
                    text(i, "state"),
                    text(i, "severity"),
                    text(i, "category"),
                    text(i, "title")
                );
            }
            println!("{} incident(s)", items.len());
            Ok(())
        }
        IncidentsCommand::Show { api, id } => {
            print_json(&call(&api, Method::GET, &format!("/api/v1/incidents/{id}"), None).await?)
        }
        IncidentsCommand::Open {
            api,
            tenant,
            title,
            severity,
            category,
            alarms,
        } => {
            let body = json!({"tenant": tenant, "title": title, "severity": severity, "category": category, "alarms": alarms});
            let v = call(&api, Method::POST, "/api/v1/incidents", Some(body)).await?;
            println!(
                "incident {} opened",
                v.pointer("/incident/id")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            );
            Ok(())
        }
        IncidentsCommand::Do { api, id, command } => {
            let body: Value = serde_json::from_str(&command).context("the command is not JSON")?;
            let v = call(
                &api,
                Method::POST,
                &format!("/api/v1/incidents/{id}/commands"),
                Some(body),
            )
            .await?;
            println!(
                "incident {}: {}",
                id,
                v.pointer("/incident/state")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            );
            Ok(())
        }
    }
}

/// A public key given as hex or as a file holding hex.
pub(crate) fn public_key(
    arg: Option<&str>,
    default_file: Option<&Path>,
) -> anyhow::Result<Option<[u8; 32]>> {
    let text = match (arg, default_file) {
        (Some(a), _) if Path::new(a).is_file() => std::fs::read_to_string(a)?,
        (Some(a), _) => a.to_owned(),
        (None, Some(f)) if f.is_file() => std::fs::read_to_string(f)?,
        (None, _) => return Ok(None),
    };
    let bytes = hex::decode(text.trim()).context("the public key is not hex")?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the public key is not 32 bytes"))?;
    Ok(Some(key))
}

/// Runs `vigil audit …`.
pub async fn audit(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify {
            data,
            public_key: keys,
            config,
            store_url,
            store_schema,
            cosignatures,
            witness,
            origin,
        } => {
            let trusted = crate::audit_key::trusted_keys(&keys, config.as_deref(), &data)?;
            let report = match store_url {
                Some(url) => {
                    let options = vigil_store::postgres::PgOptions {
                        schema: store_schema,
                        ..Default::default()
                    };
                    vigil_store::postgres::PgStore::connect(&url, options)
                        .await?
                        .verify_audit(&trusted)
                        .await?
                }
                None => {
                    let path = data.join("vigil.db");
                    if !path.is_file() {
                        bail!("no database at {}", path.display());
                    }
                    SqliteStore::verify_audit(&path, &trusted)?
                }
            };
            println!(
                "{} entries, {} signed checkpoints{}, {} entries after the newest checkpoint",
                report.entries,
                report.checkpoints,
                match trusted.len() {
                    0 => " (no trusted key given: each checkpoint's own key)".into(),
                    n => format!(" ({n} trusted key{})", if n == 1 { "" } else { "s" }),
                },
                report.unsigned_tail
            );
            for line in crate::audit_key::signer_lines(&report.keys, &trusted) {
                println!("{line}");
            }
            if let Some(file) = cosignatures {
                let db = data.join("vigil.db");
                let (_, checkpoints) = SqliteStore::audit_tree(&db)?;
                let lines = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let origin = match (&origin, checkpoints.last()) {
                    (Some(o), _) => o.clone(),
                    (None, Some(cp)) => crate::audit_witness::default_origin(&cp.key),
                    (None, None) => String::new(),
                };
                for c in crate::audit_witness::cosignatures(&checkpoints, &origin, &lines, &witness)
                {
                    let (seq, size) = (c.seq, c.size);
                    let by: Vec<String> =
                        c.by.iter()
                            .map(|(name, t)| format!("{name} (at {t})"))
                            .collect();
                    println!(
                        "checkpoint {seq} (size {size}): {}",
                        if by.is_empty() {
                            "not cosigned".to_owned()
                        } else {
                            format!("cosigned by {}", by.join(", "))
                        }
                    );
                }
            }
            match report.problem {
                None => {
                    println!("audit chain intact");
                    Ok(())
                }
                Some(p) => bail!("AUDIT CHAIN BROKEN: {p}"),
            }
        }
        AuditCommand::WitnessRequest {
            data,
            old,
            key,
            origin,
            out,
        } => {
            let body = crate::audit_witness::witness_request(
                &data,
                &key.source(None, &data),
                origin.as_deref(),
                old,
            )?;
            match out {
                Some(path) => std::fs::write(&path, body)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{body}"),
            }
            Ok(())
        }
        AuditCommand::Witness {
            request,
            log_key,
            origin,
            key,
            state,
            name,
        } => {
            let body = std::fs::read_to_string(&request)
                .with_context(|| format!("cannot read {}", request.display()))?;
            let log_key = public_key(Some(&log_key), None)?.context("--log-key names no key")?;
            let time = u64::try_from(vigil_model::SystemClock.now().timestamp()).unwrap_or(0);
            let line = crate::audit_witness::witness(crate::audit_witness::WitnessArgs {
                request: &body,
                log_key,
                origin: origin.as_deref(),
                key: &key,
                state: &state,
                name: &name,
                time,
            })?;
            println!("{line}");
            Ok(())
        }
        AuditCommand::Export {
            data,
            tenant,
            out,
            key,
        } => {
            let tenant = TenantId::new(&tenant)?;
            let store = SqliteStore::open(&data.join("vigil.db"), SqliteOptions::default())?;
            let signer = key.source(None, &data).signer()?;
            let now = vigil_model::SystemClock.now();
            store
                .audit_append(vec![vigil_store::audit::AuditRecord {
                    at: now,
                    actor: "cli:audit-export".into(),
                    tenant: Some(tenant.clone()),
                    action: "audit.export".into(),
                    object: format!("tenant/{tenant}"),
                    before: None,
                    after: None,
                    detail: Value::Null,
                }])
                .await?;
            store.audit_checkpoint(&signer, now).await?;
            let export = store.audit_export(&tenant).await?;
            let text = serde_json::to_string_pretty(&export)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, text)?;
                    eprintln!(
                        "{} entries of {tenant} written to {}",
                        export.entries.len(),
                        path.display()
                    );
                }
                None => println!("{text}"),
            }
            Ok(())
        }
        AuditCommand::Key { command } => crate::audit_key::run(command),
        AuditCommand::VerifyExport {
            file,
            public_key: key,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let export: TenantExport = serde_json::from_str(&text)
                .with_context(|| format!("{} is not an audit export", file.display()))?;
            let trusted = public_key(key.as_deref(), None)?;
            let summary = verify_export(&export, trusted.as_ref())
                .map_err(|e| anyhow::anyhow!("EXPORT DOES NOT VERIFY: {e}"))?;
            println!(
                "export of {} verifies: {} entries proven in the signed log of {} entries (key {}), {} earlier checkpoints consistent",
                summary.tenant, summary.entries, summary.tree_size, summary.key, summary.earlier
            );
            Ok(())
        }
    }
}
