//! Client off-boarding as a domain: the export's manifest, and the
//! deletion certificate — what was exported (files, records, digests) and
//! what was deleted (counts, id digests, the audit entries that record
//! each step), signed with the audit key.
//!
//! Pure: the export is written and the data deleted elsewhere (the CLI and
//! `service/offboarding.rs`); here the certificate is assembled, its signed
//! bytes defined, and a certificate checked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigil_model::{TenantId, Timestamp};
use vigil_store::audit::{AuditSigner, verify_document};
use vigil_store::governance::{DataClass, TenantPurge};

/// What a certificate's signature is for (its purpose in the signed bytes).
pub const CERTIFICATE_PURPOSE: &str = "deletion-certificate";

/// One exported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Its name in the export folder.
    pub file: String,
    /// Records in it (lines of a JSON-lines file, 1 for a JSON document).
    pub records: u64,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

/// The export's manifest: every file, with its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The client.
    pub tenant: TenantId,
    /// When the export was taken.
    pub exported_at: Timestamp,
    /// The files, in the order written.
    pub files: Vec<ManifestEntry>,
}

/// One batch of one class deleted, as its audit entry records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletedBatch {
    /// The class.
    pub class: DataClass,
    /// How many records.
    pub count: u64,
    /// SHA-256 of their sorted ids.
    pub ids_sha256: String,
    /// The audit entry holding the proof.
    pub audit_seq: u64,
}

/// The deletion certificate of an off-boarded client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletionCertificate {
    /// The client.
    pub tenant: TenantId,
    /// When the deletion finished.
    pub issued_at: Timestamp,
    /// Who off-boarded it.
    pub issued_by: String,
    /// SHA-256 of the manifest file as written.
    pub manifest_sha256: String,
    /// The exported files (the manifest's entries).
    pub exported: Vec<ManifestEntry>,
    /// Records deleted per class, in total.
    pub deleted: BTreeMap<DataClass, u64>,
    /// Each class deletion's batches, with the audit entries proving them.
    pub batches: Vec<DeletedBatch>,
    /// The rest of the client: desk records (count and id digest) and the
    /// rows of each table, with the audit entry recording it.
    pub purge: TenantPurge,
    /// The audit key's public half, hex.
    pub public_key: String,
    /// Ed25519 signature over the certificate with this field empty, hex.
    pub signature: String,
}

impl DeletionCertificate {
    /// The bytes the signature covers: the certificate's JSON with an
    /// empty signature (field order is the struct's, so it is stable).
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.signature.clear();
        serde_json::to_vec(&unsigned).unwrap_or_default()
    }

    /// Signs it with `signer` (setting its public key and signature).
    pub fn sign(mut self, signer: &AuditSigner) -> Self {
        self.public_key = hex::encode(signer.public_key());
        self.signature =
            hex::encode(signer.sign_document(CERTIFICATE_PURPOSE, &self.signed_bytes()));
        self
    }
}

/// Why a certificate did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// It is not a certificate at all.
    #[error("not a deletion certificate: {0}")]
    Malformed(String),
    /// It is signed by a key other than the one trusted.
    #[error("signed by key {found}, not the trusted key {trusted}")]
    UntrustedKey {
        /// The certificate's key.
        found: String,
        /// The key given.
        trusted: String,
    },
    /// The signature does not match its content (it was altered).
    #[error("the signature does not match the certificate's content: it was altered after signing")]
    BadSignature,
}

/// Checks a certificate as read from its file: well formed, signed by
/// `trusted` when given, and unaltered since signing. Returns it.
pub fn verify_certificate(
    text: &str,
    trusted: Option<&[u8; 32]>,
) -> Result<DeletionCertificate, CertificateError> {
    let cert: DeletionCertificate =
        serde_json::from_str(text).map_err(|e| CertificateError::Malformed(e.to_string()))?;
    let key: [u8; 32] = hex::decode(&cert.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| CertificateError::Malformed("public_key is not 32 bytes of hex".into()))?;
    if let Some(trusted) = trusted
        && *trusted != key
    {
        return Err(CertificateError::UntrustedKey {
            found: cert.public_key.clone(),
            trusted: hex::encode(trusted),
        });
    }
    let signature: [u8; 64] = hex::decode(&cert.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| CertificateError::Malformed("signature is not 64 bytes of hex".into()))?;
    if !verify_document(&key, CERTIFICATE_PURPOSE, &cert.signed_bytes(), &signature) {
        return Err(CertificateError::BadSignature);
    }
    Ok(cert)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate() -> DeletionCertificate {
        let tenant = TenantId::new("acme").unwrap();
        let at = chrono::DateTime::from_timestamp(1_000_000, 0).unwrap();
        DeletionCertificate {
            tenant: tenant.clone(),
            issued_at: at,
            issued_by: "admin".into(),
            manifest_sha256: "ab".repeat(32),
            exported: vec![ManifestEntry {
                file: "events.jsonl".into(),
                records: 3,
                sha256: "cd".repeat(32),
            }],
            deleted: BTreeMap::from([(DataClass::Events, 3)]),
            batches: vec![DeletedBatch {
                class: DataClass::Events,
                count: 3,
                ids_sha256: "ef".repeat(32),
                audit_seq: 4,
            }],
            purge: TenantPurge {
                tenant,
                desk_records: 0,
                desk_records_sha256: String::new(),
                rows: BTreeMap::from([("tenants".into(), 1)]),
                audit_seq: 5,
            },
            public_key: String::new(),
            signature: String::new(),
        }
    }

    #[test]
    fn a_signed_certificate_verifies_and_an_altered_one_does_not() {
        let signer = AuditSigner::from_secret([9; 32]);
        let text = serde_json::to_string_pretty(&certificate().sign(&signer)).unwrap();
        let cert = verify_certificate(&text, Some(&signer.public_key())).unwrap();
        assert_eq!(cert.deleted[&DataClass::Events], 3);

        let altered = text.replace("\"records\": 3", "\"records\": 2");
        assert_ne!(altered, text);
        assert_eq!(
            verify_certificate(&altered, None),
            Err(CertificateError::BadSignature)
        );
        let other = AuditSigner::from_secret([8; 32]);
        assert!(matches!(
            verify_certificate(&text, Some(&other.public_key())),
            Err(CertificateError::UntrustedKey { .. })
        ));
        let extra = text.replacen('{', "{\"note\": 1,", 1);
        assert!(matches!(
            verify_certificate(&extra, None),
            Err(CertificateError::Malformed(_))
        ));
        // A checkpoint signature is no certificate signature.
        let forged = signer.sign(1, 1, [0; 32], cert.issued_at);
        let mut swapped = cert.clone();
        swapped.signature = hex::encode(forged.signature);
        let swapped = serde_json::to_string(&swapped).unwrap();
        assert_eq!(
            verify_certificate(&swapped, None),
            Err(CertificateError::BadSignature)
        );
    }
}
