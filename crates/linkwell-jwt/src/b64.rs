//! Strict base64url (RFC 7515 §2): no padding, no whitespace, no characters
//! outside the alphabet, and no non-zero trailing bits. Lenient decoders let
//! two different strings carry the same bytes, which breaks "the signature is
//! over exactly these bytes" reasoning (Wycheproof `ModifiedUnusedBits`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub(crate) fn decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// For tests, benches and the gateway computing a thumbprint string.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
