//! The RELP listener: one per source binding, over TCP or TLS.
//!
//! Each read is framed; the `syslog` messages among its frames are stored
//! together in one batch ([`Pipeline::ingest`]), and only once that
//! returned — the batch is durable — is each transaction answered `200 OK`
//! (or `500` when it could not be stored, so the client keeps and resends
//! it). Answers go out in the order the commands came, as RELP requires:
//! a command that is not a message (`open`, `close`) first has the
//! messages before it stored and answered.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use vigil_ingest::{Payload, Pipeline};
use vigil_model::SourceBinding;

use super::frame::{FrameError, FrameReader};
use super::session::{Session, Step, accepted, hint_close, refused};
use crate::accept::Accept;
use crate::tls::TlsListener;

/// Connections one listener serves at once; more wait in the backlog.
pub const MAX_CONNECTIONS: usize = 1024;

/// Bytes of an over-long message kept in its dead letter.
const KEPT_OF_LONG_MESSAGE: usize = 1024;

/// Why a connection ended early.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// Reading or writing the socket failed.
    #[error("connection failed: {0}")]
    Io(#[from] std::io::Error),
    /// The client sent a broken frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The client broke the protocol.
    #[error("RELP session refused: {0}")]
    Protocol(String),
}

/// Serves RELP on `listener` for `binding` — over TLS when `tls` is given —
/// until the task is dropped. Messages longer than `max_message` octets
/// become dead letters (and are answered, since the dead letter is stored).
pub async fn serve_tcp(
    listener: TcpListener,
    binding: SourceBinding,
    pipeline: Pipeline,
    max_message: usize,
    tls: Option<TlsListener>,
) {
    let accept = Accept {
        protocol: "RELP",
        source: binding.id.clone(),
        max_connections: MAX_CONNECTIONS,
        tls,
    };
    let binding = Arc::new(binding);
    crate::accept::serve(listener, accept, move |stream, peer| {
        let (binding, pipeline) = (binding.clone(), pipeline.clone());
        async move {
            if let Err(e) = serve_connection(stream, peer, &binding, &pipeline, max_message).await {
                tracing::warn!(source = %binding.id, %peer, error = %e, "RELP connection ended");
            }
        }
    })
    .await;
}

/// Serves one RELP session on `stream` until the client closes it, breaks
/// the protocol, or the connection fails.
pub async fn serve_connection(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    peer: SocketAddr,
    binding: &SourceBinding,
    pipeline: &Pipeline,
    max_message: usize,
) -> Result<(), ConnectionError> {
    tracing::debug!(source = %binding.id, %peer, "RELP connection");
    let mut reader = FrameReader::new(super::frame::MAX_DATALEN);
    let mut session = Session::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            // Whatever was whole was answered; a half frame was never a
            // command, so nothing acknowledged is lost by dropping it.
            reader.finish()?;
            return Ok(());
        }
        reader.push(&buf[..n]);
        let mut batch = Batch::default();
        let mut out = Vec::new();
        let mut ending: Option<Result<(), ConnectionError>> = None;
        loop {
            match reader.next_frame() {
                Ok(None) => break,
                Ok(Some(frame)) => match session.step(frame) {
                    Step::Message { txnr, data } => batch.push(txnr, data, max_message),
                    Step::Answer(bytes) => {
                        batch.store(binding, pipeline, &mut out).await;
                        out.extend_from_slice(&bytes);
                    }
                    Step::End { bytes, fault } => {
                        batch.store(binding, pipeline, &mut out).await;
                        out.extend_from_slice(&bytes);
                        ending = Some(fault.map_or(Ok(()), |f| Err(ConnectionError::Protocol(f))));
                        break;
                    }
                    Step::Nothing => {}
                },
                Err(e) => {
                    // The frames before the broken one are still answered.
                    batch.store(binding, pipeline, &mut out).await;
                    hint_close(&mut out);
                    ending = Some(Err(e.into()));
                    break;
                }
            }
        }
        batch.store(binding, pipeline, &mut out).await;
        stream.write_all(&out).await?;
        stream.flush().await?;
        if let Some(result) = ending {
            let _ = stream.shutdown().await;
            return result;
        }
    }
}

/// The messages of one read, waiting to be stored together.
#[derive(Default)]
struct Batch {
    txnrs: Vec<u32>,
    frames: Vec<Vec<u8>>,
    broken: Vec<(Vec<u8>, String)>,
}

impl Batch {
    fn push(&mut self, txnr: u32, data: bytes::Bytes, max_message: usize) {
        self.txnrs.push(txnr);
        if data.len() > max_message {
            let kept = data[..data.len().min(KEPT_OF_LONG_MESSAGE)].to_vec();
            let why = format!(
                "RELP message (transaction {txnr}) of {} octets is longer than the limit of {max_message}",
                data.len()
            );
            self.broken.push((kept, why));
        } else {
            self.frames.push(data.to_vec());
        }
    }

    /// Stores the messages, then appends their answers to `out`: `200 OK`
    /// once durable, `500` when the store refused them.
    async fn store(&mut self, binding: &SourceBinding, pipeline: &Pipeline, out: &mut Vec<u8>) {
        if self.txnrs.is_empty() {
            return;
        }
        let Batch {
            txnrs,
            frames,
            broken,
        } = std::mem::take(self);
        match pipeline
            .ingest(binding, Payload::Syslog { frames, broken })
            .await
        {
            Ok(_) => {
                for txnr in txnrs {
                    accepted(out, txnr);
                }
            }
            Err(e) => {
                tracing::error!(source = %binding.id, error = %e, "RELP messages could not be stored");
                let why = e.to_string();
                for txnr in txnrs {
                    refused(out, txnr, &why);
                }
            }
        }
    }
}
