//! Certificates made at test time (rcgen): a CA, a server certificate for
//! `localhost` signed by it, a client certificate signed by it, and a
//! client certificate signed by another CA; and rustls clients that trust
//! the CA.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The files, in a temporary folder removed on drop.
pub struct Pki {
    _dir: tempfile::TempDir,
    /// The CA's certificate.
    pub ca: PathBuf,
    /// The other CA's certificate (the one that signed `stranger`).
    pub other_ca: PathBuf,
    /// The server's certificate (`localhost`, `127.0.0.1`) and key.
    pub server: (PathBuf, PathBuf),
    /// A client certificate signed by the CA, and its key.
    pub client: (PathBuf, PathBuf),
    /// A client certificate signed by another CA, and its key.
    pub stranger: (PathBuf, PathBuf),
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(
    dir: &Path,
    name: &str,
    names: &[&str],
    purpose: ExtendedKeyUsagePurpose,
    issuer: &CertifiedIssuer<'static, KeyPair>,
) -> (PathBuf, PathBuf) {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![purpose];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    let (cert_file, key_file) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    (cert_file, key_file)
}

impl Pki {
    /// Makes every file.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let authority = ca("vigil test CA");
        let other = ca("someone else's CA");
        let ca_file = d.join("ca.crt");
        std::fs::write(&ca_file, authority.pem()).unwrap();
        let other_ca = d.join("other-ca.crt");
        std::fs::write(&other_ca, other.pem()).unwrap();
        let server = leaf(
            d,
            "server",
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
            &authority,
        );
        let client = leaf(
            d,
            "panel-1",
            &[],
            ExtendedKeyUsagePurpose::ClientAuth,
            &authority,
        );
        let stranger = leaf(
            d,
            "stranger",
            &[],
            ExtendedKeyUsagePurpose::ClientAuth,
            &other,
        );
        Self {
            _dir: dir,
            ca: ca_file,
            other_ca,
            server,
            client,
            stranger,
        }
    }

    /// A `[sources.tls]` table serving the server certificate, requiring
    /// client certificates signed by the CA when `with_ca`.
    pub fn table(&self, with_ca: bool) -> String {
        let mut table = format!(
            "[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
            self.server.0.display(),
            self.server.1.display()
        );
        if with_ca {
            table.push_str(&format!("ca = \"{}\"\n", self.ca.display()));
        }
        table
    }

    /// A client trusting the CA, showing `certificate` when given.
    pub fn connector(&self, certificate: Option<&(PathBuf, PathBuf)>) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(&self.ca).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
        let config = match certificate {
            Some((cert, key)) => builder
                .with_client_auth_cert(
                    CertificateDer::pem_file_iter(cert)
                        .unwrap()
                        .map(Result::unwrap)
                        .collect(),
                    PrivateKeyDer::from_pem_file(key).unwrap(),
                )
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        TlsConnector::from(Arc::new(config))
    }

    /// Connects to `addr` over TLS as `localhost`.
    pub async fn connect(
        &self,
        addr: std::net::SocketAddr,
        certificate: Option<&(PathBuf, PathBuf)>,
    ) -> std::io::Result<TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(addr).await?;
        self.connector(certificate)
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
    }
}

/// Reads until the server closes: a refused connection must end (an
/// error, or end of stream), 30 s at most, rather than be served. A
/// plaintext client may first be sent a TLS alert record (content type 21),
/// and nothing else.
pub async fn closed_by_server(mut stream: impl AsyncRead + Unpin) {
    let mut got = Vec::new();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let mut buf = [0u8; 256];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the server did not close a refused connection"
    );
    assert!(
        got.is_empty() || got[0] == 21,
        "a refused client was answered: {got:?}"
    );
}
