//! `vigil`: the one binary.

mod audit_key;
mod audit_witness;
mod bench;
mod cluster;
mod compliance;
mod config;
mod configured_inventory;
mod demo;
mod demo_analyst;
mod demo_estate;
mod demo_lifecycle;
mod demo_response;
mod desk;
mod device_reports;
mod estate_import;
mod governance;
mod hunt;
mod hunt_correlation;
mod hunt_explain;
mod import;
mod lifecycle_cli;
mod node;
mod offboard;
mod report;
mod rules;
mod site_images;
mod store;
mod video;
mod visitors;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The ingest path allocates and frees many small objects per event (JSON
/// maps, strings); mimalloc does that markedly faster than the system
/// allocator (measured with `vigil bench ingest`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (its number in mimalloc 3's option enum).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tunes memory for a batch command that ends soon (a hunt):
///
/// - Keeps freed memory in the process instead of handing it back to the
///   OS after 10 ms (mimalloc's default). A hunt frees and reallocates
///   buffers in waves; each purge made the kernel zero the same huge pages
///   again, about a tenth of a hunt's CPU time (measured with `perf` on
///   `vigil hunt --stats`).
/// - Turns transparent huge pages off for the process. Every page a
///   process touches first costs a fault, and on a virtual machine whose
///   idle memory goes back to its host (free page reporting, DAMON) that
///   fault is dear: huge pages made a hunt touch 190 MB rather than 130,
///   and a hunt started after a few idle seconds took 1.70 s rather than
///   1.47 s (2,407 rules on the Security-Datasets corpus, this project's
///   2-core machine). Warm, huge pages were 0.1 s faster; a hunt is
///   usually run cold.
fn tune_memory_for_batch() {
    // SAFETY: setting an option is a plain store in mimalloc; any value is
    // valid for this option (-1 means never purge).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only
    // this process's huge-page policy; failure (an old kernel) leaves the
    // policy as it was, which is harmless.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Vigil: converged cyber-physical security operations for managed security
/// service providers.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log filter (e.g. `info`, `vigil_server=debug`); also `RUST_LOG`.
    #[arg(long, global = true, env = "VIGIL_LOG", default_value = "info")]
    log: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run everything on this machine: embedded store, three simulated client
    /// organisations with attack stories, and the API on localhost.
    Demo(demo::DemoArgs),
    /// Run the server on a real configuration (no simulator).
    Serve(ServeArgs),
    /// Import JSON-lines files (plain or gzip) for a tenant.
    Ingest(import::IngestArgs),
    /// Work with detection rules.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Mint API and ingest tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Run Sigma rules over files and folders (EVTX, JSON, JSON lines, gzip
    /// and zip of them) and print what they detect.
    Hunt(hunt::HuntArgs),
    /// Work the alarm queue of a running server (`--url`, `--token`).
    Alarms {
        #[command(subcommand)]
        command: desk::AlarmsCommand,
    },
    /// Work incidents on a running server (`--url`, `--token`).
    Incidents {
        #[command(subcommand)]
        command: desk::IncidentsCommand,
    },
    /// Verify the audit chain, or export a client's entries with proofs.
    Audit {
        #[command(subcommand)]
        command: desk::AuditCommand,
    },
    /// The physical estate: import the people register (HR export) or an
    /// access-control export; the device inventory and vendor advisories.
    Estate {
        #[command(subcommand)]
        command: estate_import::EstateCommand,
    },
    /// Reports from a data folder: a client's monthly service report.
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
    /// Compliance evidence: a client's ISO/IEC 27001 or NIS-2 evidence
    /// pack from a data folder, and the check of an exported pack against
    /// the audit chain.
    Compliance {
        #[command(subcommand)]
        command: compliance::ComplianceCommand,
    },
    /// Data retention: check a deletion's proof in the audit chain against
    /// a list of ids.
    Retention {
        #[command(subcommand)]
        command: governance::RetentionCommand,
    },
    /// A client's data: off-board it (export, delete, certify), or check a
    /// deletion certificate.
    Tenant {
        #[command(subcommand)]
        command: offboard::TenantCommand,
    },
    /// Measure throughput (not a test; prints figures).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The configuration file.
    #[arg(long, short, default_value = "vigil.toml")]
    config: PathBuf,
    /// Overrides the configuration's `listen`.
    #[arg(long)]
    listen: Option<SocketAddr>,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Prints a new random token and the SHA-256 to put in vigil.toml.
    New,
    /// Prints the SHA-256 of a token read from standard input.
    Hash,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = std::env::var("RUST_LOG").unwrap_or(cli.log.clone());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => demo::run(args).await,
            Command::Serve(args) => serve(args).await,
            Command::Ingest(args) => import::run(args).await,
            Command::Rules { command } => rules::run(command),
            Command::Token { command } => token(command),
            Command::Bench { command } => bench::run(command).await,
            Command::Estate { command } => estate_import::run(command).await,
            Command::Alarms { command } => desk::alarms(command).await,
            Command::Incidents { command } => desk::incidents(command).await,
            Command::Audit { command } => desk::audit(command).await,
            Command::Report { command } => report::run(command).await,
            Command::Compliance { command } => compliance::run(command).await,
            Command::Retention { command } => governance::run(command).await,
            Command::Tenant { command } => offboard::run(command).await,
            Command::Hunt(args) => {
                tune_memory_for_batch();
                hunt::run(args)
            }
        }
    })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (config, resolved) = config::Config::load(&args.config)?;
    let ((detector, correlations), notes) = rules::load_engine_with_notes(
        config.builtin_rules,
        &config.rules,
        &config.pipelines,
        &config.placeholders,
    )?;
    let correlations = rules::correlation_stage(correlations, &config.correlation);
    let rules_loaded = detector.rule_count();
    let spec = node::NodeSpec {
        data_dir: config.data_dir.clone(),
        store: config.store.clone(),
        tls: config.tls_files(),
        bus: config.bus.clone(),
        listen: args.listen.unwrap_or(config.listen),
        retention: resolved.retention.clone(),
        alert_window: chrono::Duration::minutes(i64::from(config.alert_window_minutes.max(1))),
        limits: vigil_sources::Limits {
            max_ingest_bytes: config.max_ingest_bytes,
            max_failed_auth_per_minute: config.max_failed_auth_per_minute,
            ..Default::default()
        },
        resolved,
        detector,
        clock: std::sync::Arc::new(vigil_model::SystemClock),
        desk: config.desk.clone().resolve()?,
    };
    let node = node::Node::start_with(spec, correlations).await?;
    // The configured folders' rules too, not only the built-in ones.
    node.desk.set_rule_notes(notes);
    desk::record_start(
        &node.desk,
        &args.config,
        config.builtin_rules,
        &config.rules,
        rules_loaded,
    )
    .await?;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    println!("vigil serving on {scheme}://{}", node.http_addr);
    for (id, (kind, addr)) in &node.syslog_addrs {
        println!("  source {id}: {} on {addr}", kind.as_str());
    }
    shutdown_signal().await;
    eprintln!("shutting down");
    node.stop().await
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::New => {
            let token = vigil_server::auth::new_token();
            let hash = hex::encode(vigil_server::auth::hash_token(&token));
            println!("token:        {token}");
            println!("token_sha256: {hash}");
            println!("Give the token to its holder; put only token_sha256 in vigil.toml.");
        }
        TokenCommand::Hash => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            println!(
                "{}",
                hex::encode(vigil_server::auth::hash_token(line.trim()))
            );
        }
    }
    Ok(())
}
