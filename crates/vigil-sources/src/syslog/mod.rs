//! `syslog_tcp` and `syslog_udp` sources: RFC 5424 and RFC 3164 messages
//! (with CEF and LEEF payloads), one listener per source. The messages are
//! decoded on the ingest path by `vigil_codecs` (the same decoding serves
//! `vigil ingest` of syslog files). A `syslog_tcp` source with a
//! `[sources.tls]` table speaks TLS (RFC 5425), optionally requiring client
//! certificates (see [`crate::tls`]).
//!
//! Over TLS only octet-counted frames (`LEN SP MSG`) are accepted, as RFC
//! 5425 requires: a line-ended frame is a dead letter saying so (counted in
//! `vigil_dead_letters_total`), and the frames after it are read on. Line
//! framing cannot carry a message holding a line end (a stack trace, a
//! multi-line log record is cut into fragments, each stored as an event of
//! its own), which is why the RFC forbids it; but senders configured the
//! old way exist (rsyslog's `omfwd` frames by line ends unless told
//! `TCP_Framing="octet-counted"`, syslog-ng's `network()` driver always
//! does), so a source may accept them, knowingly:
//!
//! ```toml
//! [sources.syslog]
//! framing = "any"   # "octet-counting" (the default over TLS) or "any" (the default over plain TCP)
//! ```

mod listener;

pub use listener::{MAX_TCP_CONNECTIONS, serve_tcp, serve_udp};

use anyhow::Context;
use serde::Deserialize;
use tokio::net::{TcpListener, UdpSocket};
use vigil_model::SourceKind;

use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};
use crate::tls::TlsListener;

/// Sources of kinds `syslog_tcp` and `syslog_udp`.
#[derive(Debug, Clone, Copy)]
pub struct SyslogSource;

/// The frames a `syslog_tcp` source accepts (`framing` in
/// `[sources.syslog]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framing {
    /// Only `LEN SP MSG` (RFC 5425, RFC 6587 section 3.4.1); a frame ended
    /// by a line end is a dead letter. The default over TLS.
    OctetCounting,
    /// Octet-counted or ended by a line end (RFC 6587 section 3.4.2),
    /// chosen per frame. The default over plain TCP.
    Any,
}

/// A source's `[sources.syslog]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyslogTable {
    framing: Option<Framing>,
}

/// The table's name in a `[[sources]]` entry.
pub const TABLE: &str = "syslog";

/// A syslog source's checked settings.
#[derive(Debug, Clone)]
pub struct SyslogSettings {
    /// TLS, for a `syslog_tcp` source with `[sources.tls]`.
    pub tls: Option<TlsListener>,
    /// The frames it accepts (TCP only).
    pub framing: Framing,
}

impl SyslogSettings {
    /// A source over plain UDP or TCP, as configured without `[sources.tls]`
    /// or `[sources.syslog]`: any framing. For sources built in code (the
    /// demo's), which must hand the source its own settings type.
    pub fn plain() -> Self {
        Self {
            tls: None,
            framing: Framing::Any,
        }
    }
}

impl Source for SyslogSource {
    type Settings = SyslogSettings;

    fn kinds(&self) -> &'static [&'static str] {
        &["syslog_udp", "syslog_tcp"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &[crate::tls::TABLE, TABLE]
    }

    fn needs(&self, _kind: SourceKind) -> Needs {
        Needs {
            listen: true,
            token: false,
        }
    }

    fn configure(&self, section: &SourceSection, _env: Env<'_>) -> anyhow::Result<SyslogSettings> {
        let tcp = SourceKind::SyslogTcp.as_str();
        let tls = crate::tls::listener_of(section, &[tcp])?;
        let table = section.table::<SyslogTable>(TABLE)?;
        if table.is_some() && section.kind != tcp {
            anyhow::bail!(
                "`[sources.{TABLE}]` is for `{tcp}` sources (framing); `{}` has no frames to choose",
                section.kind
            );
        }
        let framing = match table.and_then(|t| t.framing) {
            Some(framing) => framing,
            None if tls.is_some() => Framing::OctetCounting,
            None => Framing::Any,
        };
        Ok(SyslogSettings { tls, framing })
    }

    async fn start(
        &self,
        sources: Vec<Configured<SyslogSettings>>,
        context: &SourceContext,
    ) -> anyhow::Result<Started> {
        let mut started = Started::default();
        for source in sources {
            let binding = source.binding;
            let Some(addr) = source.listen else {
                anyhow::bail!("source `{}` needs `listen`", binding.id);
            };
            let bound = if binding.kind == SourceKind::SyslogUdp {
                let socket = UdpSocket::bind(addr).await.with_context(|| {
                    format!("source `{}` cannot listen on udp {addr}", binding.id)
                })?;
                let bound = socket.local_addr()?;
                started.tasks.push(tokio::spawn(serve_udp(
                    socket,
                    binding.clone(),
                    context.pipeline.clone(),
                )));
                bound
            } else {
                let listener = TcpListener::bind(addr).await.with_context(|| {
                    format!("source `{}` cannot listen on tcp {addr}", binding.id)
                })?;
                let bound = listener.local_addr()?;
                started.tasks.push(tokio::spawn(serve_tcp(
                    listener,
                    binding.clone(),
                    context.pipeline.clone(),
                    context.limits.max_syslog_frame,
                    source.settings.framing,
                    source.settings.tls.clone(),
                )));
                bound
            };
            tracing::info!(
                source = %binding.id,
                kind = binding.kind.as_str(),
                %bound,
                tls = source.settings.tls.is_some(),
                client_certificates = source.settings.tls.as_ref().is_some_and(TlsListener::requires_client_certificates),
                framing = ?source.settings.framing,
                "syslog listener"
            );
            started
                .addrs
                .push((binding.id.clone(), binding.kind, bound));
        }
        Ok(started)
    }
}
