//! The accept loop every stream source shares (syslog over TCP, RELP,
//! DC-09 over TCP): a bounded number of connections at once, the TLS
//! handshake when the source has `[sources.tls]`, and one task per
//! connection running the source's own function on the (decrypted) stream.
//!
//! What a connection means is the source's business; how connections are
//! taken in is the same for all of them, so it is written once.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::server::TlsStream;
use tokio_util::either::Either;
use vigil_model::SourceId;

use crate::tls::TlsListener;

/// An accepted connection: the TCP stream, or the TLS stream over it once
/// the handshake is done. Both read and write as one stream.
pub type Connection = Either<TcpStream, TlsStream<TcpStream>>;

/// How a listener takes connections in.
#[derive(Debug, Clone)]
pub struct Accept {
    /// The protocol's name in the log (`syslog`, `RELP`, `dc09`).
    pub protocol: &'static str,
    /// The source the listener serves, named in the log.
    pub source: SourceId,
    /// Connections served at once; more wait in the backlog.
    pub max_connections: usize,
    /// TLS, when the source has `[sources.tls]`: a client that does not
    /// complete the handshake is refused before its connection is served.
    pub tls: Option<TlsListener>,
}

/// Accepts connections on `listener` until the task is dropped, serving
/// each in a task of its own with `serve` (given the stream and the peer's
/// address). `serve` owns the connection's outcome: it logs why one ended.
pub async fn serve<F, Fut>(listener: TcpListener, accept: Accept, serve: F)
where
    F: Fn(Connection, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Accept {
        protocol,
        source,
        max_connections,
        tls,
    } = accept;
    let serve = Arc::new(serve);
    let slots = Arc::new(Semaphore::new(max_connections));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(source = %source, protocol, error = %e, "accept failed");
                continue;
            }
        };
        // Every protocol served here answers small frames (acknowledgements,
        // responses): they must not wait for Nagle's timer.
        let _ = stream.set_nodelay(true);
        let (serve, tls, source) = (serve.clone(), tls.clone(), source.clone());
        tokio::spawn(async move {
            let connection = match tls {
                None => Either::Left(stream),
                Some(tls) => match tls.accept(stream).await {
                    Ok(stream) => Either::Right(stream),
                    Err(e) => {
                        // Plaintext, no acceptable client certificate, or
                        // too slow: refused before any byte is read.
                        tracing::warn!(source = %source, protocol, %peer, error = %e, "TLS handshake refused");
                        return;
                    }
                },
            };
            serve(connection, peer).await;
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::Notify;

    /// The slots bound the connections served at once: with one slot, a
    /// second client is served only once the first connection has ended.
    #[tokio::test]
    async fn connections_beyond_the_limit_wait_until_one_ends() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let release = Arc::new(Notify::new());
        let held = release.clone();
        let task = tokio::spawn(serve(
            listener,
            Accept {
                protocol: "test",
                source: SourceId::new("test").unwrap(),
                max_connections: 1,
                tls: None,
            },
            move |mut stream, _peer| {
                let held = held.clone();
                async move {
                    let _ = stream.write_all(b"hello").await;
                    held.notified().await;
                }
            },
        ));
        let mut first = TcpStream::connect(addr).await.unwrap();
        let mut greeting = [0u8; 5];
        first.read_exact(&mut greeting).await.unwrap();
        let mut second = TcpStream::connect(addr).await.unwrap();
        let mut got = [0u8; 5];
        let early = tokio::time::timeout(Duration::from_millis(300), second.read_exact(&mut got));
        assert!(
            early.await.is_err(),
            "a second connection was served while the only slot was taken"
        );
        release.notify_one();
        tokio::time::timeout(Duration::from_secs(30), second.read_exact(&mut got))
            .await
            .expect("served once the first connection ended")
            .unwrap();
        assert_eq!(&got, b"hello");
        task.abort();
    }
}
