//! `vigil ingest`: import JSON-lines files (plain or gzip) for a tenant.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vigil_ingest::{Payload, Pipeline, PipelineConfig};
use vigil_model::{SiteId, SourceBinding, SourceId, SourceKind, SystemClock, Tenant, TenantId};
use vigil_store::{LocalBus, TenantScope};

/// Lines sent through the pipeline per commit.
const LINES_PER_BATCH: usize = 2_000;

/// `vigil ingest` options.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The tenant the events belong to.
    #[arg(long)]
    tenant: TenantId,
    /// The site the events belong to (must exist in the tenant).
    #[arg(long)]
    site: Option<SiteId>,
    /// The product that wrote the events (`windows`, `sysmon`, `json` …);
    /// used for normalization and rule selection.
    #[arg(long, default_value = "json")]
    product: String,
    /// The source binding to record them under (default `import-<tenant>`).
    #[arg(long)]
    source: Option<SourceId>,
    /// Use this configuration's data folder and rules.
    #[arg(long, short, conflicts_with = "data")]
    config: Option<PathBuf>,
    /// Data folder of the embedded store (when no configuration is given).
    #[arg(long, default_value = "./vigil-data")]
    data: PathBuf,
    /// Sigma rule folders to run (in addition to Vigil's own).
    #[arg(long)]
    rules: Vec<PathBuf>,
    /// Do not run Vigil's built-in rules.
    #[arg(long)]
    no_builtin_rules: bool,
    /// Files of JSON lines, plain or gzip-compressed.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Runs `vigil ingest`.
pub async fn run(args: IngestArgs) -> anyhow::Result<()> {
    let (data_dir, mut rule_dirs, mut builtin) = match &args.config {
        Some(path) => {
            let (config, _) = crate::config::Config::load(path)?;
            (config.data_dir, config.rules, config.builtin_rules)
        }
        None => (args.data.clone(), Vec::new(), true),
    };
    rule_dirs.extend(args.rules.iter().cloned());
    builtin &= !args.no_builtin_rules;
    for file in &args.files {
        if !file.is_file() {
            bail!("{} is not a file", file.display());
        }
    }

    let store = crate::store::open_store(&data_dir)?;
    let binding = ensure_binding(store.as_ref(), &args).await?;
    let detector = crate::rules::load_for_serving(builtin, &rule_dirs)?;
    let pipeline = Pipeline::new(
        store,
        Arc::new(LocalBus::new(16)),
        Arc::new(SystemClock),
        detector,
        PipelineConfig::default(),
    );

    let total: u64 = args
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut summary = Summary::default();
    for file in &args.files {
        import_file(&pipeline, &binding, file, &bar, &mut summary).await?;
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "{} file(s): {} events stored, {} dead letters, {} alerts raised ({} updated) in {:.1}s ({:.0} events/s)",
        args.files.len(),
        summary.accepted,
        summary.dead_letters,
        summary.alerts_created,
        summary.alerts_updated,
        secs,
        summary.accepted as f64 / secs
    );
    for (file, line, reason) in summary.first_rejections.iter() {
        println!("  dead letter: {file} line {line}: {reason}");
    }
    if summary.dead_letters > summary.first_rejections.len() {
        println!(
            "  … and {} more; see GET /api/v1/dead-letters?source={}",
            summary.dead_letters - summary.first_rejections.len(),
            binding.id
        );
    }
    Ok(())
}

#[derive(Default)]
struct Summary {
    accepted: usize,
    dead_letters: usize,
    alerts_created: usize,
    alerts_updated: usize,
    first_rejections: Vec<(String, usize, String)>,
}

/// Rejections printed in full at the end; the rest are counted.
const REJECTIONS_SHOWN: usize = 10;

async fn ensure_binding(
    store: &dyn vigil_store::Store,
    args: &IngestArgs,
) -> anyhow::Result<SourceBinding> {
    let scope = TenantScope::One(args.tenant.clone());
    if store.tenants(&scope).await?.is_empty() {
        eprintln!("tenant `{}` did not exist; created it", args.tenant);
        store
            .upsert_tenant(&Tenant {
                id: args.tenant.clone(),
                name: args.tenant.to_string(),
            })
            .await?;
    }
    if let Some(site) = &args.site {
        let sites = store.sites(&scope).await?;
        if !sites.iter().any(|s| &s.id == site) {
            bail!("tenant `{}` has no site `{site}`", args.tenant);
        }
    }
    let id = match &args.source {
        Some(id) => id.clone(),
        None => SourceId::new(&format!("import-{}", args.tenant))
            .context("cannot name the import source; pass --source")?,
    };
    let binding = SourceBinding {
        id,
        tenant: args.tenant.clone(),
        site: args.site.clone(),
        kind: SourceKind::File,
        product: args.product.clone(),
    };
    store.upsert_source(&binding, None).await?;
    Ok(binding)
}

async fn import_file(
    pipeline: &Pipeline,
    binding: &SourceBinding,
    path: &std::path::Path,
    bar: &ProgressBar,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let name = path.display().to_string();
    bar.set_message(name.clone());
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?;
    let mut reader = BufReader::new(bar.wrap_read(file));
    // gzip by content, not by name: the magic bytes 1f 8b.
    let is_gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let lines: Box<dyn Read> = if is_gzip {
        Box::new(flate2::read::MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    let mut lines = BufReader::with_capacity(1 << 20, lines);
    let mut first_line = 1;
    loop {
        let mut body = Vec::with_capacity(LINES_PER_BATCH * 1024);
        let mut count = 0;
        while count < LINES_PER_BATCH {
            let n = lines
                .read_until(b'\n', &mut body)
                .with_context(|| format!("cannot read {name} after line {}", first_line + count))?;
            if n == 0 {
                break;
            }
            count += 1;
        }
        if count == 0 {
            return Ok(());
        }
        let payload = Payload::Ndjson {
            body,
            first_line,
            origin: Some(name.clone()),
        };
        let outcome = pipeline
            .ingest(binding, payload)
            .await
            .with_context(|| format!("cannot store events from {name}"))?;
        summary.accepted += outcome.accepted;
        summary.dead_letters += outcome.rejected.len();
        summary.alerts_created += outcome.alerts_created;
        summary.alerts_updated += outcome.alerts_updated;
        for r in outcome.rejected {
            if summary.first_rejections.len() < REJECTIONS_SHOWN {
                summary
                    .first_rejections
                    .push((name.clone(), r.line, r.reason));
            }
        }
        first_line += count;
    }
}
