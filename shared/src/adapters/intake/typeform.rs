//! Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`; answers in
//! `form_response.answers`, named by their field's `ref`, plus hidden fields.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::Mac;
use serde_json::{Map, Value};

use super::fields::{delivery_id, insert, Fields, FormError};
use super::signed::{mac, SignatureError, Signed};

const H: &str = "typeform-signature";

pub fn verify(secret: &str, r: &Signed<'_>) -> Result<(), SignatureError> {
    let value = (r.header)(H).ok_or(SignatureError::Missing(H))?;
    let sig = value.strip_prefix("sha256=").ok_or(SignatureError::Malformed(H))?;
    let sig = BASE64.decode(sig).map_err(|_| SignatureError::Malformed(H))?;
    let mut m = mac(secret);
    m.update(r.body);
    m.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
}

pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(body);
    format!("sha256={}", BASE64.encode(m.finalize().into_bytes()))
}

/// Typeform answers carry their value under a key named after the answer type.
fn answer_value(answer: &Value) -> Option<Value> {
    let kind = answer.get("type")?.as_str()?;
    let v = answer.get(kind)?;
    Some(match kind {
        "choice" => v.get("label").cloned().or_else(|| v.get("other").cloned())?,
        "choices" => v.get("labels").cloned()?,
        _ => v.clone(),
    })
}

/// A Typeform `form_response` delivery; `Ok(None)` for any other shape.
pub fn decode(doc: &Map<String, Value>) -> Result<Option<Fields>, FormError> {
    let Some(response) = doc.get("form_response").and_then(Value::as_object) else { return Ok(None) };
    let mut fields = Fields { delivery_id: doc.get("event_id").and_then(delivery_id), ..Fields::default() };
    for answer in response.get("answers").and_then(Value::as_array).into_iter().flatten() {
        let name =
            answer.pointer("/field/ref").or_else(|| answer.pointer("/field/id")).and_then(Value::as_str);
        if let (Some(name), Some(value)) = (name, answer_value(answer)) {
            insert(&mut fields, name, &value)?;
        }
    }
    for (k, v) in response.get("hidden").and_then(Value::as_object).into_iter().flatten() {
        insert(&mut fields, k, v)?;
    }
    Ok(Some(fields))
}
