//! The HTTPS client every AWS SDK client of a function uses (DynamoDB, Secrets Manager):
//! one TLS stack, with the trust store built for a quick cold start.

use std::sync::OnceLock;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// The HTTPS client for any SDK client's `http_client`: trusts the system's CA bundle
/// ([`system_roots`]), built on the first request rather than at start-up.
pub fn https_client() -> SharedHttpClient {
    SharedHttpClient::new(LazyHttpsClient::default())
}

/// Builds its client on the first request. Parsing the ~150 roots of the bundle took most
/// of a cold start's time to ready, and the SDK's own client parses them twice (once when
/// the SDK client is built, again for the first connector); this parses them once, off
/// the path to ready. `aws-smithy-http-client` 1.5 takes trust anchors only as PEM
/// certificates (its rustls connector is not public), so compiled-in anchors such as
/// `webpki-roots` cannot be handed to it.
#[derive(Debug, Default)]
struct LazyHttpsClient {
    client: OnceLock<SharedHttpClient>,
}

impl HttpClient for LazyHttpsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.client.get_or_init(build_https_client).http_connector(settings, components)
    }
}

/// The SDK's HTTPS client over rustls with ring, trusting [`system_roots`]; without a
/// usable bundle, the SDK's own loading of the native roots.
fn build_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls;
    let trust = match system_roots() {
        Some(pem) => tls::TrustStore::empty().with_native_roots(false).with_pem_certificate(pem),
        None => tls::TrustStore::default(),
    };
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring));
    match tls::TlsContext::builder().with_trust_store(trust).build() {
        Ok(context) => builder.tls_context(context).build_https(),
        Err(_) => builder.build_https(),
    }
}

/// The system's CA bundle, one PEM file: Amazon Linux 2023 (the Lambda runtime),
/// Debian/Ubuntu, Alpine and macOS.
const CA_BUNDLES: [&str; 3] =
    ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"];

/// The roots HTTPS trusts: the system's CA bundle (`SSL_CERT_FILE` first), the certificates
/// rustls can use, as PEM. The SDK's own loader also walks the certificate directory,
/// file by file: 5-10 ms of every cold start on a Debian host. `None` (no bundle, or
/// nothing usable in it): the SDK's own loading.
pub fn system_roots() -> Option<Vec<u8>> {
    let path = std::env::var("SSL_CERT_FILE")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .into_iter()
        .chain(CA_BUNDLES.iter().map(|p| p.to_string()))
        .find(|p| std::path::Path::new(p).is_file())?;
    usable_roots(&std::fs::read(path).ok()?)
}

/// The certificates of a PEM bundle that rustls accepts as roots, re-encoded as PEM.
pub fn usable_roots(pem: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut usable = rustls::RootCertStore::empty();
    let mut out = Vec::with_capacity(pem.len());
    for der in CertificateDer::pem_slice_iter(pem).filter_map(Result::ok) {
        // The SDK panics on a certificate it cannot parse: hand it only good ones.
        if usable.add(der.clone()).is_ok() {
            let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
            out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
            for line in body.as_bytes().chunks(64) {
                out.extend_from_slice(line);
                out.push(b'\n');
            }
            out.extend_from_slice(b"-----END CERTIFICATE-----\n");
        }
    }
    (!usable.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Amazon Root CA 1, which DynamoDB's endpoints chain to (a public certificate).
    const AMAZON_ROOT_CA_1: &str = include_str!("../../tests/data/amazon-root-ca-1.pem");

    #[test]
    fn only_usable_roots_reach_the_https_client() {
        let broken = "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
        let bundle = format!("# a comment line\n{broken}{AMAZON_ROOT_CA_1}{broken}");
        let roots = String::from_utf8(usable_roots(bundle.as_bytes()).unwrap()).unwrap();
        assert_eq!(roots.matches("BEGIN CERTIFICATE").count(), 1, "{roots}");
        // Re-encoded, it is the same certificate.
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(squash(&roots), squash(AMAZON_ROOT_CA_1));
        assert_eq!(usable_roots(broken.as_bytes()), None);
        assert_eq!(usable_roots(b""), None);
    }
}
