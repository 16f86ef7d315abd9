//! `vigil estate inventory import|list` and `vigil estate advisories
//! import`: a client's device inventory from CSV and the vendors' CSAF 2.0
//! advisories, into a data folder (as the other estate commands do) or,
//! with `--url`, through a running server's API (as `vigil compliance
//! report` does). Every file is read and checked before anything is
//! written; a bad one is named with the line and column or JSON path.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use vigil_desk::lifecycle::{AdvisoryImport, DeviceView, InventoryImport};
use vigil_desk::service::Desk;
use vigil_desk::{Actor, DeskConfig};
use vigil_lifecycle::advisory::Advisory;
use vigil_lifecycle::matching::Certainty;
use vigil_model::{SystemClock, TenantId};

/// Where a command reads and writes: a data folder, or a running server.
#[derive(Debug, Args)]
pub struct Target {
    /// Data folder of the embedded store.
    #[arg(long, default_value = "./vigil-data")]
    data: PathBuf,
    /// Ask a running server instead of the data folder.
    #[arg(long, requires = "token")]
    url: Option<String>,
    /// The API token for --url.
    #[arg(long, env = "VIGIL_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// `vigil estate inventory …`
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Import an inventory CSV into a client's inventory: all of it, or
    /// nothing when any line is bad (the error names the line and column).
    Import {
        /// The CSV (columns: site, device_id, kind, vendor, model, serial,
        /// firmware, installed, warranty_until, end_of_support, source,
        /// zone, x, y).
        file: PathBuf,
        /// The client.
        #[arg(long)]
        tenant: TenantId,
        #[command(flatten)]
        target: Target,
    },
    /// List a client's devices with firmware, end of support and the
    /// advisories affecting each.
    List {
        /// The client.
        #[arg(long)]
        tenant: TenantId,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        target: Target,
    },
}

/// `vigil estate advisories …`
#[derive(Debug, Subcommand)]
pub enum AdvisoriesCommand {
    /// Import CSAF 2.0 advisories (files, or folders of `.json` files) into
    /// the provider-wide catalogue; every document is checked first, and
    /// one that does not validate stops the import before anything is
    /// written.
    Import {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
        #[command(flatten)]
        target: Target,
    },
}

/// The actor the CLI acts as on a data folder.
fn cli_actor(what: &str) -> Actor {
    Actor::system(&format!("cli:{what}"))
}

async fn local_desk(data: &Path) -> anyhow::Result<(Desk, Arc<vigil_store::sqlite::SqliteStore>)> {
    let store = crate::store::open_sqlite(data)?;
    let desk = Desk::new(
        store.clone(),
        Arc::new(SystemClock),
        DeskConfig::default(),
        None,
    )
    .await?;
    Ok((desk, store))
}

/// Sends `request` with the token; the JSON answer, or the server's error.
async fn call(
    request: reqwest::RequestBuilder,
    target: &Target,
) -> anyhow::Result<serde_json::Value> {
    let response = request
        .bearer_auth(target.token.as_deref().unwrap_or_default())
        .send()
        .await
        .context("cannot reach the server")?;
    let status = response.status();
    let bytes = response.bytes().await?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if !status.is_success() {
        let message = value
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or_default();
        bail!("{status}: {message}");
    }
    Ok(value)
}

fn endpoint(url: &str, path: &str) -> String {
    format!("{}{path}", url.trim_end_matches('/'))
}

/// Runs `vigil estate inventory …`.
pub async fn inventory(command: InventoryCommand) -> anyhow::Result<()> {
    match command {
        InventoryCommand::Import {
            file,
            tenant,
            target,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            let import: InventoryImport = match &target.url {
                Some(url) => {
                    let request = reqwest::Client::new()
                        .post(endpoint(url, &format!("/api/v1/estate/{tenant}/inventory")))
                        .header("content-type", "text/csv")
                        .body(text);
                    let value = call(request, &target)
                        .await
                        .with_context(|| format!("{name} was not imported"))?;
                    serde_json::from_value(value)?
                }
                None => {
                    let (desk, store) = local_desk(&target.data).await?;
                    crate::estate_import::ensure_tenant(store.as_ref(), &tenant).await?;
                    desk.import_inventory(
                        &cli_actor("inventory-import"),
                        &tenant,
                        &text,
                        Some(&name),
                    )
                    .await
                    .with_context(|| format!("{name} was not imported; nothing was written"))?
                }
            };
            println!(
                "{name}: {} devices for {tenant}: {} added, {} updated, {} unchanged",
                import.devices, import.added, import.updated, import.unchanged
            );
            Ok(())
        }
        InventoryCommand::List {
            tenant,
            json,
            target,
        } => {
            let devices: Vec<DeviceView> = match &target.url {
                Some(url) => {
                    let request = reqwest::Client::new()
                        .get(endpoint(url, &format!("/api/v1/estate/{tenant}/inventory")));
                    let value = call(request, &target).await?;
                    serde_json::from_value(value.get("devices").cloned().unwrap_or_default())?
                }
                None => {
                    let (desk, _) = local_desk(&target.data).await?;
                    desk.inventory_findings(&cli_actor("inventory-list"), &tenant)
                        .await?
                }
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&devices)?);
            } else {
                print_table(&devices);
            }
            Ok(())
        }
    }
}

fn print_table(devices: &[DeviceView]) {
    println!(
        "{:<10} {:<18} {:<14} {:<18} {:<30} {:<14} {:<5} ADVISORIES",
        "SITE", "DEVICE", "KIND", "VENDOR", "MODEL", "FIRMWARE", "EOS"
    );
    for v in devices {
        let d = &v.device;
        let advisories: Vec<String> = v
            .findings
            .advisories
            .iter()
            .map(|m| {
                let certainty = match m.certainty {
                    Certainty::Affected => "affected",
                    Certainty::Conditional { .. } => "conditional",
                    Certainty::Unverified { .. } => "unverified",
                };
                format!("{} ({certainty})", m.advisory)
            })
            .collect();
        println!(
            "{:<10} {:<18} {:<14} {:<18} {:<30} {:<14} {:<5} {}",
            d.site,
            d.id,
            d.kind.as_str(),
            d.vendor,
            d.model,
            d.firmware.as_deref().unwrap_or("-"),
            if v.findings.past_end_of_support {
                "PAST"
            } else {
                ""
            },
            advisories.join(", ")
        );
    }
    let affected = devices.iter().filter(|v| v.findings.has_findings()).count();
    println!("{} devices, {affected} with findings", devices.len());
}

/// The JSON files `paths` name: files as given, folders' `.json` files
/// sorted by name.
fn advisory_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read folder {}", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
                .collect();
            found.sort();
            if found.is_empty() {
                bail!("{}: no .json files", path.display());
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Runs `vigil estate advisories …`.
pub async fn advisories(command: AdvisoriesCommand) -> anyhow::Result<()> {
    let AdvisoriesCommand::Import {
        paths,
        no_progress,
        target,
    } = command;
    let files = advisory_files(&paths)?;
    let bar = if no_progress || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(files.len() as u64).with_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    };
    bar.set_message("checking");
    let mut parsed: Vec<(PathBuf, Vec<u8>, Advisory)> = Vec::with_capacity(files.len());
    for file in &files {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let advisory = vigil_lifecycle::advisory::parse(&bytes).map_err(|e| {
            anyhow::anyhow!(
                "{}: not a valid CSAF 2.0 advisory: {e}; nothing was imported",
                file.display()
            )
        })?;
        parsed.push((file.clone(), bytes, advisory));
        bar.inc(1);
    }
    let import = match &target.url {
        // One request per document, each within the server's body limit;
        // every document was checked above, so none is refused as invalid.
        Some(url) => {
            bar.set_position(0);
            bar.set_message("sending");
            let http = reqwest::Client::new();
            let mut total = AdvisoryImport::default();
            for (file, bytes, _) in parsed {
                let request = http
                    .post(endpoint(url, "/api/v1/advisories"))
                    .header("content-type", "application/json")
                    .body(bytes);
                let value = call(request, &target)
                    .await
                    .with_context(|| format!("{} was not imported", file.display()))?;
                let one: AdvisoryImport = serde_json::from_value(value)?;
                total.documents += one.documents;
                total.added += one.added;
                total.replaced += one.replaced;
                total.unchanged += one.unchanged;
                bar.inc(1);
            }
            total
        }
        None => {
            bar.set_message("writing");
            let (desk, _) = local_desk(&target.data).await?;
            desk.import_advisories(
                &cli_actor("advisories-import"),
                parsed.into_iter().map(|(_, _, a)| a).collect(),
            )
            .await?
        }
    };
    bar.finish_and_clear();
    println!(
        "{} advisories: {} added, {} replaced by a newer revision, {} unchanged",
        import.documents, import.added, import.replaced, import.unchanged
    );
    Ok(())
}
