//! TLS where a client connects to a source, and where a source connects
//! to a broker: one settings table for every source (`[sources.tls]`),
//! certificates from PEM files read again when they change, and optional
//! client certificates (mTLS).
//!
//! ```toml
//! [[sources]]
//! id = "acme-syslog"
//! kind = "syslog_tcp"          # RFC 5425 when [sources.tls] is given
//! listen = "0.0.0.0:6514"
//! [sources.tls]
//! cert = "/etc/vigil/syslog.crt"   # this side's certificate chain (PEM, leaf first)
//! key = "/etc/vigil/syslog.key"    # its private key
//! ca = "/etc/vigil/clients-ca.crt" # optional: the other side must show a certificate it signed
//! ```
//!
//! Relative file names are taken from the configuration's folder. For a
//! listener (syslog, RELP, DC-09), `cert` and `key` are required and `ca`,
//! when given, makes a client certificate signed by it a condition of the
//! handshake; all three are read again when they change. For a client (MQTT), `ca` is what the broker's certificate
//! must be signed by and `cert`/`key`, when given, are the client
//! certificate it shows.
//!
//! The HTTPS server (`vigil-server`'s `tls`) serves its certificate with
//! the same loader.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::SourceSection;

/// How often, at most, the files' modification times are looked at.
const RELOAD_CHECK: Duration = Duration::from_secs(2);
/// A client that has not finished its handshake by then is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate chain and private key files (PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why TLS could not be set up: names the file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("TLS {what} {path}: {message}")]
    File {
        /// `certificate`, `key` or `CA`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The key does not fit rustls (or the certificate).
    #[error("TLS key {path}: {message}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The settings do not make a TLS configuration.
    #[error("`[sources.tls]`: {0}")]
    Settings(String),
}

fn file_error(what: &'static str, path: &Path, message: impl ToString) -> TlsError {
    TlsError::File {
        what,
        path: path.to_owned(),
        message: message.to_string(),
    }
}

/// The certificates of a PEM file; at least one.
fn certificates(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(what, path, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_error(what, path, e))?;
    if certs.is_empty() {
        return Err(file_error(what, path, "holds no PEM certificate"));
    }
    Ok(certs)
}

/// Reads the chain and key and checks they belong together.
pub fn load(files: &TlsFiles) -> Result<CertifiedKey, TlsError> {
    let certs = certificates("certificate", &files.cert)?;
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| file_error("key", &files.key, e))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsError::Key {
            path: files.key.clone(),
            message: e.to_string(),
        })?;
    let certified = CertifiedKey::new(certs, signing);
    certified.keys_match().map_err(|e| TlsError::Key {
        path: files.key.clone(),
        message: format!(
            "does not belong to the certificate in {}: {e}",
            files.cert.display()
        ),
    })?;
    Ok(certified)
}

/// The certificate authorities of a PEM file.
pub fn load_ca(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates("CA", path)? {
        roots
            .add(cert)
            .map_err(|e| file_error("CA", path, format!("not a usable CA certificate: {e}")))?;
    }
    Ok(roots)
}

/// When the certificate and key files were last written.
type Stamp = Option<(SystemTime, SystemTime)>;

fn modified(files: &TlsFiles) -> Stamp {
    let at = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    Some((at(&files.cert)?, at(&files.key)?))
}

/// The served certificate, read again when its files change. A change
/// that does not load (a half-written file, a key that does not fit) is
/// logged and the previous certificate kept.
#[derive(Debug)]
pub struct ReloadingCert {
    files: TlsFiles,
    current: RwLock<(Stamp, Arc<CertifiedKey>)>,
    checked: Mutex<Instant>,
}

impl ReloadingCert {
    /// Loads `files` now; an error here stops the node from starting.
    pub fn new(files: TlsFiles) -> Result<Self, TlsError> {
        let stamp = modified(&files);
        let key = Arc::new(load(&files)?);
        Ok(Self {
            files,
            current: RwLock::new((stamp, key)),
            checked: Mutex::new(Instant::now()),
        })
    }

    fn reload_if_changed(&self) {
        {
            let mut checked = self.checked.lock().unwrap_or_else(|p| p.into_inner());
            if checked.elapsed() < RELOAD_CHECK {
                return;
            }
            *checked = Instant::now();
        }
        let stamp = modified(&self.files);
        let unchanged = self.current.read().map(|c| c.0 == stamp).unwrap_or(false);
        if unchanged || stamp.is_none() {
            return;
        }
        match load(&self.files) {
            Ok(key) => {
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                if let Ok(mut c) = self.current.write() {
                    *c = (stamp, Arc::new(key));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "TLS certificate changed but does not load; still serving the previous one")
            }
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.reload_if_changed();
        self.current.read().ok().map(|c| c.1.clone())
    }
}

/// A source's `[sources.tls]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// This side's certificate chain (PEM, leaf first).
    pub cert: Option<PathBuf>,
    /// Its private key (PEM).
    pub key: Option<PathBuf>,
    /// The certificate authorities (PEM) the other side's certificate must
    /// be signed by: a listener's clients (mTLS), or a client's broker.
    pub ca: Option<PathBuf>,
}

/// The table's name in a `[[sources]]` entry.
pub const TABLE: &str = "tls";

/// Makes the relative file names of an entry's `[sources.tls]` relative to
/// `base` (the configuration's folder, as for the server's `[tls]`).
pub fn files_relative_to(section: &mut SourceSection, base: &Path) {
    let Some(toml::Value::Table(table)) = section.tables.get_mut(TABLE) else {
        return;
    };
    for name in ["cert", "key", "ca"] {
        if let Some(toml::Value::String(path)) = table.get_mut(name)
            && Path::new(path.as_str()).is_relative()
        {
            *path = base.join(path.as_str()).to_string_lossy().into_owned();
        }
    }
}

/// A listening source's TLS from its entry's `[sources.tls]`, if it has
/// one: refused for a kind not in `kinds` (the kinds of the source type
/// that speak TLS; syslog and DC-09 over UDP do not), else loaded (see
/// [`TlsSettings::listener`]), so a mistake stops the start.
pub fn listener_of(section: &SourceSection, kinds: &[&str]) -> anyhow::Result<Option<TlsListener>> {
    let Some(tls) = TlsSettings::of(section)? else {
        return Ok(None);
    };
    if !kinds.contains(&section.kind.as_str()) {
        anyhow::bail!(
            "`[sources.{TABLE}]` is for `{}` sources; `{}` has no TLS",
            kinds.join("`, `"),
            section.kind
        );
    }
    Ok(Some(tls.listener()?))
}

impl TlsSettings {
    /// The entry's `[sources.tls]`, if it has one.
    pub fn of(section: &SourceSection) -> Result<Option<Self>, crate::ConfigError> {
        section.table(TABLE)
    }

    /// This side's certificate files, when both are given; one without
    /// the other is refused.
    pub fn files(&self) -> Result<Option<TlsFiles>, TlsError> {
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(TlsError::Settings("`cert` is given without `key`".into())),
            (None, Some(_)) => Err(TlsError::Settings("`key` is given without `cert`".into())),
        }
    }

    /// A listener's TLS: the certificate (reloaded when its files change)
    /// and, with `ca`, client certificates required and checked during the
    /// handshake (the CA file, too, is read again when it changes). The
    /// files are read now, so a mistake stops the start.
    pub fn listener(&self) -> Result<TlsListener, TlsError> {
        let files = self.files()?.ok_or_else(|| {
            TlsError::Settings("a listener needs `cert` and `key` (its certificate)".into())
        })?;
        let cert = Arc::new(ReloadingCert::new(files)?);
        let acceptor = acceptor(cert.clone(), self.ca.as_deref())?;
        Ok(TlsListener {
            state: Arc::new(ListenerState {
                ca: self.ca.clone().map(|path| CaFile {
                    stamp: Mutex::new((file_modified(&path), Instant::now())),
                    path,
                }),
                cert,
                acceptor: RwLock::new(acceptor),
            }),
        })
    }
}

fn file_modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// A server configuration serving `cert`, requiring client certificates
/// signed by the CAs in `ca` when given.
fn acceptor(cert: Arc<ReloadingCert>, ca: Option<&Path>) -> Result<TlsAcceptor, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Settings(e.to_string()))?;
    let builder = match ca {
        Some(ca) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(load_ca(ca)?), provider)
                    .build()
                    .map_err(|e| file_error("CA", ca, e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    Ok(TlsAcceptor::from(Arc::new(
        builder.with_cert_resolver(cert),
    )))
}

impl TlsSettings {
    /// A client's TLS (MQTT to its broker): the broker's certificate must
    /// be signed by `ca` (without it, by one of the platform's certificate
    /// authorities), and `cert`/`key`, when given, are shown as the client
    /// certificate.
    pub fn client(&self) -> Result<Arc<ClientConfig>, TlsError> {
        let roots = match &self.ca {
            Some(ca) => load_ca(ca)?,
            None => {
                let found = rustls_native_certs::load_native_certs();
                let mut roots = RootCertStore::empty();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(TlsError::Settings(format!(
                        "no `ca` given and no certificate authority found on this machine ({} errors)",
                        found.errors.len()
                    )));
                }
                roots
            }
        };
        let builder =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| TlsError::Settings(e.to_string()))?
                .with_root_certificates(roots);
        let config = match self.files()? {
            Some(files) => {
                let certified = load(&files)?;
                let key = PrivateKeyDer::from_pem_file(&files.key)
                    .map_err(|e| file_error("key", &files.key, e))?;
                builder
                    .with_client_auth_cert(certified.cert, key)
                    .map_err(|e| TlsError::Key {
                        path: files.key.clone(),
                        message: e.to_string(),
                    })?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

/// A listener's side of TLS, ready to accept connections.
#[derive(Clone)]
pub struct TlsListener {
    state: Arc<ListenerState>,
}

struct ListenerState {
    cert: Arc<ReloadingCert>,
    ca: Option<CaFile>,
    acceptor: RwLock<TlsAcceptor>,
}

/// The client CA file, and when it was last written and last looked at.
struct CaFile {
    path: PathBuf,
    stamp: Mutex<(Option<SystemTime>, Instant)>,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener")
            .field("ca", &self.state.ca.as_ref().map(|c| &c.path))
            .finish_non_exhaustive()
    }
}

impl TlsListener {
    /// Does the handshake on an accepted connection; a client that does
    /// not speak TLS, shows no acceptable certificate (with `ca`) or takes
    /// longer than [`HANDSHAKE_TIMEOUT`] is refused.
    pub async fn accept(&self, tcp: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        let acceptor = self.current();
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
            Ok(result) => result,
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "TLS handshake timed out",
            )),
        }
    }

    /// Whether clients must show a certificate signed by the source's CA.
    pub fn requires_client_certificates(&self) -> bool {
        self.state.ca.is_some()
    }

    /// The acceptor, rebuilt first when the CA file changed (looked at
    /// every [`RELOAD_CHECK`] at most). A CA file that does not load is
    /// logged and the previous one kept.
    fn current(&self) -> TlsAcceptor {
        let state = &self.state;
        if let Some(ca) = &state.ca {
            let changed = {
                let mut stamp = ca.stamp.lock().unwrap_or_else(|p| p.into_inner());
                if stamp.1.elapsed() < RELOAD_CHECK {
                    false
                } else {
                    stamp.1 = Instant::now();
                    let written = file_modified(&ca.path);
                    let changed = written.is_some() && written != stamp.0;
                    if changed {
                        stamp.0 = written;
                    }
                    changed
                }
            };
            if changed {
                match acceptor(state.cert.clone(), Some(&ca.path)) {
                    Ok(fresh) => {
                        tracing::info!(ca = %ca.path.display(), "TLS client CA reloaded");
                        if let Ok(mut a) = state.acceptor.write() {
                            *a = fresh;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "TLS client CA changed but does not load; still using the previous one")
                    }
                }
            }
        }
        match state.acceptor.read() {
            Ok(a) => a.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_file_names_are_taken_from_the_configuration_s_folder() {
        let mut section: SourceSection = toml::from_str(
            "id = \"s\"\ntenant = \"t\"\nkind = \"syslog_tcp\"\nproduct = \"p\"\n[tls]\ncert = \"tls/s.crt\"\nkey = \"/abs/s.key\"\n",
        )
        .unwrap();
        files_relative_to(&mut section, Path::new("/etc/vigil"));
        let tls = TlsSettings::of(&section).unwrap().unwrap();
        assert_eq!(tls.cert.unwrap(), Path::new("/etc/vigil/tls/s.crt"));
        assert_eq!(tls.key.unwrap(), Path::new("/abs/s.key"));
        assert_eq!(tls.ca, None);
    }
}
