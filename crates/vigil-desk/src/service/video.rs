//! Snapshots at work: kept on the alarm by the node's video job (as the
//! desk's automation, audited), listed without their pictures, and each
//! picture read back checked against its digest.

use vigil_model::AlertId;
use vigil_store::{RecordQuery, TenantScope};

use super::Desk;
use crate::alarm::Alarm;
use crate::record::DeskObject;
use crate::video::AlarmSnapshot;
use crate::{Actor, DeskError};

impl Desk {
    /// Keeps what a camera gave for an alarm (a picture or why not), once
    /// per alarm and camera: a second node's or pass's write is refused by
    /// the store as a conflict and changes nothing.
    pub async fn record_snapshot(&self, snapshot: &AlarmSnapshot) -> Result<(), DeskError> {
        let now = self.now();
        let detail = serde_json::json!({
            "camera": snapshot.camera,
            "sha256": snapshot.sha256,
            "size": snapshot.size,
            "error": snapshot.error,
        });
        self.commit_one(&Actor::system("video"), "take", None, snapshot, detail, now)
            .await
    }

    /// Whether a snapshot of `alarm` from `camera` is kept.
    pub async fn has_snapshot(&self, alarm: &Alarm, camera: &str) -> Result<bool, DeskError> {
        Ok(self
            .inner
            .store
            .desk_record(
                AlarmSnapshot::KIND,
                &AlarmSnapshot::key(alarm.id, camera),
                &TenantScope::One(alarm.tenant.clone()),
            )
            .await?
            .is_some())
    }

    /// The snapshots of an alarm, without their pictures.
    pub async fn snapshots(
        &self,
        actor: &Actor,
        alarm: AlertId,
    ) -> Result<Vec<AlarmSnapshot>, DeskError> {
        let a = self.alarm(actor, alarm).await?;
        let mut q = RecordQuery::new(AlarmSnapshot::KIND, TenantScope::One(a.tenant));
        q.link = Some(alarm.to_string());
        Ok(self
            .list::<AlarmSnapshot>(&q)
            .await?
            .into_iter()
            .map(|s| s.value.without_data())
            .collect())
    }

    /// One snapshot's picture: its type and bytes (the digest checked).
    pub async fn snapshot_picture(
        &self,
        actor: &Actor,
        alarm: AlertId,
        camera: &str,
    ) -> Result<(String, Vec<u8>), DeskError> {
        let a = self.alarm(actor, alarm).await?;
        let id = AlarmSnapshot::key(alarm, camera);
        let stored = self
            .read::<AlarmSnapshot>(&id, &TenantScope::One(a.tenant))
            .await?;
        let not_found = || DeskError::NotFound {
            what: "snapshot picture",
            id: id.chars().take(80).collect(),
        };
        let content_type = stored.value.content_type.clone().ok_or_else(not_found)?;
        let bytes = stored.value.bytes().ok_or_else(not_found)?;
        Ok((content_type, bytes))
    }
}
