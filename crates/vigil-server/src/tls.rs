//! HTTPS for the API and the console: the certificate and key from PEM
//! files named in the configuration, read again when either file changes
//! (a renewed certificate is served from the next handshake, without a
//! restart), and a server loop that serves the same router over TLS.
//!
//! axum's `serve` takes plain TCP only, so connections are accepted here,
//! the TLS handshake is done with `tokio-rustls`, and each connection is
//! served by hyper (HTTP/1.1 or HTTP/2, as ALPN agrees), with the client's
//! address and [`ServedOverTls`] put into every request as `axum::serve`
//! would put the address. The certificate loader is `vigil_sources::tls`'s
//! (the sources' listeners use it too), re-exported here.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
// The loader lives with the sources, which serve TLS too (syslog, DC-09).
pub use vigil_sources::tls::{HANDSHAKE_TIMEOUT, ReloadingCert, TlsError, TlsFiles, load};

/// How long open connections (live streams) get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Put into every request served over TLS: the session cookie is then
/// marked `Secure`.
#[derive(Debug, Clone, Copy)]
pub struct ServedOverTls;

/// The server's TLS configuration: the reloading certificate, HTTP/2 and
/// HTTP/1.1 offered.
pub fn server_config(files: TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let resolver = Arc::new(ReloadingCert::new(files)?);
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Key {
                path: PathBuf::new(),
                message: e.to_string(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `app` over TLS on `listener` until `shutdown` turns true; open
/// connections then get [`SHUTDOWN_GRACE`] to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: Arc<ServerConfig>,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(config);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(error = %e, "HTTPS accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = async {
                // The guard `wait_for` returns is not `Send`: drop it here.
                let _ = shutdown.wait_for(|stop| *stop).await;
            } => break,
        };
        let acceptor = acceptor.clone();
        let service = app
            .clone()
            .layer(axum::Extension(ConnectInfo::<SocketAddr>(remote)))
            .layer(axum::Extension(ServedOverTls));
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(%remote, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%remote, "TLS handshake timed out");
                    return;
                }
            };
            let builder = auto::Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(tls),
                TowerToHyperService::new(service),
            );
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(%remote, error = %e, "HTTPS connection ended with an error");
            }
        });
    }
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::info!("HTTPS connections still open at shutdown were closed");
        }
    }
    Ok(())
}
