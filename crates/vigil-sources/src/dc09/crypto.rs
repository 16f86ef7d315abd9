//! DC-09 encryption: AES-CBC with a zero IV and a per-account key of 128,
//! 192 or 256 bits. The plaintext is padded at its front with random
//! printable bytes up to a multiple of 16, and the pad ends at the first
//! `|`; so the cipher itself uses no padding scheme.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use rand::Rng;

const IV: [u8; 16] = [0; 16];

/// An account's AES key. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct PanelKey(KeyBytes);

#[derive(Clone, PartialEq, Eq)]
enum KeyBytes {
    Aes128([u8; 16]),
    Aes192([u8; 24]),
    Aes256([u8; 32]),
}

impl std::fmt::Debug for PanelKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PanelKey(AES-{}, redacted)", self.bits())
    }
}

/// What was wrong with a key or a ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The key is not 32, 48 or 64 hex digits.
    #[error(
        "an encryption key must be 32, 48 or 64 hex digits (AES-128/192/256); this one is {0} characters"
    )]
    KeyLength(usize),
    /// The key has a character that is not a hex digit.
    #[error("an encryption key must be hex digits only")]
    KeyNotHex,
    /// The encrypted content is not hex.
    #[error("encrypted content byte {0} is not a hex digit")]
    NotHex(usize),
    /// The encrypted content is not a whole number of AES blocks.
    #[error("encrypted content is {0} bytes, not a multiple of 16")]
    NotBlocks(usize),
}

impl PanelKey {
    /// A key from its hex text (32, 48 or 64 hex digits).
    pub fn from_hex(text: &str) -> Result<Self, CryptoError> {
        let text = text.trim();
        let bytes = hex::decode(text).map_err(|e| match e {
            hex::FromHexError::OddLength => CryptoError::KeyLength(text.len()),
            _ => CryptoError::KeyNotHex,
        })?;
        Self::from_bytes(&bytes).ok_or(CryptoError::KeyLength(text.len()))
    }

    /// A key from 16, 24 or 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Some(PanelKey(match bytes.len() {
            16 => KeyBytes::Aes128(bytes.try_into().ok()?),
            24 => KeyBytes::Aes192(bytes.try_into().ok()?),
            32 => KeyBytes::Aes256(bytes.try_into().ok()?),
            _ => return None,
        }))
    }

    /// The key size in bits.
    pub fn bits(&self) -> u16 {
        match self.0 {
            KeyBytes::Aes128(_) => 128,
            KeyBytes::Aes192(_) => 192,
            KeyBytes::Aes256(_) => 256,
        }
    }

    /// Decrypts `ciphertext` (whole blocks).
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
            return Err(CryptoError::NotBlocks(ciphertext.len()));
        }
        let mut buf = ciphertext.to_vec();
        let len = match &self.0 {
            KeyBytes::Aes128(k) => cbc::Decryptor::<aes::Aes128>::new(k.into(), &IV.into())
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .map(<[u8]>::len),
            KeyBytes::Aes192(k) => cbc::Decryptor::<aes::Aes192>::new(k.into(), &IV.into())
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .map(<[u8]>::len),
            KeyBytes::Aes256(k) => cbc::Decryptor::<aes::Aes256>::new(k.into(), &IV.into())
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .map(<[u8]>::len),
        }
        .map_err(|_| CryptoError::NotBlocks(ciphertext.len()))?;
        buf.truncate(len);
        Ok(buf)
    }

    /// Encrypts `plaintext`, which must be whole blocks.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if !plaintext.len().is_multiple_of(16) {
            return Err(CryptoError::NotBlocks(plaintext.len()));
        }
        let mut buf = plaintext.to_vec();
        let n = buf.len();
        let len = match &self.0 {
            KeyBytes::Aes128(k) => cbc::Encryptor::<aes::Aes128>::new(k.into(), &IV.into())
                .encrypt_padded_mut::<NoPadding>(&mut buf, n)
                .map(<[u8]>::len),
            KeyBytes::Aes192(k) => cbc::Encryptor::<aes::Aes192>::new(k.into(), &IV.into())
                .encrypt_padded_mut::<NoPadding>(&mut buf, n)
                .map(<[u8]>::len),
            KeyBytes::Aes256(k) => cbc::Encryptor::<aes::Aes256>::new(k.into(), &IV.into())
                .encrypt_padded_mut::<NoPadding>(&mut buf, n)
                .map(<[u8]>::len),
        }
        .map_err(|_| CryptoError::NotBlocks(n))?;
        buf.truncate(len);
        Ok(buf)
    }

    /// Decrypts the hex text that follows `[` in an encrypted frame.
    pub fn decrypt_hex(&self, text: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if let Some(bad) = text.iter().position(|b| !b.is_ascii_hexdigit()) {
            return Err(CryptoError::NotHex(bad));
        }
        let bytes = hex::decode(text).map_err(|_| CryptoError::NotBlocks(text.len() / 2))?;
        self.decrypt(&bytes)
    }

    /// Pads `content` (`|` is added before it), encrypts it and returns
    /// upper-case hex, as a DC-09 sender or an encrypted ACK carries it.
    pub fn seal_hex(&self, content: &[u8], rng: &mut impl Rng) -> String {
        let pad_len = 16 - (content.len() + 1) % 16;
        let pad_len = if pad_len == 16 { 0 } else { pad_len };
        let mut plain = Vec::with_capacity(pad_len + 1 + content.len());
        while plain.len() < pad_len {
            let b: u8 = rng.random_range(0x20..0x7f);
            // The pad ends at the first `|`; brackets are the frame's own.
            if !matches!(b, b'|' | b'[' | b']') {
                plain.push(b);
            }
        }
        plain.push(b'|');
        plain.extend_from_slice(content);
        // Whole blocks by construction.
        self.encrypt(&plain)
            .map(hex::encode_upper)
            .unwrap_or_default()
    }
}

/// Removes the pad from decrypted content: everything up to and including
/// the first `|`. `None` when there is no `|` (wrong key, or not DC-09).
pub fn strip_pad(plain: &[u8]) -> Option<&[u8]> {
    let bar = plain.iter().position(|&b| b == b'|')?;
    plain.get(bar + 1..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn fips_197_vectors_through_cbc_with_zero_iv() {
        // One block with a zero IV is plain AES: FIPS-197 appendix C.
        let pt = hex::decode("00112233445566778899aabbccddeeff").unwrap();
        for (key, ct) in [
            (
                "000102030405060708090a0b0c0d0e0f",
                "69c4e0d86a7b0430d8cdb78070b4c55a",
            ),
            (
                "000102030405060708090a0b0c0d0e0f1011121314151617",
                "dda97ca4864cdfe06eaf70a0ec0d7191",
            ),
            (
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "8ea2b7ca516745bfeafc49904b496089",
            ),
        ] {
            let k = PanelKey::from_hex(key).unwrap();
            assert_eq!(hex::encode(k.encrypt(&pt).unwrap()), ct);
            assert_eq!(k.decrypt(&hex::decode(ct).unwrap()).unwrap(), pt);
        }
    }

    #[test]
    fn keys_are_checked_and_never_printed() {
        assert_eq!(PanelKey::from_hex("abcd"), Err(CryptoError::KeyLength(4)));
        assert_eq!(
            PanelKey::from_hex(&"zz".repeat(16)),
            Err(CryptoError::KeyNotHex)
        );
        let k = PanelKey::from_hex(&"11".repeat(24)).unwrap();
        assert_eq!(k.bits(), 192);
        assert_eq!(format!("{k:?}"), "PanelKey(AES-192, redacted)");
    }

    #[test]
    fn sealed_content_opens_with_the_pad_stripped() {
        let k = PanelKey::from_hex(&"2b".repeat(16)).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for content in [&b"]_10:00:00,01-02-2026"[..], b"#1234|Nri1/BA001]", b""] {
            let sealed = k.seal_hex(content, &mut rng);
            assert_eq!(sealed.len() % 32, 0);
            let plain = k.decrypt_hex(sealed.as_bytes()).unwrap();
            assert_eq!(strip_pad(&plain), Some(content));
        }
        assert_eq!(k.decrypt_hex(b"0g"), Err(CryptoError::NotHex(1)));
        assert_eq!(k.decrypt(&[0; 15]), Err(CryptoError::NotBlocks(15)));
    }
}
