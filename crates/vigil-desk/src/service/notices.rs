//! Notices to the people of a client's escalation chain: the channel a
//! recipient is reached by, and a pending delivery queued in the same write
//! as the change that calls for it (so a notice exists only if the change
//! was committed, and is sent by the delivery job with its retries).

use vigil_model::{TenantId, Timestamp};
use vigil_store::DeskWrite;

use super::Desk;
use crate::escalation::Recipient;
use crate::record::{audit, to_record};
use crate::response::{Channel, Delivery, DeliveryStatus, Purpose};
use crate::{Actor, DeskError};

/// One notice: to whom, why, and what it says.
pub(crate) struct Notice<'a> {
    pub tenant: &'a TenantId,
    pub recipient: &'a Recipient,
    pub purpose: Purpose,
    pub subject: &'a str,
    pub payload: serde_json::Value,
}

impl Desk {
    /// The channel a recipient is reached by, if the client's configuration
    /// has one.
    pub(crate) fn channel_to(&self, tenant: &TenantId, r: &Recipient) -> Option<Channel> {
        match (&r.email, &r.webhook) {
            (Some(email), _) => Some(Channel::Email { to: email.clone() }),
            (None, Some(endpoint)) => {
                self.inner
                    .config
                    .endpoint(tenant, endpoint)
                    .map(|e| Channel::Webhook {
                        endpoint: e.name.clone(),
                        url: e.url.clone(),
                    })
            }
            (None, None) => None,
        }
    }

    /// Queues `notice` in `write` as a delivery due now, with its audit
    /// entry; nothing when the recipient has no channel.
    pub(crate) fn queue_notice(
        &self,
        write: &mut DeskWrite,
        actor: &Actor,
        notice: Notice<'_>,
        now: Timestamp,
    ) -> Result<(), DeskError> {
        let Some(channel) = self.channel_to(notice.tenant, notice.recipient) else {
            return Ok(());
        };
        let delivery = Delivery {
            id: self.new_id("dlv"),
            tenant: notice.tenant.clone(),
            channel,
            purpose: notice.purpose,
            subject: notice.subject.to_owned(),
            payload: notice.payload,
            status: DeliveryStatus::Pending,
            attempts: Vec::new(),
            next_attempt_at: Some(now),
            backoff: self.inner.config.delivery_backoff,
            requested_by: actor.name.clone(),
            requested_at: now,
        };
        write.records.push(to_record(&delivery, 0)?);
        write.audit.push(audit::<Delivery>(
            actor,
            "request",
            None,
            Some(&delivery),
            serde_json::json!({"subject": notice.subject}),
            now,
        ));
        Ok(())
    }
}
