//! Reaching the NATS server: the first connection is retried with backoff
//! (nodes and their NATS cluster often start together); after that the
//! client reconnects by itself for as long as the node runs.

use std::time::Duration;

/// What can go wrong talking to NATS, naming what was being done.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// The server could not be reached at start.
    #[error("NATS is unreachable at {url} after {attempts} attempts: {reason}")]
    Unreachable {
        /// The URL, password removed.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last attempt's error.
        reason: String,
    },
    /// A subscription was refused.
    #[error("cannot subscribe to NATS subject `{subject}`: {reason}")]
    Subscribe {
        /// The subject.
        subject: String,
        /// The server's or client's reason.
        reason: String,
    },
    /// A JetStream request (stream, consumer, publish) failed.
    #[error("JetStream could not {what}: {reason}")]
    JetStream {
        /// What was being done (`create stream VIGIL_INGEST`).
        what: String,
        /// The reason.
        reason: String,
    },
}

/// How the first connection is attempted.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    /// Attempts before giving up.
    pub attempts: u32,
    /// The wait before the second attempt; each later one waits twice as
    /// long, up to [`MAX_BACKOFF`].
    pub backoff: Duration,
}

impl Default for ConnectSettings {
    fn default() -> Self {
        Self {
            attempts: 8,
            backoff: Duration::from_millis(250),
        }
    }
}

/// The longest wait between two attempts at start.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Connects to the NATS server(s) at `url` (several may be given, comma
/// separated), naming the connection after `node` so that the server's
/// monitoring shows which node it is.
pub async fn connect(
    url: &str,
    node: &str,
    settings: &ConnectSettings,
) -> Result<async_nats::Client, NatsError> {
    let redacted = redact_url(url);
    let attempts = settings.attempts.max(1);
    let mut wait = settings.backoff;
    let mut attempt = 1;
    loop {
        let options = async_nats::ConnectOptions::new()
            .name(format!("vigil {node}"))
            .connection_timeout(Duration::from_secs(5))
            // Once connected, a lost server is retried for as long as the
            // node runs; sources are refused meanwhile, not dropped.
            .max_reconnects(None);
        let servers: Vec<&str> = url.split(',').map(str::trim).collect();
        let addrs: Result<Vec<async_nats::ServerAddr>, _> =
            servers.iter().map(|s| s.parse()).collect();
        let addrs = addrs.map_err(|e: std::io::Error| NatsError::Unreachable {
            url: redacted.clone(),
            attempts: 0,
            reason: format!("not a NATS URL: {e}"),
        })?;
        match options.connect(addrs).await {
            Ok(client) => {
                tracing::info!(url = %redacted, "bus: NATS connected");
                return Ok(client);
            }
            Err(e) if attempt >= attempts => {
                return Err(NatsError::Unreachable {
                    url: redacted,
                    attempts,
                    reason: e.to_string(),
                });
            }
            Err(e) => {
                tracing::warn!(
                    url = %redacted, attempt, of = attempts, error = %e,
                    "NATS unreachable; retrying in {wait:?}"
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_BACKOFF);
                attempt += 1;
            }
        }
    }
}

/// `url` with any password replaced by `***`, for logs and errors.
pub fn redact_url(url: &str) -> String {
    url.split(',')
        .map(|one| {
            let one = one.trim();
            let Some((scheme, rest)) = one.split_once("://") else {
                return one.to_owned();
            };
            match rest.split_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or_default();
                    format!("{scheme}://{user}:***@{host}")
                }
                None => one.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact_url("nats://vigil:s3cret@n1:4222, nats://n2:4222"),
            "nats://vigil:***@n1:4222,nats://n2:4222"
        );
    }

    #[tokio::test]
    async fn an_unreachable_server_is_named_after_the_attempts() {
        // A port nobody listens on: bind one, learn it, free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("nats://u:pw@127.0.0.1:{port}");
        let settings = ConnectSettings {
            attempts: 2,
            backoff: Duration::from_millis(10),
        };
        let err = connect(&url, "t", &settings).await.unwrap_err().to_string();
        assert!(
            err.contains("unreachable") && err.contains("after 2 attempts"),
            "{err}"
        );
        assert!(!err.contains("pw"), "{err}");
    }
}
