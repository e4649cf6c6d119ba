//! Plain web forms: a site's own form posting urlencoded fields or flat JSON, unsigned
//! (only for sources configured so) or signed with the generic scheme.

use serde_json::{Map, Value};

use super::fields::{delivery_id, insert, Fields, FormError};
use super::signed::{SignatureError, Signed};

/// An unsigned source accepts every request: the operator configured it so.
pub fn verify(_secret: &str, _r: &Signed<'_>) -> Result<(), SignatureError> {
    Ok(())
}

/// Flat JSON: every key a field, `delivery_id`/`event_id`/`eventId` the delivery id (the
/// first that is not blank).
pub fn decode_json(doc: &Map<String, Value>) -> Result<Fields, FormError> {
    let mut fields = Fields::default();
    for (k, v) in doc {
        match k.as_str() {
            "delivery_id" | "event_id" | "eventId" => {
                if fields.delivery_id.is_none() {
                    fields.delivery_id = delivery_id(v);
                }
            }
            _ => insert(&mut fields, k, v)?,
        }
    }
    Ok(fields)
}

/// `application/x-www-form-urlencoded`, as a browser posts a form.
pub fn decode_form(body: &[u8]) -> Result<Fields, FormError> {
    std::str::from_utf8(body).map_err(|_| FormError::Malformed("the form body is not UTF-8".into()))?;
    let mut fields = Fields::default();
    for (k, v) in form_urlencoded::parse(body) {
        if k == "delivery_id" {
            if !v.trim().is_empty() {
                fields.delivery_id = Some(v.into_owned());
            }
        } else {
            fields.values.insert(k.into_owned(), v.into_owned());
        }
    }
    Ok(fields)
}
