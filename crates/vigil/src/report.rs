//! `vigil report service`: a client's monthly service report from a data
//! folder, as PDF, HTML, CSV or JSON, without a running server. The figures
//! and how they are counted: `vigil_desk::reporting::service`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use vigil_desk::DeskConfig;
use vigil_desk::reporting::render::{Format, render};
use vigil_desk::reporting::service::Month;
use vigil_desk::service::{Desk, ServiceLevels, ServiceReportRequest};
use vigil_model::{Clock, SystemClock, TenantId, Timestamp};
use vigil_store::{DeskStore, EstateStore, Store, TenantScope};

/// `vigil report …`
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// A client's monthly service report: acknowledgement shares, times to
    /// detect, acknowledge, notify, contain and resolve, SLA met and
    /// breached per class, false alarms, availability, operators, weekly
    /// trends, with the rows behind every figure (CSV).
    Service(ServiceArgs),
}

/// `vigil report service` options.
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// The client (default: every client, cut in UTC).
    #[arg(long)]
    tenant: Option<String>,
    /// The month, YYYY-MM (cut at midnight in the client's time zone).
    #[arg(long, value_parser = Month::parse)]
    month: Month,
    /// pdf, html, csv or json.
    #[arg(long, default_value = "pdf")]
    format: Format,
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
    /// The data folder.
    #[arg(long, default_value = "./vigil-data")]
    data: PathBuf,
    /// vigil.toml, for the clients' contracts and the desk's settings
    /// (default: the built-in default contract for every client).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Read clocks and states at this instant (RFC 3339; default: now, or
    /// the newest audit entry if the data runs ahead of this machine's clock,
    /// as a demo's accelerated clock does).
    #[arg(long)]
    as_of: Option<Timestamp>,
}

/// Runs `vigil report …`.
pub async fn run(command: ReportCommand) -> anyhow::Result<()> {
    match command {
        ReportCommand::Service(args) => service(args).await,
    }
}

async fn service(args: ServiceArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = args.data.join("vigil.db");
    if !db.is_file() {
        bail!("no database at {}", db.display());
    }
    let (desk_config, contracts) = match &args.config {
        Some(path) => {
            let (config, resolved) = crate::config::Config::load(path)?;
            (config.desk.clone().resolve()?, resolved.contracts)
        }
        None => (DeskConfig::default(), Default::default()),
    };
    let store = crate::store::open_sqlite(&args.data)?;
    let tenant = match &args.tenant {
        Some(t) => {
            let id = TenantId::new(t).with_context(|| format!("--tenant `{t}`"))?;
            let known = store.tenants(&TenantScope::All).await?;
            if !known.iter().any(|k| k.id == id) {
                let names: Vec<String> = known.iter().map(|k| k.id.to_string()).collect();
                bail!(
                    "no client `{t}` in {} (clients: {})",
                    args.data.display(),
                    names.join(", ")
                );
            }
            Some(id)
        }
        None => None,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let as_of = match args.as_of {
        Some(t) => t,
        None => {
            let now = clock.now();
            let newest = store
                .audit_entries(&TenantScope::All, None, 1)
                .await?
                .first()
                .map(|e| e.at);
            match newest {
                Some(t) if t > now => {
                    eprintln!(
                        "the data runs ahead of this machine's clock (a demo's accelerated clock?): reading it as of its newest audit entry, {t}"
                    );
                    t
                }
                _ => now,
            }
        }
    };
    let desk = Desk::new(store.clone(), clock, desk_config, None).await?;
    desk.set_service_levels(ServiceLevels {
        contracts,
        rules: crate::rules::rule_facts(),
        ..Default::default()
    });
    let estate: &dyn EstateStore = store.as_ref();
    let report = desk
        .service_report(
            &ServiceReportRequest {
                tenant,
                month: args.month,
                as_of: Some(as_of),
            },
            Some(estate),
        )
        .await?;
    let bytes = render(&report, args.format)?;
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let s = &report.summary;
    eprintln!(
        "{} {} for {}: {} alarms, {} incidents, {} SLA clocks met of {} decided; {} written to {} in {} ms",
        args.format,
        report.period.month,
        report.client.name,
        s.key.alarms,
        s.key.incidents,
        s.key.sla_met,
        s.key.sla_met + s.key.sla_breached,
        human_bytes(bytes.len()),
        args.out.display(),
        started.elapsed().as_millis()
    );
    Ok(())
}

fn human_bytes(n: usize) -> String {
    if n < 10_000 {
        format!("{n} bytes")
    } else {
        format!("{} kB", n / 1000)
    }
}
