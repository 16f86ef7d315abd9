//! Sites' floor-plan images: read from the files the configuration names
//! and checked when it is loaded; stored through the desk when the node
//! starts, so every node serves the same picture.

use std::path::Path;

use anyhow::Context;
use vigil_desk::service::Desk;
use vigil_desk::site_image::{SiteImage, content_type_of};
use vigil_model::{SiteId, TenantId};

/// A site's floor-plan image as read from its file (checked).
#[derive(Debug, Clone)]
pub struct SiteImageFile {
    /// The client.
    pub tenant: TenantId,
    /// The site.
    pub site: SiteId,
    /// The file it came from.
    pub source: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Reads and checks `file` (relative to `base`, the configuration's folder).
pub fn read(
    base: Option<&Path>,
    tenant: &TenantId,
    site: &SiteId,
    file: &Path,
) -> anyhow::Result<SiteImageFile> {
    let path = match base {
        Some(base) if file.is_relative() => base.join(file),
        _ => file.to_path_buf(),
    };
    let source = path.display().to_string();
    let bytes = std::fs::read(&path).with_context(|| {
        format!("floor_plan_image of site `{site}` of tenant `{tenant}`: cannot read {source}")
    })?;
    content_type_of(&source, &bytes)?;
    Ok(SiteImageFile {
        tenant: tenant.clone(),
        site: site.clone(),
        source,
        bytes,
    })
}

/// Stores the images the store does not hold yet.
pub async fn store(desk: &Desk, files: &[SiteImageFile]) -> anyhow::Result<()> {
    let now = desk.now();
    let images = files
        .iter()
        .map(|f| SiteImage::new(f.tenant.clone(), f.site.clone(), &f.source, &f.bytes, now))
        .collect::<Result<Vec<_>, _>>()?;
    let stored = desk.store_site_images(&images).await?;
    if stored > 0 {
        tracing::info!(stored, "floor-plan images stored");
    }
    Ok(())
}
