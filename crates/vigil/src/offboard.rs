//! `vigil tenant offboard` and `vigil tenant verify-certificate`: a
//! departing client's data exported in open formats (JSON lines per class,
//! JSON documents, a manifest of SHA-256 digests), then deleted, and the
//! deletion certified with the audit key.
//!
//! The desk decides (who may, whether a legal hold stands, what is
//! deleted and how it is proven, what the certificate says); this module
//! reads pages from the store and writes files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde::Serialize;
use sha2::{Digest, Sha256};
use vigil_desk::offboarding::{DeletionCertificate, Manifest, ManifestEntry, verify_certificate};
use vigil_desk::service::Desk;
use vigil_desk::{Actor, DeskConfig};
use vigil_model::{Clock, SystemClock, TenantId};
use vigil_store::{AlertQuery, Cursor, DeadLetterQuery, EventQuery, NodeStore, TenantScope};

/// `vigil tenant …`
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Export everything a client owns to a folder (JSON lines per class
    /// and a manifest of digests), delete it all, and write a deletion
    /// certificate signed with the audit key. Refused while a legal hold
    /// stands.
    Offboard {
        /// The client.
        #[arg(long)]
        tenant: String,
        /// The folder to export to (created; must be empty).
        #[arg(long)]
        out: PathBuf,
        /// The data folder (SQLite store and audit key), when no
        /// `--config` names them.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
        /// The configuration: its store, data folder and legal holds.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Every person and token with access to a client (its own tokens and
    /// the provider's), their role, and when each last acted. With
    /// `--config`, also whether the configuration still registers each.
    AccessReview {
        /// The client.
        #[arg(long)]
        tenant: String,
        /// The data folder, when no `--config` names it.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
        /// The configuration: its store, data folder and token register.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check a deletion certificate's signature (and, with `--export`, that
    /// the exported files still match the manifest it certifies).
    VerifyCertificate {
        /// The certificate file.
        file: PathBuf,
        /// The provider's public audit key (hex, or a file holding it);
        /// without it, the key named in the certificate is trusted.
        #[arg(long)]
        public_key: Option<String>,
        /// The export folder to check against the certificate.
        #[arg(long)]
        export: Option<PathBuf>,
    },
}

/// Runs `vigil tenant …`.
pub async fn run(command: TenantCommand) -> anyhow::Result<()> {
    match command {
        TenantCommand::Offboard {
            tenant,
            out,
            data,
            config,
        } => {
            let tenant = TenantId::new(&tenant).with_context(|| format!("--tenant `{tenant}`"))?;
            let (store_config, data, policy, desk_config) = match &config {
                Some(path) => {
                    let (config, resolved) = crate::config::Config::load(path)?;
                    if resolved.tenants.iter().any(|(t, _)| t.id == tenant) {
                        // The next start would register it again (empty):
                        // say so now rather than let it come back quietly.
                        eprintln!(
                            "note: {} still defines tenant `{tenant}`; remove it (and its sources and tokens) before the next start",
                            path.display()
                        );
                    }
                    (
                        config.store.clone(),
                        config.data_dir.clone(),
                        resolved.retention,
                        config.desk.clone().resolve()?,
                    )
                }
                None => (
                    Default::default(),
                    data,
                    Default::default(),
                    DeskConfig::default(),
                ),
            };
            if store_config.url.is_none() && !data.join("vigil.db").is_file() {
                bail!("no database at {}", data.join("vigil.db").display());
            }
            let store = crate::store::open_node_store(&store_config, &data).await?;
            // The key the node signs with, wherever the configuration keeps
            // it: a certificate under a key of its own would not verify.
            let signer = desk_config.signing_key_source(&data).signer()?;
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let desk = Desk::new(store.clone(), clock, DeskConfig::default(), Some(signer)).await?;
            desk.set_retention_policy(policy);
            let cert = offboard(&desk, store.as_ref(), &tenant, &out).await?;
            println!(
                "off-boarded `{tenant}`: exported {} files to {}, deleted {} records and {} desk records; certificate {}",
                cert.exported.len(),
                out.display(),
                cert.deleted.values().sum::<u64>(),
                cert.purge.desk_records,
                out.join(CERTIFICATE_FILE).display()
            );
            Ok(())
        }
        TenantCommand::AccessReview {
            tenant,
            data,
            config,
            json,
        } => {
            let tenant = TenantId::new(&tenant).with_context(|| format!("--tenant `{tenant}`"))?;
            let (store_config, data, tokens) = match &config {
                Some(path) => {
                    let (config, resolved) = crate::config::Config::load(path)?;
                    (
                        config.store.clone(),
                        config.data_dir.clone(),
                        Some(resolved.tokens),
                    )
                }
                None => (Default::default(), data, None),
            };
            if store_config.url.is_none() && !data.join("vigil.db").is_file() {
                bail!("no database at {}", data.join("vigil.db").display());
            }
            let store = crate::store::open_node_store(&store_config, &data).await?;
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let desk = Desk::new(store, clock, DeskConfig::default(), None).await?;
            desk.set_evidence_settings(vigil_desk::service::EvidenceSettings {
                tokens,
                ..Default::default()
            });
            let actor = Actor {
                name: "cli:access-review".into(),
                role: None,
                tenant: None,
            };
            let review = desk.access_review(&actor, &tenant).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&review)?);
            } else {
                print_review(&review);
            }
            Ok(())
        }
        TenantCommand::VerifyCertificate {
            file,
            public_key,
            export,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let trusted = crate::desk::public_key(public_key.as_deref(), None)?;
            let cert = verify_certificate(&text, trusted.as_ref())
                .with_context(|| format!("certificate {}", file.display()))?;
            if let Some(dir) = export {
                check_export(&cert, &dir)?;
            }
            println!(
                "ok: `{}` off-boarded by {} at {}: {} records deleted, signed by key {}",
                cert.tenant,
                cert.issued_by,
                cert.issued_at,
                cert.deleted.values().sum::<u64>() + cert.purge.desk_records,
                &cert.public_key[..16.min(cert.public_key.len())]
            );
            Ok(())
        }
    }
}

fn print_review(review: &vigil_desk::service::AccessReview) {
    println!("access to `{}` at {}", review.tenant, review.at);
    println!(
        "{:<24} {:<18} {:<12} {:<10} last used",
        "name", "role", "reach", "in config"
    );
    for h in &review.holders {
        println!(
            "{:<24} {:<18} {:<12} {:<10} {}",
            h.name,
            h.role,
            h.reach,
            h.in_configuration
                .map_or("unknown", |r| if r { "yes" } else { "NO" }),
            match (&h.last_used, &h.last_action) {
                (Some(at), Some(action)) => format!("{at} ({action})"),
                _ if review.searched_all => "never".into(),
                _ => format!("not in the newest {} entries", review.audit_entries_read),
            }
        );
    }
}

/// The certificate's file name in the export folder.
pub const CERTIFICATE_FILE: &str = "deletion-certificate.json";
/// The manifest's file name in the export folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Exports `tenant` to `out`, deletes it, and writes the signed
/// certificate there; returns it. Nothing is written or deleted when the
/// desk refuses (a legal hold, an unknown client).
pub async fn offboard(
    desk: &Desk,
    store: &dyn NodeStore,
    tenant: &TenantId,
    out: &Path,
) -> anyhow::Result<DeletionCertificate> {
    let actor = Actor::system("offboard");
    desk.check_offboard(&actor, tenant).await?;
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        bail!(
            "{} is not empty; give a new folder for the export",
            out.display()
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let files = export(desk, store, &actor, tenant, out).await?;
    let manifest = Manifest {
        tenant: tenant.clone(),
        exported_at: desk.now(),
        files,
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    write(out, MANIFEST_FILE, &manifest_bytes)?;
    let deletion = desk.offboard_delete(&actor, tenant).await?;
    let cert = desk.certify_deletion(
        &actor,
        hex::encode(Sha256::digest(&manifest_bytes)),
        manifest.files,
        deletion,
    )?;
    write(out, CERTIFICATE_FILE, &serde_json::to_vec_pretty(&cert)?)?;
    Ok(cert)
}

/// Checks the export folder against a certificate: the manifest is the one
/// certified, and every file still has its digest.
pub fn check_export(cert: &DeletionCertificate, dir: &Path) -> anyhow::Result<()> {
    let manifest = std::fs::read(dir.join(MANIFEST_FILE))
        .with_context(|| format!("cannot read {}", dir.join(MANIFEST_FILE).display()))?;
    if hex::encode(Sha256::digest(&manifest)) != cert.manifest_sha256 {
        bail!("{MANIFEST_FILE} is not the manifest the certificate names");
    }
    for entry in &cert.exported {
        let path = dir.join(&entry.file);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let digest = hex::encode(Sha256::digest(&bytes));
        if digest != entry.sha256 {
            bail!(
                "{} has SHA-256 {digest}; the manifest records {}",
                entry.file,
                entry.sha256
            );
        }
    }
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// A JSON-lines file being written, hashed as it goes.
struct Lines {
    name: &'static str,
    file: std::io::BufWriter<std::fs::File>,
    hash: Sha256,
    records: u64,
}

impl Lines {
    fn create(dir: &Path, name: &'static str) -> anyhow::Result<Self> {
        let path = dir.join(name);
        let file = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self {
            name,
            file: std::io::BufWriter::new(file),
            hash: Sha256::new(),
            records: 0,
        })
    }

    fn push(&mut self, item: &impl Serialize) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(item)?;
        line.push(b'\n');
        self.hash.update(&line);
        self.file.write_all(&line)?;
        self.records += 1;
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<ManifestEntry> {
        self.file.flush()?;
        self.file.get_ref().sync_all()?;
        Ok(ManifestEntry {
            file: self.name.to_owned(),
            records: self.records,
            sha256: hex::encode(self.hash.finalize()),
        })
    }
}

/// Writes every class of `tenant` to `dir`; the manifest's entries.
async fn export(
    desk: &Desk,
    store: &dyn NodeStore,
    actor: &Actor,
    tenant: &TenantId,
    dir: &Path,
) -> anyhow::Result<Vec<ManifestEntry>> {
    let scope = TenantScope::One(tenant.clone());
    let limit = vigil_store::MAX_PAGE_SIZE;
    let mut files = Vec::new();

    let mut lines = Lines::create(dir, "tenant.jsonl")?;
    for t in store.tenants(&scope).await? {
        lines.push(&serde_json::json!({ "tenant": t }))?;
    }
    for site in store.sites(&scope).await? {
        lines.push(&serde_json::json!({ "site": site }))?;
    }
    for source in store.sources(&scope).await? {
        lines.push(&serde_json::json!({ "source": source }))?;
    }
    files.push(lines.finish()?);

    let mut lines = Lines::create(dir, "events.jsonl")?;
    let mut cursor = None;
    loop {
        let page = store
            .events(&EventQuery {
                scope: scope.clone(),
                from: None,
                to: None,
                fields: vec![],
                cursor,
                limit,
            })
            .await?;
        for event in &page.items {
            lines.push(event)?;
        }
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next)?),
            None => break,
        }
    }
    files.push(lines.finish()?);

    let mut lines = Lines::create(dir, "alerts.jsonl")?;
    let mut query = AlertQuery::all_in(scope.clone(), limit);
    loop {
        let page = store.alerts(&query).await?;
        for alert in &page.items {
            lines.push(alert)?;
        }
        match page.next_cursor {
            Some(next) => query.cursor = Some(Cursor::decode(&next)?),
            None => break,
        }
    }
    files.push(lines.finish()?);

    let mut lines = Lines::create(dir, "dead_letters.jsonl")?;
    let mut query = DeadLetterQuery {
        scope: scope.clone(),
        source: None,
        cursor: None,
        limit,
    };
    loop {
        let page = store.dead_letters(&query).await?;
        for letter in &page.items {
            lines.push(letter)?;
        }
        match page.next_cursor {
            Some(next) => query.cursor = Some(Cursor::decode(&next)?),
            None => break,
        }
    }
    files.push(lines.finish()?);

    let mut lines = Lines::create(dir, "desk_records.jsonl")?;
    for record in desk.client_records(actor, tenant).await? {
        lines.push(&record)?;
    }
    files.push(lines.finish()?);

    let mut lines = Lines::create(dir, "estate.jsonl")?;
    for person in store.people(&scope).await? {
        lines.push(&serde_json::json!({ "person": person }))?;
    }
    for device in store.devices(&scope).await? {
        lines.push(&serde_json::json!({ "device": device }))?;
    }
    for account in store.panel_accounts(&scope).await? {
        lines.push(&serde_json::json!({ "panel_account": account }))?;
    }
    for state in store.supervision(&scope).await? {
        lines.push(&serde_json::json!({ "supervision": state }))?;
    }
    files.push(lines.finish()?);

    // The client's audit entries with their proofs (an audit extract):
    // the entries themselves stay in the chain after the deletion.
    let audit = serde_json::to_vec_pretty(&desk.audit_export(actor, tenant).await?)?;
    write(dir, "audit.json", &audit)?;
    files.push(ManifestEntry {
        file: "audit.json".into(),
        records: 1,
        sha256: hex::encode(Sha256::digest(&audit)),
    });
    Ok(files)
}
