//! Configuration from the environment, read once at start-up, with errors that say
//! which variable is wrong.

use crate::adapters::http::{Auth, Sources};
use crate::adapters::webhooks::delivery::RetryPolicy;
use crate::adapters::webhooks::{subscribers_from_json, Subscriber};
use crate::domain::identity::IdKey;
use crate::domain::sla::Sla;

/// `LEADFLOW_TABLE`: the DynamoDB table.
pub const TABLE: &str = "LEADFLOW_TABLE";
/// `LEADFLOW_ID_KEY`: the secret that turns emails into lead ids (16+ characters).
pub const ID_KEY: &str = "LEADFLOW_ID_KEY";
/// `LEADFLOW_SOURCES`: intake sources as JSON (see README).
pub const SOURCES: &str = "LEADFLOW_SOURCES";
/// `LEADFLOW_SLA`: path of an SLA JSON file; the shipped default SLA when unset.
pub const SLA: &str = "LEADFLOW_SLA";
/// `LEADFLOW_AUTH`: `scopes` (default: handlers check JWT scopes) or `open`.
pub const AUTH: &str = "LEADFLOW_AUTH";

/// `LEADFLOW_WEBHOOKS`: outbound webhook subscribers as JSON (see README). It holds
/// secrets: on AWS it comes from Secrets Manager (`LEADFLOW_WEBHOOKS_SECRET_ARN`).
pub const WEBHOOKS: &str = "LEADFLOW_WEBHOOKS";
/// `LEADFLOW_WEBHOOK_RETRY_BASE_MS`: the wait before a failed delivery's first retry
/// (doubling after); default one minute. Tests and demos shorten it.
pub const WEBHOOK_RETRY_BASE_MS: &str = "LEADFLOW_WEBHOOK_RETRY_BASE_MS";

/// A configuration that cannot run, naming the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: `{0}` must be set")]
    Missing(&'static str),
    #[error("configuration: `{var}`: {detail}")]
    Invalid { var: &'static str, detail: String },
}

fn invalid(var: &'static str, detail: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid { var, detail: detail.to_string() }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    var(name).ok_or(ConfigError::Missing(name))
}

pub fn id_key() -> Result<IdKey, ConfigError> {
    IdKey::new(required(ID_KEY)?).map_err(|e| invalid(ID_KEY, e))
}

pub fn sources() -> Result<Sources, ConfigError> {
    match var(SOURCES) {
        None => Ok(Sources::default()),
        Some(text) => Sources::from_json(&text).map_err(|e| invalid(SOURCES, e)),
    }
}

pub fn sla() -> Result<Sla, ConfigError> {
    match var(SLA) {
        None => Ok(Sla::default_sla()),
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| invalid(SLA, format!("{path}: {e}")))?;
            Sla::from_json(&text).map_err(|e| invalid(SLA, format!("{path}: {e}")))
        }
    }
}

/// The webhook subscribers; none when unset.
pub fn webhooks() -> Result<Vec<Subscriber>, ConfigError> {
    match var(WEBHOOKS) {
        None => Ok(Vec::new()),
        Some(text) => subscribers_from_json(&text).map_err(|e| invalid(WEBHOOKS, e)),
    }
}

/// The webhook retry schedule, its first wait from [`WEBHOOK_RETRY_BASE_MS`].
pub fn webhook_retry_policy() -> Result<RetryPolicy, ConfigError> {
    let mut policy = RetryPolicy::default();
    if let Some(ms) = var(WEBHOOK_RETRY_BASE_MS) {
        let ms: u64 = ms.trim().parse().ok().filter(|ms| *ms > 0).ok_or_else(|| {
            invalid(WEBHOOK_RETRY_BASE_MS, format!("a positive number of milliseconds, not `{ms}`"))
        })?;
        policy.base = std::time::Duration::from_millis(ms);
    }
    Ok(policy)
}

pub fn auth() -> Result<Auth, ConfigError> {
    match var(AUTH).as_deref() {
        None | Some("scopes") => Ok(Auth::Scopes),
        Some("open") => Ok(Auth::Open),
        Some(other) => Err(invalid(AUTH, format!("`scopes` or `open`, not `{other}`"))),
    }
}

/// The DynamoDB client from the standard AWS configuration (region, credentials,
/// `AWS_ENDPOINT_URL_DYNAMODB`, retry settings), built once per process, over an HTTPS
/// client that trusts the system's CA bundle.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(http) = https_client() {
        loader = loader.http_client(http);
    }
    aws_sdk_dynamodb::Client::new(&loader.load().await)
}

/// The SDK's HTTPS client trusting the system's CA bundle ([`system_roots`]); `None`
/// leaves the SDK's own client.
fn https_client() -> Option<aws_sdk_dynamodb::config::SharedHttpClient> {
    use aws_smithy_http_client::tls;
    let trust = tls::TrustStore::empty().with_native_roots(false).with_pem_certificate(system_roots()?);
    let context = tls::TlsContext::builder().with_trust_store(trust).build().ok()?;
    Some(
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
            .tls_context(context)
            .build_https(),
    )
}

/// The system's CA bundle, one PEM file: Amazon Linux 2023 (the Lambda runtime),
/// Debian/Ubuntu, Alpine and macOS.
const CA_BUNDLES: [&str; 3] =
    ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"];

/// The roots HTTPS trusts: the system's CA bundle (`SSL_CERT_FILE` first), the certificates
/// rustls can use, as PEM. The SDK's own loader also walks the certificate directory,
/// file by file: 5-10 ms of every cold start on a Debian host. `None` (no bundle, or
/// nothing usable in it): the SDK's own loading.
fn system_roots() -> Option<Vec<u8>> {
    let path = var("SSL_CERT_FILE")
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

/// JSON logs, one line per event, level from `RUST_LOG` (default `info`). Log lines carry
/// lead ids, never emails, names or phone numbers.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().json().with_env_filter(filter).with_target(false).without_time().init();
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
