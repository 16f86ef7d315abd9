//! `dc09_tcp` and `dc09_udp` sources: a receiver per source, its panel
//! accounts registered and supervised; a `dc09_tcp` source with
//! `[sources.tls]` speaks TLS (optionally requiring client certificates,
//! see [`crate::tls`]).

use anyhow::Context;
use tokio::net::{TcpListener, UdpSocket};
use vigil_model::SourceKind;
use vigil_store::PanelAccountRecord;

use super::{Dc09Listener, Dc09Receiver, config::Dc09Config, serve_tcp, serve_tls, serve_udp};
use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};
use crate::tls::TlsListener;

/// What a DC-09 source runs with: its receiver and, over TCP, TLS.
#[derive(Debug, Clone)]
pub struct Dc09Settings {
    /// The receiver: accounts, keys, time window.
    pub receiver: Dc09Receiver,
    /// TLS for a `dc09_tcp` source with `[sources.tls]`.
    pub tls: Option<TlsListener>,
}

impl From<Dc09Receiver> for Dc09Settings {
    fn from(receiver: Dc09Receiver) -> Self {
        Self {
            receiver,
            tls: None,
        }
    }
}

/// Sources of kinds `dc09_tcp` and `dc09_udp`.
#[derive(Debug, Clone, Copy)]
pub struct Dc09Source;

impl Source for Dc09Source {
    type Settings = Dc09Settings;

    fn kinds(&self) -> &'static [&'static str] {
        &["dc09_tcp", "dc09_udp"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["dc09", crate::tls::TABLE]
    }

    fn needs(&self, _kind: SourceKind) -> Needs {
        Needs {
            listen: true,
            token: false,
        }
    }

    fn configure(&self, section: &SourceSection, env: Env<'_>) -> anyhow::Result<Dc09Settings> {
        let config = section
            .table::<Dc09Config>("dc09")?
            .context("needs a `[sources.dc09]` table")?;
        let receiver = config.resolve(env)?;
        let tls = crate::tls::listener_of(section, &[SourceKind::Dc09Tcp.as_str()])?;
        Ok(Dc09Settings { receiver, tls })
    }

    async fn start(
        &self,
        sources: Vec<Configured<Dc09Settings>>,
        context: &SourceContext,
    ) -> anyhow::Result<Started> {
        let mut started = Started::default();
        for source in sources {
            let (binding, Dc09Settings { receiver, tls }) = (source.binding, source.settings);
            let Some(addr) = source.listen else {
                anyhow::bail!("source `{}` needs `listen`", binding.id);
            };
            for a in receiver.accounts() {
                started.panels.push(PanelAccountRecord {
                    tenant: binding.tenant.clone(),
                    source: binding.id.clone(),
                    account: a.account.clone(),
                    site: a.site.clone().or(binding.site.clone()),
                    panel: a.panel.clone(),
                    category: None,
                    encrypted: a.key.is_some(),
                });
            }
            let mut listener = Dc09Listener::new(
                receiver,
                binding.clone(),
                context.pipeline.clone(),
                Some(context.supervision.clone()),
            );
            if let Some(reports) = &context.device_reports {
                listener = listener.with_device_reports(reports.clone());
            }
            let bound = if binding.kind == SourceKind::Dc09Udp {
                let socket = UdpSocket::bind(addr).await.with_context(|| {
                    format!("source `{}` cannot listen on udp {addr}", binding.id)
                })?;
                let bound = socket.local_addr()?;
                started
                    .tasks
                    .push(tokio::spawn(serve_udp(socket, listener)));
                bound
            } else {
                let tcp = TcpListener::bind(addr).await.with_context(|| {
                    format!("source `{}` cannot listen on tcp {addr}", binding.id)
                })?;
                let bound = tcp.local_addr()?;
                started.tasks.push(match tls.clone() {
                    None => tokio::spawn(serve_tcp(tcp, listener)),
                    Some(tls) => tokio::spawn(serve_tls(tcp, listener, tls)),
                });
                bound
            };
            tracing::info!(
                source = %binding.id,
                kind = binding.kind.as_str(),
                %bound,
                tls = tls.is_some(),
                client_certificates = tls.as_ref().is_some_and(TlsListener::requires_client_certificates),
                "DC-09 receiver"
            );
            started
                .addrs
                .push((binding.id.clone(), binding.kind, bound));
        }
        Ok(started)
    }
}
