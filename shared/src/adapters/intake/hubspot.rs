//! HubSpot's v3 request signature: `X-HubSpot-Signature-v3` (base64 HMAC-SHA256 of
//! method + URL + body + timestamp) with `X-HubSpot-Request-Timestamp` (ms). Bodies are
//! flat JSON (a workflow's webhook action).
//!
//! The URL is the one HubSpot called, `https://<host><path>?<query>` exactly as it went
//! out (the handler rebuilds it from API Gateway's domain name, raw path and raw query
//! string). HubSpot's guide also has verifiers decode `%3A %2F %3F %40 %21 %24 %27 %28
//! %29 %2A %2C %3B` in it first, so that form is accepted too.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::Mac;

use super::signed::{mac, within_window_millis, SignatureError, Signed};

const H: &str = "x-hubspot-signature-v3";
const T: &str = "x-hubspot-request-timestamp";

/// The escapes HubSpot's v3 guide decodes in the URL before signing.
const DECODED: &[(&str, char)] = &[
    ("%3A", ':'),
    ("%2F", '/'),
    ("%3F", '?'),
    ("%40", '@'),
    ("%21", '!'),
    ("%24", '$'),
    ("%27", '\''),
    ("%28", '('),
    ("%29", ')'),
    ("%2A", '*'),
    ("%2C", ','),
    ("%3B", ';'),
];

/// The URL with HubSpot's listed escapes decoded (either case of hex digits); `None` if
/// it has none of them.
fn decoded(url: &str) -> Option<String> {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    let mut changed = false;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let escape = rest.get(i..i + 3);
        match escape.and_then(|e| DECODED.iter().find(|(code, _)| code.eq_ignore_ascii_case(e))) {
            Some((_, c)) => {
                out.push(*c);
                rest = &rest[i + 3..];
                changed = true;
            }
            None => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

pub fn verify(secret: &str, r: &Signed<'_>) -> Result<(), SignatureError> {
    let sig = BASE64
        .decode((r.header)(H).ok_or(SignatureError::Missing(H))?)
        .map_err(|_| SignatureError::Malformed(H))?;
    let millis: i64 =
        (r.header)(T).ok_or(SignatureError::Missing(T))?.parse().map_err(|_| SignatureError::Malformed(T))?;
    within_window_millis(millis, r.now)?;
    let signed_over = |url: &str| {
        let mut m = mac(secret);
        m.update(r.method.as_bytes());
        m.update(url.as_bytes());
        m.update(r.body);
        m.update(millis.to_string().as_bytes());
        m.verify_slice(&sig).is_ok()
    };
    if signed_over(r.url) || decoded(r.url).is_some_and(|url| signed_over(&url)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

pub fn sign(secret: &str, method: &str, url: &str, body: &[u8], millis: i64) -> String {
    let mut m = mac(secret);
    m.update(method.as_bytes());
    m.update(url.as_bytes());
    m.update(body);
    m.update(millis.to_string().as_bytes());
    BASE64.encode(m.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::Timestamp;

    const SECRET: &str = "hubspot-secret-0123456789";
    const NOW: Timestamp = Timestamp::from_unix(1_795_773_600);

    fn check(url: &str, signed_url: &str) -> Result<(), SignatureError> {
        let ms = NOW.unix() * 1000;
        let sig = sign(SECRET, "POST", signed_url, b"{}", ms);
        let ts = ms.to_string();
        let get = |h: &str| match h {
            H => Some(sig.as_str()),
            T => Some(ts.as_str()),
            _ => None,
        };
        verify(SECRET, &Signed { method: "POST", url, header: &get, body: b"{}", now: NOW })
    }

    #[test]
    fn the_url_as_called_or_as_hubspot_decodes_it() {
        let url =
            "https://leads.example.com/intake/hubspot?next=%2Fdanke%3Fa%3D1&mail=a%40b.de&q=caf%C3%A9+%7e";
        assert_eq!(check(url, url), Ok(()));
        let as_hubspot =
            "https://leads.example.com/intake/hubspot?next=/danke?a%3D1&mail=a@b.de&q=caf%C3%A9+%7e";
        assert_eq!(decoded(url).as_deref(), Some(as_hubspot));
        assert_eq!(check(url, as_hubspot), Ok(()));
        // Anything else is another URL.
        let other =
            "https://leads.example.com/intake/hubspot?next=%2Fdanke%3Fa%3D1&mail=a%40b.de&q=caf%C3%A9+~";
        assert_eq!(check(url, other), Err(SignatureError::Mismatch));
        assert_eq!(check(url, "https://evil.test/intake/hubspot"), Err(SignatureError::Mismatch));
        assert_eq!(decoded("https://x/%"), None);
        assert_eq!(decoded("https://x/%2").as_deref(), None);
        assert_eq!(decoded("https://x/%2f%é").as_deref(), Some("https://x//%é"));
    }
}
