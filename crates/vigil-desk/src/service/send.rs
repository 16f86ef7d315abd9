//! Sending: signed webhooks over HTTP and e-mail over SMTP.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use vigil_model::Timestamp;

use crate::DeskError;
use crate::config::SmtpConfig;
use crate::response::{DELIVERY_HEADER, SIGNATURE_HEADER, sign_webhook};

/// What one webhook attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookOutcome {
    /// Whether the receiver accepted it (2xx).
    pub ok: bool,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// What went wrong.
    pub error: Option<String>,
}

/// Posts `body` to `url`, signed with `secret` at `now`.
pub async fn send_webhook(
    client: &reqwest::Client,
    url: &str,
    delivery_id: &str,
    secret: Option<&[u8]>,
    body: &[u8],
    now: Timestamp,
) -> WebhookOutcome {
    let mut request = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(DELIVERY_HEADER, delivery_id)
        .body(body.to_vec());
    if let Some(secret) = secret {
        request = request.header(
            SIGNATURE_HEADER,
            sign_webhook(secret, now.timestamp(), body),
        );
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            WebhookOutcome {
                ok: status.is_success(),
                status: Some(status.as_u16()),
                error: (!status.is_success()).then(|| format!("receiver answered {status}")),
            }
        }
        Err(e) => WebhookOutcome {
            ok: false,
            status: None,
            error: Some(e.to_string()),
        },
    }
}

/// An SMTP relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer(from {})", self.from)
    }
}

impl Mailer {
    /// A mailer for the configured relay.
    pub fn new(config: &SmtpConfig) -> Result<Self, DeskError> {
        let bad = |reason: String| DeskError::Config {
            source_name: "[desk.smtp]".into(),
            reason,
        };
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| bad(format!("from `{}`: {e}", config.from)))?;
        let mut builder = if config.starttls {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                .map_err(|e| bad(format!("host `{}`: {e}", config.host)))?
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
        }
        .port(config.port)
        .timeout(Some(std::time::Duration::from_secs(20)));
        if let Some(user) = &config.username {
            if !config.starttls {
                return Err(bad(
                    "credentials are only sent over STARTTLS; set starttls = true".into(),
                ));
            }
            let password = match &config.password_env {
                Some(var) => std::env::var(var)
                    .map_err(|_| bad(format!("environment variable {var} is not set")))?,
                None => String::new(),
            };
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends a plain-text message; the outcome as (accepted, SMTP code, error).
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        body: &str,
    ) -> (bool, Option<u16>, Option<String>) {
        let to: Mailbox = match to.parse() {
            Ok(m) => m,
            Err(e) => return (false, None, Some(format!("recipient `{to}`: {e}"))),
        };
        let message = match Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_owned())
        {
            Ok(m) => m,
            Err(e) => return (false, None, Some(e.to_string())),
        };
        match self.transport.send(message).await {
            Ok(response) => {
                let code = response.code().to_string().parse::<u16>().ok();
                (response.is_positive(), code, None)
            }
            Err(e) => (
                false,
                e.status().and_then(|c| c.to_string().parse().ok()),
                Some(e.to_string()),
            ),
        }
    }
}
