//! `relp` sources: RELP, rsyslog's Reliable Event Logging Protocol
//! (`omrelp`), one listener per source. Unlike plain syslog over TCP, RELP
//! acknowledges each message, so a message is answered `200 OK` only once
//! it is durable, as HTTP and DC-09 are; the client keeps (and, after a
//! broken connection, resends) whatever was not answered. The messages are
//! RFC 5424 or RFC 3164 syslog, decoded on the ingest path by
//! `vigil_codecs` as the syslog sources' are. With `[sources.tls]` the
//! listener speaks TLS from the first byte, as librelp does (`omrelp`'s
//! `tls="on"`). librelp over GnuTLS must then be given a certificate of its
//! own (`tls.myCert`): without one it offers only anonymous cipher suites,
//! which rustls does not speak; over OpenSSL it needs none (see
//! `tests/relp_rsyslog_tls.rs`).
//!
//! - [`frame`]: the framing (`TXNR SP COMMAND SP DATALEN [SP DATA] LF`);
//! - [`session`]: the protocol (open, syslog, close) as pure state;
//! - [`listener`]: the sockets, and storing before answering.

pub mod frame;
pub mod listener;
pub mod session;

pub use listener::{ConnectionError, MAX_CONNECTIONS, serve_connection, serve_tcp};

use anyhow::Context;
use tokio::net::TcpListener;
use vigil_model::SourceKind;

use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};
use crate::tls::TlsListener;

/// The kind's name in `vigil.toml`.
pub const KIND: &str = "relp";

/// Sources of kind `relp`.
#[derive(Debug, Clone, Copy)]
pub struct RelpSource;

impl Source for RelpSource {
    /// TLS, with `[sources.tls]`.
    type Settings = Option<TlsListener>;

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    fn tables(&self) -> &'static [&'static str] {
        &[crate::tls::TABLE]
    }

    fn needs(&self, _kind: SourceKind) -> Needs {
        Needs {
            listen: true,
            token: false,
        }
    }

    fn configure(
        &self,
        section: &SourceSection,
        _env: Env<'_>,
    ) -> anyhow::Result<Option<TlsListener>> {
        crate::tls::listener_of(section, &[KIND])
    }

    async fn start(
        &self,
        sources: Vec<Configured<Option<TlsListener>>>,
        context: &SourceContext,
    ) -> anyhow::Result<Started> {
        let mut started = Started::default();
        for source in sources {
            let binding = source.binding;
            let Some(addr) = source.listen else {
                anyhow::bail!("source `{}` needs `listen`", binding.id);
            };
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("source `{}` cannot listen on tcp {addr}", binding.id))?;
            let bound = listener.local_addr()?;
            started.tasks.push(tokio::spawn(serve_tcp(
                listener,
                binding.clone(),
                context.pipeline.clone(),
                context.limits.max_syslog_frame,
                source.settings.clone(),
            )));
            tracing::info!(
                source = %binding.id,
                %bound,
                tls = source.settings.is_some(),
                "RELP listener"
            );
            started
                .addrs
                .push((binding.id.clone(), binding.kind, bound));
        }
        Ok(started)
    }
}
