//! `syslog_tcp` and `syslog_udp` sources: RFC 5424 and RFC 3164 messages
//! (with CEF and LEEF payloads), one listener per source. The messages are
//! decoded on the ingest path by `vigil_codecs` (the same decoding serves
//! `vigil ingest` of syslog files). A `syslog_tcp` source with a
//! `[sources.tls]` table speaks TLS (RFC 5425), optionally requiring client
//! certificates (see [`crate::tls`]).

mod listener;

pub use listener::{MAX_TCP_CONNECTIONS, serve_tcp, serve_udp};

use anyhow::Context;
use tokio::net::{TcpListener, UdpSocket};
use vigil_model::SourceKind;

use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};
use crate::tls::{TlsListener, TlsSettings};

/// Sources of kinds `syslog_tcp` and `syslog_udp`.
#[derive(Debug, Clone, Copy)]
pub struct SyslogSource;

impl Source for SyslogSource {
    /// TLS, for a `syslog_tcp` source with `[sources.tls]`.
    type Settings = Option<TlsListener>;

    fn kinds(&self) -> &'static [&'static str] {
        &["syslog_udp", "syslog_tcp"]
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
        let Some(tls) = TlsSettings::of(section)? else {
            return Ok(None);
        };
        if section.kind != SourceKind::SyslogTcp.as_str() {
            anyhow::bail!(
                "`[sources.tls]` is for `syslog_tcp` sources (RFC 5425); syslog over UDP has no TLS"
            );
        }
        Ok(Some(tls.listener()?))
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
                    source.settings.clone(),
                )));
                bound
            };
            tracing::info!(
                source = %binding.id,
                kind = binding.kind.as_str(),
                %bound,
                tls = source.settings.is_some(),
                client_certificates = source.settings.as_ref().is_some_and(TlsListener::requires_client_certificates),
                "syslog listener"
            );
            started
                .addrs
                .push((binding.id.clone(), binding.kind, bound));
        }
        Ok(started)
    }
}
