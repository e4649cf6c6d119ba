//! Webflow: `x-webflow-signature` (hex HMAC-SHA256 of "<ms>:<body>") with
//! `x-webflow-timestamp` (ms); a `form_submission` carries its fields in `payload.data`.

use hmac::Mac;
use serde_json::{Map, Value};

use super::fields::{delivery_id, insert, Fields, FormError};
use super::signed::{mac, within_window_millis, SignatureError, Signed};

const H: &str = "x-webflow-signature";
const T: &str = "x-webflow-timestamp";

pub fn verify(secret: &str, r: &Signed<'_>) -> Result<(), SignatureError> {
    let sig = hex::decode((r.header)(H).ok_or(SignatureError::Missing(H))?)
        .map_err(|_| SignatureError::Malformed(H))?;
    let millis: i64 =
        (r.header)(T).ok_or(SignatureError::Missing(T))?.parse().map_err(|_| SignatureError::Malformed(T))?;
    within_window_millis(millis, r.now)?;
    let mut m = mac(secret);
    m.update(format!("{millis}:").as_bytes());
    m.update(r.body);
    m.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
}

pub fn sign(secret: &str, millis: i64, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(format!("{millis}:").as_bytes());
    m.update(body);
    hex::encode(m.finalize().into_bytes())
}

/// A Webflow `form_submission`; `Ok(None)` for any other shape.
pub fn decode(doc: &Map<String, Value>) -> Result<Option<Fields>, FormError> {
    let Some(data) = doc.get("payload").and_then(|p| p.get("data")).and_then(Value::as_object) else {
        return Ok(None);
    };
    let mut fields = Fields {
        delivery_id: doc.get("payload").and_then(|p| p.get("id")).and_then(delivery_id),
        ..Fields::default()
    };
    for (k, v) in data {
        insert(&mut fields, k, v)?;
    }
    Ok(Some(fields))
}
