//! The alarms the reports ([`crate::reporting`]) are computed from.
//!
//! These take a scope, not an actor: the caller has already limited it to
//! what the asker may see (the HTTP API by the token's tenant).

use vigil_model::Timestamp;
use vigil_store::{MAX_PAGE_SIZE, RecordOrder, RecordQuery, TenantScope};

use super::Desk;
use crate::DeskError;
use crate::alarm::{Alarm, AlarmStatus};
use crate::record::DeskObject;

/// Alarms read for one report, at most (the newest are kept).
const MAX_ALARMS: usize = 50_000;

impl Desk {
    /// The alarms in `scope` whose records are dated at or after `since`,
    /// any status, newest first; at most about 50,000.
    pub async fn alarms_since(
        &self,
        scope: &TenantScope,
        since: Timestamp,
    ) -> Result<Vec<Alarm>, DeskError> {
        let mut q = RecordQuery::new(Alarm::KIND, scope.clone());
        q.at_from = Some(since);
        q.order = RecordOrder::Newest;
        self.read_alarms(q).await
    }

    /// The open (not closed) alarms in `scope`, newest first; at most
    /// about 50,000.
    pub async fn open_alarms(&self, scope: &TenantScope) -> Result<Vec<Alarm>, DeskError> {
        let mut q = RecordQuery::new(Alarm::KIND, scope.clone());
        q.not_statuses = vec![AlarmStatus::Closed.as_str().into()];
        q.order = RecordOrder::Newest;
        self.read_alarms(q).await
    }

    /// Reads the alarms matching `query` page by page, until a short page or
    /// [`MAX_ALARMS`] (a whole page may take it past).
    async fn read_alarms(&self, mut query: RecordQuery) -> Result<Vec<Alarm>, DeskError> {
        query.limit = MAX_PAGE_SIZE;
        let mut out = Vec::new();
        loop {
            let page = self.list::<Alarm>(&query).await?;
            let n = page.len();
            out.extend(page.into_iter().map(|s| s.value));
            if n < MAX_PAGE_SIZE || out.len() >= MAX_ALARMS {
                return Ok(out);
            }
            query.offset += n;
        }
    }
}
