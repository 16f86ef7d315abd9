//! `vigil estate import-people` and `vigil estate import-access`: an HR
//! export into the people register, and an access-control system's CSV
//! export into events; `vigil estate inventory …` and `vigil estate
//! advisories …` are in `lifecycle_cli.rs`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use vigil_ingest::{Payload, Pipeline, PipelineConfig};
use vigil_model::{SiteId, SourceBinding, SourceId, SourceKind, SystemClock, TenantId};
use vigil_store::{EstateStore, LocalBus, Store};

/// `vigil estate …`
#[derive(Debug, Subcommand)]
pub enum EstateCommand {
    /// Replace a tenant's people register with an HR export (CSV or JSON):
    /// people, status (active, on leave, terminated, with dates), badges,
    /// IT accounts.
    ImportPeople {
        /// The export.
        file: PathBuf,
        /// The tenant it describes.
        #[arg(long)]
        tenant: TenantId,
        /// Data folder of the embedded store.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
    },
    /// Import an access-control system's CSV export as events.
    ImportAccess {
        /// The export.
        file: PathBuf,
        /// The tenant it belongs to.
        #[arg(long)]
        tenant: TenantId,
        /// The site it belongs to.
        #[arg(long)]
        site: Option<SiteId>,
        /// The source to record it under (default `access-import-<tenant>`).
        #[arg(long)]
        source: Option<SourceId>,
        /// Data folder of the embedded store.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
    },
    /// The device inventory of a client (issue 21): import a CSV, list the
    /// devices with the advisories affecting them.
    Inventory {
        #[command(subcommand)]
        command: crate::lifecycle_cli::InventoryCommand,
    },
    /// Vendor security advisories (CSAF 2.0), provider-wide.
    Advisories {
        #[command(subcommand)]
        command: crate::lifecycle_cli::AdvisoriesCommand,
    },
}

/// Runs `vigil estate …`.
pub async fn run(command: EstateCommand) -> anyhow::Result<()> {
    match command {
        EstateCommand::Inventory { command } => crate::lifecycle_cli::inventory(command).await,
        EstateCommand::Advisories { command } => crate::lifecycle_cli::advisories(command).await,
        EstateCommand::ImportPeople { file, tenant, data } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let people = vigil_estate::people_import::parse(&tenant, &text)
                .with_context(|| format!("{} is not a people export", file.display()))?;
            let store = crate::store::open_sqlite(&data)?;
            ensure_tenant(store.as_ref(), &tenant).await?;
            let import = store.replace_people(&tenant, &people).await?;
            println!(
                "tenant {tenant}: {} people, {} badges, {} accounts (register revision {}); a running server picks it up within seconds",
                import.people, import.badges, import.accounts, import.revision
            );
            Ok(())
        }
        EstateCommand::ImportAccess {
            file,
            tenant,
            site,
            source,
            data,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let rows = vigil_sources::access::parse_csv(&text)
                .with_context(|| format!("{} is not an access-control export", file.display()))?;
            let sqlite = crate::store::open_sqlite(&data)?;
            ensure_tenant(sqlite.as_ref(), &tenant).await?;
            let id = match source {
                Some(id) => id,
                None => SourceId::new(&format!("access-import-{tenant}"))
                    .context("cannot name the import source; pass --source")?,
            };
            let binding = SourceBinding {
                id,
                tenant: tenant.clone(),
                site,
                kind: SourceKind::File,
                product: "access".into(),
            };
            sqlite.upsert_source(&binding, None).await?;
            let people = sqlite
                .people(&vigil_store::TenantScope::One(tenant))
                .await?;
            let detector = crate::rules::load_for_serving(true, &[])?;
            let store: Arc<dyn Store> = sqlite;
            let pipeline = Pipeline::new(
                store,
                Arc::new(LocalBus::new(16)),
                Arc::new(SystemClock),
                detector,
                PipelineConfig::default(),
            );
            pipeline.set_people(Arc::new(vigil_ingest::PeopleRegister::new(people)));
            let mut stored = 0;
            let mut refused = Vec::new();
            for chunk in rows.chunks(2_000) {
                let outcome = pipeline
                    .ingest(&binding, Payload::Records(chunk.to_vec()))
                    .await?;
                stored += outcome.accepted;
                refused.extend(outcome.rejected);
            }
            println!(
                "{}: {stored} events stored, {} rows refused",
                file.display(),
                refused.len()
            );
            for r in chunk_reasons(&rows) {
                println!("  refused: {r}");
            }
            Ok(())
        }
    }
}

fn chunk_reasons(rows: &[vigil_sources::access::ImportedRow]) -> Vec<String> {
    rows.iter()
        .filter_map(|(r, _)| r.as_ref().err().cloned())
        .take(10)
        .collect()
}

/// Creates `tenant` (named after its id) when the store does not know it.
pub(crate) async fn ensure_tenant(store: &dyn Store, tenant: &TenantId) -> anyhow::Result<()> {
    if store
        .tenants(&vigil_store::TenantScope::One(tenant.clone()))
        .await?
        .is_empty()
    {
        store
            .upsert_tenant(&vigil_model::Tenant {
                id: tenant.clone(),
                name: tenant.to_string(),
            })
            .await?;
        eprintln!("tenant `{tenant}` did not exist; created it");
    }
    Ok(())
}
