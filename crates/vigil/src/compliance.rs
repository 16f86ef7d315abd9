//! `vigil compliance report` and `vigil compliance verify`: a client's
//! evidence pack for ISO/IEC 27001:2022 Annex A or NIS-2 Art. 21(2), from
//! a data folder (as `vigil report service` reads one) or from a running
//! server's API, and the check of an exported pack against the audit
//! chain. What the evidence is: `vigil_compliance::evidence`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::Duration;
use clap::{Args, Subcommand};
use vigil_compliance::FrameworkId;
use vigil_compliance::evidence::logging::Retention;
use vigil_compliance::evidence::{EvidencePack, PeriodSpec};
use vigil_desk::reporting::render::{EvidenceFormat, render_evidence};
use vigil_desk::reporting::service::Month;
use vigil_desk::service::{
    ComplianceRequest, Desk, EvidenceSettings, ServiceLevels, verify_evidence_pack,
};
use vigil_desk::{Actor, DeskConfig};
use vigil_model::{Clock, SystemClock, TenantId};
use vigil_store::audit::{AuditSigner, SigningKeySource, public_key_path};
use vigil_store::{ApiToken, DeskStore, EstateStore, Store, TenantScope};

/// `vigil compliance …`
#[derive(Debug, Subcommand)]
pub enum ComplianceCommand {
    /// A client's evidence pack: per control, what the platform's records
    /// show (logging, monitoring, incidents, physical security, access
    /// rights, the audit record's integrity), each piece digested; the
    /// digests are recorded in the audit chain under a signed checkpoint.
    Report(ReportArgs),
    /// Check an exported pack (JSON) against the audit chain of a data
    /// folder: its digests, the audit entry that recorded them, and the
    /// signed checkpoint that covers that entry.
    Verify(VerifyArgs),
}

/// `vigil compliance report` options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The client.
    #[arg(long)]
    tenant: String,
    /// iso27001 or nis2.
    #[arg(long)]
    framework: String,
    /// FROM..TO: dates (YYYY-MM-DD, cut at midnight in the client's time
    /// zone, the last day included) or RFC 3339 instants (end excluded).
    #[arg(long, conflicts_with = "month", required_unless_present = "month")]
    period: Option<String>,
    /// A whole month, YYYY-MM (instead of --period).
    #[arg(long, value_parser = Month::parse)]
    month: Option<Month>,
    /// json or pdf.
    #[arg(long, default_value = "json")]
    format: EvidenceFormat,
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
    /// The data folder.
    #[arg(long, default_value = "./vigil-data")]
    data: PathBuf,
    /// vigil.toml: the clients' contracts (for their time zones), the
    /// node's retention and its token register (without it, both are
    /// reported as not known).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The audit signing key (default: `[desk] signing_key` or
    /// `signing_key_env` of `--config`, else `audit-signing.key` in the
    /// data folder).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Ask a running server instead of reading the data folder.
    #[arg(long, requires = "token")]
    url: Option<String>,
    /// The API token for --url.
    #[arg(long, env = "VIGIL_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// `vigil compliance verify` options.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The exported pack (JSON).
    file: PathBuf,
    /// The data folder whose audit chain recorded it.
    #[arg(long, default_value = "./vigil-data")]
    data: PathBuf,
    /// The public key checkpoints must be signed with (hex, or a file
    /// holding it); default: `audit-signing.key.pub` in the data folder.
    #[arg(long)]
    public_key: Option<String>,
}

/// Runs `vigil compliance …`.
pub async fn run(command: ComplianceCommand) -> anyhow::Result<()> {
    match command {
        ComplianceCommand::Report(args) => report(args).await,
        ComplianceCommand::Verify(args) => verify(args).await,
    }
}

/// The evidence settings a node runs with: its retention (`None`: events
/// are kept) and its token register.
pub fn evidence_settings(retention: Option<Duration>, tokens: &[ApiToken]) -> EvidenceSettings {
    EvidenceSettings {
        retention: match retention {
            Some(d) => Retention::Days(u32::try_from(d.num_days().max(0)).unwrap_or(u32::MAX)),
            None => Retention::Unlimited,
        },
        tokens: Some(tokens.to_vec()),
    }
}

async fn report(args: ReportArgs) -> anyhow::Result<()> {
    // Every argument is checked before anything is opened or written.
    let framework: FrameworkId = args.framework.parse()?;
    let period = match (&args.period, args.month) {
        (Some(p), _) => PeriodSpec::parse(p)?,
        (None, Some(m)) => PeriodSpec::month_of(m.first_day()),
        (None, None) => bail!("give --period FROM..TO or --month YYYY-MM"),
    };
    let tenant =
        TenantId::new(&args.tenant).with_context(|| format!("--tenant `{}`", args.tenant))?;
    if let Some(url) = &args.url {
        return report_from_server(&args, url, framework, &period).await;
    }
    let db = args.data.join("vigil.db");
    if !db.is_file() {
        bail!("no database at {}", db.display());
    }
    let (desk_config, contracts, settings) = match &args.config {
        Some(path) => {
            let (config, resolved) = crate::config::Config::load(path)?;
            let retention = resolved
                .retention
                .defaults
                .get(&vigil_desk::governance::DataClass::Events)
                .copied();
            (
                config.desk.clone().resolve()?,
                resolved.contracts,
                evidence_settings(retention, &resolved.tokens),
            )
        }
        None => (
            DeskConfig::default(),
            Default::default(),
            EvidenceSettings::default(),
        ),
    };
    let store = crate::store::open_sqlite(&args.data)?;
    let known = store.tenants(&TenantScope::All).await?;
    if !known.iter().any(|k| k.id == tenant) {
        let names: Vec<String> = known.iter().map(|k| k.id.to_string()).collect();
        bail!(
            "no client `{tenant}` in {} (clients: {})",
            args.data.display(),
            names.join(", ")
        );
    }
    let signer = match &args.key {
        Some(key) => SigningKeySource::File(key.clone()),
        None => desk_config.signing_key_source(&args.data),
    }
    .signer()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let desk = Desk::new(store.clone(), clock, desk_config, Some(signer)).await?;
    desk.set_service_levels(ServiceLevels {
        contracts,
        ..Default::default()
    });
    desk.set_evidence_settings(settings);
    let actor = Actor {
        name: "cli:compliance-report".into(),
        role: None,
        tenant: None,
    };
    let estate: &dyn EstateStore = store.as_ref();
    let pack = desk
        .compliance_report(
            &actor,
            &ComplianceRequest {
                tenant,
                framework,
                period,
            },
            Some(estate),
        )
        .await?;
    let bytes = render_evidence(&pack, args.format)?;
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    summary(&pack, args.format, &args.out);
    Ok(())
}

/// Fetches the pack from `GET /api/v1/compliance/{framework}/report`.
async fn report_from_server(
    args: &ReportArgs,
    url: &str,
    framework: FrameworkId,
    period: &PeriodSpec,
) -> anyhow::Result<()> {
    let endpoint = format!(
        "{}/api/v1/compliance/{framework}/report",
        url.trim_end_matches('/')
    );
    let response = reqwest::Client::new()
        .get(&endpoint)
        .bearer_auth(args.token.as_deref().unwrap_or_default())
        .query(&[
            ("tenant", args.tenant.as_str()),
            ("from", &period.from.to_string()),
            ("to", &period.to.to_string()),
            ("format", args.format.as_str()),
        ])
        .send()
        .await
        .with_context(|| format!("cannot reach {endpoint}"))?;
    let status = response.status();
    let bytes = response.bytes().await?;
    if !status.is_success() {
        let message = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_default();
        bail!("{status}: {message}");
    }
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!("{} written to {}", args.format, args.out.display());
    Ok(())
}

fn summary(pack: &EvidencePack, format: EvidenceFormat, out: &std::path::Path) {
    let s = &pack.summary;
    eprintln!(
        "{format} {} evidence for {}: {} evidenced, {} partially, {} not evidenced by the platform, {} not applicable; digest {}{}; written to {}",
        pack.framework,
        pack.client,
        s.evidenced,
        s.partially,
        s.not_evidenced,
        s.not_applicable,
        pack.digest,
        pack.record.as_ref().map_or(String::new(), |r| format!(
            ", recorded as audit entry {}",
            r.seq
        )),
        out.display()
    );
}

async fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let pack: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not JSON (verify the JSON form of a pack)",
            args.file.display()
        )
    })?;
    let db = args.data.join("vigil.db");
    if !db.is_file() {
        bail!("no database at {}", db.display());
    }
    let pub_file = public_key_path(&args.data.join(AuditSigner::FILE_NAME));
    let trusted = crate::desk::public_key(args.public_key.as_deref(), Some(&pub_file))?;
    let store = crate::store::open_sqlite(&args.data)?;
    let desk_store: &dyn DeskStore = store.as_ref();
    let ok = verify_evidence_pack(desk_store, &pack, trusted.as_ref())
        .await
        .map_err(|e| anyhow::anyhow!("PACK DOES NOT VERIFY: {e}"))?;
    println!(
        "{} pack of {} verifies: {} entries and the pack digest {} match audit entry {}, proven under signed checkpoint {} ({} entries, key {})",
        ok.framework, ok.tenant, ok.entries, ok.digest, ok.seq, ok.checkpoint, ok.tree_size, ok.key
    );
    Ok(())
}
