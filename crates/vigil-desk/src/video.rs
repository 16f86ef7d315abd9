//! Video at alarm time: a camera's picture kept as evidence on the alarm,
//! with its SHA-256 digest, the live stream and the VMS's recording at that
//! time — or, when the camera could not be reached, why not. A failure is
//! recorded on the alarm; it never holds the alarm up.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_model::{AlertId, TenantId, Timestamp};

use crate::DeskError;
use crate::record::DeskObject;

/// The largest picture kept (a camera's full-resolution JPEG is well below).
pub const MAX_SNAPSHOT_BYTES: usize = 4 * 1024 * 1024;

/// What a camera gave for an alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmSnapshot {
    /// The alarm.
    pub alarm: AlertId,
    /// Its client.
    pub tenant: TenantId,
    /// The camera.
    pub camera: String,
    /// When the picture was asked for.
    pub taken_at: Timestamp,
    /// `image/jpeg` or `image/png`, when there is a picture.
    pub content_type: Option<String>,
    /// Its size in bytes.
    pub size: usize,
    /// SHA-256 of the picture, hex.
    pub sha256: Option<String>,
    /// The live stream (RTSP), when the camera gave one.
    pub stream_uri: Option<String>,
    /// The VMS's recording at the alarm's time, when configured.
    pub recording_url: Option<String>,
    /// Why there is no picture.
    pub error: Option<String>,
    /// The picture, base64; left out of listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl AlarmSnapshot {
    /// A picture from `camera` for `alarm`; refused beyond
    /// [`MAX_SNAPSHOT_BYTES`] or when not a JPEG or PNG.
    #[allow(clippy::too_many_arguments)]
    pub fn picture(
        alarm: AlertId,
        tenant: TenantId,
        camera: &str,
        taken_at: Timestamp,
        content_type: &str,
        bytes: &[u8],
        stream_uri: Option<String>,
        recording_url: Option<String>,
    ) -> Result<Self, DeskError> {
        if bytes.len() > MAX_SNAPSHOT_BYTES {
            return Err(DeskError::invalid(
                "snapshot",
                format!(
                    "{} bytes is over the limit of {MAX_SNAPSHOT_BYTES}",
                    bytes.len()
                ),
            ));
        }
        let looks = match content_type {
            "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            _ => false,
        };
        if !looks {
            return Err(DeskError::invalid(
                "snapshot",
                format!("not a JPEG or PNG picture (Content-Type `{content_type}`)"),
            ));
        }
        Ok(Self {
            alarm,
            tenant,
            camera: camera.to_owned(),
            taken_at,
            content_type: Some(content_type.to_owned()),
            size: bytes.len(),
            sha256: Some(hex::encode(Sha256::digest(bytes))),
            stream_uri,
            recording_url,
            error: None,
            data: Some(B64.encode(bytes)),
        })
    }

    /// No picture from `camera`, and why.
    pub fn failed(
        alarm: AlertId,
        tenant: TenantId,
        camera: &str,
        taken_at: Timestamp,
        error: &str,
        recording_url: Option<String>,
    ) -> Self {
        Self {
            alarm,
            tenant,
            camera: camera.to_owned(),
            taken_at,
            content_type: None,
            size: 0,
            sha256: None,
            stream_uri: None,
            recording_url,
            error: Some(error.chars().take(500).collect()),
            data: None,
        }
    }

    /// The record's id: one per alarm and camera.
    pub fn key(alarm: AlertId, camera: &str) -> String {
        format!("{alarm}:{camera}")
    }

    /// The picture's bytes, checked against the recorded digest.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        let bytes = B64.decode(self.data.as_ref()?).ok()?;
        let digest = hex::encode(Sha256::digest(&bytes));
        (self.sha256.as_deref() == Some(digest.as_str())).then_some(bytes)
    }

    /// The same without the picture, for listings.
    pub fn without_data(mut self) -> Self {
        self.data = None;
        self
    }
}

impl DeskObject for AlarmSnapshot {
    const KIND: &'static str = "snapshot";
    fn id(&self) -> String {
        Self::key(self.alarm, &self.camera)
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        if self.error.is_some() {
            "failed"
        } else {
            "taken"
        }
        .into()
    }
    fn link(&self) -> Option<String> {
        Some(self.alarm.to_string())
    }
    fn alert(&self) -> Option<AlertId> {
        Some(self.alarm)
    }
    fn at(&self) -> Timestamp {
        self.taken_at
    }
    fn updated_at(&self) -> Timestamp {
        self.taken_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm() -> AlertId {
        vigil_model::alert_id_for(
            &TenantId::new("northgate").unwrap(),
            "r",
            "",
            chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
        )
    }

    #[test]
    fn a_picture_is_kept_with_its_digest_and_refused_when_not_one() {
        let at = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        let t = TenantId::new("northgate").unwrap();
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        let s = AlarmSnapshot::picture(
            alarm(),
            t.clone(),
            "cam-1",
            at,
            "image/jpeg",
            &jpeg,
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            s.sha256.as_deref(),
            Some(hex::encode(Sha256::digest(jpeg)).as_str())
        );
        assert_eq!(s.bytes().unwrap(), jpeg);
        let mut tampered = s.clone();
        tampered.sha256 = Some("00".into());
        assert!(tampered.bytes().is_none());
        assert!(
            AlarmSnapshot::picture(
                alarm(),
                t.clone(),
                "c",
                at,
                "image/jpeg",
                b"<html>",
                None,
                None
            )
            .is_err()
        );
        assert!(
            AlarmSnapshot::picture(alarm(), t.clone(), "c", at, "text/html", &jpeg, None, None)
                .is_err()
        );
        let big = vec![0xFF; MAX_SNAPSHOT_BYTES + 1];
        assert!(
            AlarmSnapshot::picture(alarm(), t, "c", at, "image/jpeg", &big, None, None).is_err()
        );
    }
}
