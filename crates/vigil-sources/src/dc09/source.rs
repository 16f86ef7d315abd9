//! `dc09_tcp` and `dc09_udp` sources: a receiver per source, its panel
//! accounts registered and supervised.

use anyhow::Context;
use tokio::net::{TcpListener, UdpSocket};
use vigil_model::SourceKind;
use vigil_store::PanelAccountRecord;

use super::{Dc09Listener, Dc09Receiver, config::Dc09Config, serve_tcp, serve_udp};
use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};

/// Sources of kinds `dc09_tcp` and `dc09_udp`.
#[derive(Debug, Clone, Copy)]
pub struct Dc09Source;

impl Source for Dc09Source {
    type Settings = Dc09Receiver;

    fn kinds(&self) -> &'static [&'static str] {
        &["dc09_tcp", "dc09_udp"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["dc09"]
    }

    fn needs(&self, _kind: SourceKind) -> Needs {
        Needs {
            listen: true,
            token: false,
        }
    }

    fn configure(&self, section: &SourceSection, env: Env<'_>) -> anyhow::Result<Dc09Receiver> {
        let config = section
            .table::<Dc09Config>("dc09")?
            .context("needs a `[sources.dc09]` table")?;
        Ok(config.resolve(env)?)
    }

    async fn start(
        &self,
        sources: Vec<Configured<Dc09Receiver>>,
        context: &SourceContext,
    ) -> anyhow::Result<Started> {
        let mut started = Started::default();
        for source in sources {
            let (binding, receiver) = (source.binding, source.settings);
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
            let listener = Dc09Listener::new(
                receiver,
                binding.clone(),
                context.pipeline.clone(),
                Some(context.supervision.clone()),
            );
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
                started.tasks.push(tokio::spawn(serve_tcp(tcp, listener)));
                bound
            };
            tracing::info!(source = %binding.id, kind = binding.kind.as_str(), %bound, "DC-09 receiver");
            started
                .addrs
                .push((binding.id.clone(), binding.kind, bound));
        }
        Ok(started)
    }
}
