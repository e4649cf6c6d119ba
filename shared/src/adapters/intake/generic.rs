//! Leadflow's own scheme, for any tool that can sign: `X-Leadflow-Signature:
//! t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; several `v1` (at most
//! [`MAX_SIGNATURES`]) let senders rotate secrets. Bodies are flat JSON or urlencoded
//! forms (see `web`).

use hmac::Mac;

use super::signed::{mac, within_window, SignatureError, Signed};

const H: &str = "x-leadflow-signature";

/// The most `v1` entries one header may carry: enough for a rotation, not a way to make
/// the server compute an HMAC per entry of a long header.
pub const MAX_SIGNATURES: usize = 8;

pub fn verify(secret: &str, r: &Signed<'_>) -> Result<(), SignatureError> {
    let value = (r.header)(H).ok_or(SignatureError::Missing(H))?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in value.split(',') {
        match part.trim().split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => {
                if v1.len() == MAX_SIGNATURES {
                    return Err(SignatureError::Malformed(H));
                }
                v1.push(hex::decode(x).map_err(|_| SignatureError::Malformed(H))?)
            }
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed(H))?;
    if v1.is_empty() {
        return Err(SignatureError::Malformed(H));
    }
    within_window(t, r.now)?;
    let matches = v1.iter().any(|sig| {
        let mut m = mac(secret);
        m.update(format!("{t}.").as_bytes());
        m.update(r.body);
        m.verify_slice(sig).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Signs like a sender would: for tests, examples and the README's walkthrough.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}
