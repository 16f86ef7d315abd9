//! Sites' floor-plan images: stored from configuration when a node starts
//! (only when changed, audited), and read back for the site view.

use vigil_model::{SiteId, TenantId};
use vigil_store::TenantScope;

use super::Desk;
use crate::site_image::SiteImage;
use crate::{Actor, DeskError, Permission};

impl Desk {
    /// Stores each image unless the store already holds the same one.
    pub async fn store_site_images(&self, images: &[SiteImage]) -> Result<usize, DeskError> {
        let actor = Actor::system("config");
        let mut stored = 0;
        for image in images {
            let id = SiteImage::key(&image.tenant, &image.site);
            let before = match self
                .read::<SiteImage>(&id, &TenantScope::One(image.tenant.clone()))
                .await
            {
                Ok(s) => Some(s),
                Err(DeskError::NotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            if before
                .as_ref()
                .is_some_and(|b| b.value.sha256 == image.sha256)
            {
                continue;
            }
            let detail = serde_json::json!({"sha256": image.sha256, "size": image.size});
            self.commit_one(
                &actor,
                "store",
                before.as_ref(),
                image,
                detail,
                image.stored_at,
            )
            .await?;
            stored += 1;
        }
        Ok(stored)
    }

    /// A site's floor-plan image, when it has one the caller may see.
    pub async fn site_image(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        site: &SiteId,
    ) -> Result<Option<SiteImage>, DeskError> {
        actor.require(Permission::View, Some(tenant))?;
        match self
            .read::<SiteImage>(
                &SiteImage::key(tenant, site),
                &TenantScope::One(tenant.clone()),
            )
            .await
        {
            Ok(s) => Ok(Some(s.value)),
            Err(DeskError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
