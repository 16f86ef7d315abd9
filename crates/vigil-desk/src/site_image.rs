//! A site's floor-plan image: the drawing (SVG or PNG) the site view lays
//! its devices over. It comes from configuration and is kept in the store,
//! so that every node serves the same picture, checked against its digest.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_model::{SiteId, TenantId, Timestamp};

use crate::DeskError;
use crate::record::DeskObject;

/// The largest floor-plan image accepted.
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// A site's floor-plan image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteImage {
    /// The client.
    pub tenant: TenantId,
    /// The site.
    pub site: SiteId,
    /// `image/svg+xml` or `image/png`.
    pub content_type: String,
    /// SHA-256 of the image, hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: usize,
    /// When it was stored.
    pub stored_at: Timestamp,
    /// The image, base64.
    pub data: String,
}

impl SiteImage {
    /// An image read from `source` (named in errors), checked by
    /// [`content_type_of`].
    pub fn new(
        tenant: TenantId,
        site: SiteId,
        source: &str,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<Self, DeskError> {
        let content_type = content_type_of(source, bytes)?;
        Ok(Self {
            tenant,
            site,
            content_type: content_type.to_owned(),
            sha256: hex::encode(Sha256::digest(bytes)),
            size: bytes.len(),
            stored_at: now,
            data: B64.encode(bytes),
        })
    }

    /// The record's id.
    pub fn key(tenant: &TenantId, site: &SiteId) -> String {
        format!("{tenant}/{site}")
    }

    /// The image's bytes, checked against the recorded digest.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        let bytes = B64.decode(&self.data).ok()?;
        (hex::encode(Sha256::digest(&bytes)) == self.sha256).then_some(bytes)
    }
}

/// The type of a floor-plan image read from `source` (named in errors):
/// PNG by its signature, SVG by its root element; an SVG with scripts or
/// event handlers is refused (it is served from the console's own origin),
/// and so is anything over [`MAX_IMAGE_BYTES`].
pub fn content_type_of(source: &str, bytes: &[u8]) -> Result<&'static str, DeskError> {
    let bad = |reason: String| DeskError::Config {
        source_name: source.to_owned(),
        reason,
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(bad(format!(
            "the floor-plan image is {} bytes, over the limit of {MAX_IMAGE_BYTES}",
            bytes.len()
        )));
    }
    let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| bad("the floor-plan image is neither PNG nor SVG (UTF-8 XML)".into()))?;
        let lower = text.to_ascii_lowercase();
        if !lower.contains("<svg") {
            return Err(bad("the floor-plan image is neither PNG nor SVG".into()));
        }
        let handler = lower.match_indices("on").any(|(i, _)| {
            i > 0 && lower.as_bytes()[i - 1].is_ascii_whitespace() && handler_at(&lower[i + 2..])
        });
        if handler
            || ["<script", "javascript:", "<foreignobject"]
                .iter()
                .any(|b| lower.contains(b))
        {
            return Err(bad(
                "the SVG floor plan holds scripts, event handlers or foreign objects".into(),
            ));
        }
        "image/svg+xml"
    };
    Ok(content_type)
}

/// Whether `rest` (what follows an attribute's `on`) is an event handler's
/// name and `=`.
fn handler_at(rest: &str) -> bool {
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    !name.is_empty() && rest[name.len()..].trim_start().starts_with('=')
}

impl DeskObject for SiteImage {
    const KIND: &'static str = "site_image";
    fn id(&self) -> String {
        Self::key(&self.tenant, &self.site)
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        "current".into()
    }
    fn link(&self) -> Option<String> {
        Some(self.site.to_string())
    }
    fn at(&self) -> Timestamp {
        self.stored_at
    }
    fn updated_at(&self) -> Timestamp {
        self.stored_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(bytes: &[u8]) -> Result<SiteImage, DeskError> {
        SiteImage::new(
            TenantId::new("alpha").unwrap(),
            SiteId::new("plant").unwrap(),
            "plans/plant.svg",
            bytes,
            chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
        )
    }

    #[test]
    fn svg_and_png_are_kept_with_their_digest_and_scripts_refused() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" font-family="Noto Sans"/></svg>"#;
        let kept = image(svg).unwrap();
        assert_eq!(kept.content_type, "image/svg+xml");
        assert_eq!(kept.bytes().unwrap(), svg);
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(image(png).unwrap().content_type, "image/png");
        for bad in [
            &br#"<svg><script>alert(1)</script></svg>"#[..],
            br#"<svg onload="alert(1)"></svg>"#,
            b"<svg\n\tonclick = 'x()'></svg>",
            br#"<svg><a href="javascript:x()">x</a></svg>"#,
            b"GIF89a",
        ] {
            let err = image(bad).unwrap_err().to_string();
            assert!(err.contains("plans/plant.svg"), "{err}");
        }
        assert!(image(&vec![b' '; MAX_IMAGE_BYTES + 1]).is_err());
    }
}
