//! HubSpot's v3 request signature: `X-HubSpot-Signature-v3` (base64 HMAC-SHA256 of
//! method + URL + body + timestamp) with `X-HubSpot-Request-Timestamp` (ms). Bodies are
//! flat JSON (a workflow's webhook action).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::Mac;

use super::signed::{mac, within_window, SignatureError, Signed};

const H: &str = "x-hubspot-signature-v3";
const T: &str = "x-hubspot-request-timestamp";

pub fn verify(secret: &str, r: &Signed<'_>) -> Result<(), SignatureError> {
    let sig = BASE64
        .decode((r.header)(H).ok_or(SignatureError::Missing(H))?)
        .map_err(|_| SignatureError::Malformed(H))?;
    let millis: i64 =
        (r.header)(T).ok_or(SignatureError::Missing(T))?.parse().map_err(|_| SignatureError::Malformed(T))?;
    within_window(millis / 1000, r.now)?;
    let mut m = mac(secret);
    m.update(r.method.as_bytes());
    m.update(r.url.as_bytes());
    m.update(r.body);
    m.update(millis.to_string().as_bytes());
    m.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
}

pub fn sign(secret: &str, method: &str, url: &str, body: &[u8], millis: i64) -> String {
    let mut m = mac(secret);
    m.update(method.as_bytes());
    m.update(url.as_bytes());
    m.update(body);
    m.update(millis.to_string().as_bytes());
    BASE64.encode(m.finalize().into_bytes())
}
