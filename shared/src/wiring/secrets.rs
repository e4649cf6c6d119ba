//! Secrets read once at cold start from AWS Secrets Manager.
//!
//! A variable that holds a secret (the id key, the intake sources with their signing
//! secrets, the webhook subscribers) reaches a Lambda as `<NAME>_SECRET_ARN`: the ARN of a
//! secret whose string is the value. The value never sits in the function's configuration,
//! where anyone allowed `lambda:GetFunctionConfiguration` could read it. Locally, and in
//! tests, `<NAME>` itself may hold the value.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;

/// `<NAME>_SECRET_ARN` asks for `<NAME>` from Secrets Manager.
pub const ARN_SUFFIX: &str = "_SECRET_ARN";
/// Only Leadflow's own variables are read this way.
const PREFIX: &str = "LEADFLOW_";

/// A secret that cannot be had, naming the variable that asked for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: `{var}`: {detail}")]
pub struct SecretError {
    pub var: String,
    pub detail: String,
}

/// A variable that asks for a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The variable the secret's value stands for, e.g. `LEADFLOW_ID_KEY`.
    pub var: String,
    /// The secret's ARN (or name).
    pub secret_id: String,
}

/// The secrets' values by the variable they stand for.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Secrets(BTreeMap<String, String>);

/// Names only: a value never reaches a log or a panic message.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Secrets {
    pub fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(String::as_str)
    }
}

/// The variables that ask for a secret, from the process environment (or any list of
/// name/value pairs). Setting both `<NAME>` and `<NAME>_SECRET_ARN` is refused: which of
/// the two holds would be a guess, and the plain one may be a leftover secret in clear.
pub fn requests(env: impl IntoIterator<Item = (String, String)>) -> Result<Vec<Request>, SecretError> {
    let env: BTreeMap<String, String> = env.into_iter().collect();
    let mut requests = Vec::new();
    for (name, value) in &env {
        let Some(var) =
            name.strip_suffix(ARN_SUFFIX).filter(|v| v.starts_with(PREFIX) && v.len() > PREFIX.len())
        else {
            continue;
        };
        let secret_id = value.trim();
        if secret_id.is_empty() {
            return Err(SecretError {
                var: name.clone(),
                detail: "is set but empty; give a secret's ARN".into(),
            });
        }
        if env.get(var).is_some_and(|v| !v.trim().is_empty()) {
            return Err(SecretError {
                var: var.to_owned(),
                detail: format!("set either `{var}` or `{name}`, not both"),
            });
        }
        requests.push(Request { var: var.to_owned(), secret_id: secret_id.to_owned() });
    }
    Ok(requests)
}

/// [`requests`] from the process environment. A variable that is not UTF-8 is none of
/// ours (and `std::env::vars()` would panic on it).
pub fn requested_by_env() -> Result<Vec<Request>, SecretError> {
    requests(std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))))
}

/// Reads every requested secret (at once, one `GetSecretValue` each).
pub async fn fetch(
    client: &aws_sdk_secretsmanager::Client,
    requests: &[Request],
) -> Result<Secrets, SecretError> {
    let reads = requests.iter().map(|r| async move {
        let answer = client.get_secret_value().secret_id(&r.secret_id).send().await;
        let fail = |detail: String| SecretError { var: format!("{}{ARN_SUFFIX}", r.var), detail };
        let id = &r.secret_id;
        let output = answer.map_err(|e| {
            fail(match e.as_service_error() {
                Some(GetSecretValueError::ResourceNotFoundException(_)) => {
                    format!("secret `{id}` does not exist")
                }
                Some(service) if service.code() == Some("AccessDeniedException") => {
                    format!("this function may not read secret `{id}` (secretsmanager:GetSecretValue)")
                }
                _ => format!("secret `{id}` could not be read: {}", DisplayErrorContext(&e)),
            })
        })?;
        match output.secret_string() {
            Some(value) if !value.trim().is_empty() => Ok((r.var.clone(), value.to_owned())),
            Some(_) => Err(fail(format!("secret `{id}` is empty"))),
            None => Err(fail(format!("secret `{id}` holds binary data; store the value as a secret string"))),
        }
    });
    Ok(Secrets(futures_util::future::try_join_all(reads).await?.into_iter().collect()))
}

static LOADED: OnceLock<Secrets> = OnceLock::new();

/// At cold start: reads the secrets the environment asks for and keeps them for the
/// process's configuration ([`loaded`]). Without any `<NAME>_SECRET_ARN`, no client is
/// built and nothing is read.
pub async fn load(aws: &aws_config::SdkConfig) -> Result<(), SecretError> {
    if LOADED.get().is_some() {
        return Ok(());
    }
    let requests = requested_by_env()?;
    let secrets = if requests.is_empty() {
        Secrets::default()
    } else {
        fetch(&aws_sdk_secretsmanager::Client::new(aws), &requests).await?
    };
    // A second load in one process keeps the first: the configuration is read once.
    let _ = LOADED.set(secrets);
    Ok(())
}

/// The value a secret gave `var`, if it came from one.
pub fn loaded(var: &str) -> Option<&'static str> {
    LOADED.get().and_then(|s| s.get(var))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn leadflow_variables_ending_in_secret_arn_ask_for_a_secret() {
        let found = requests(env(&[
            ("LEADFLOW_ID_KEY_SECRET_ARN", " arn:aws:secretsmanager:eu-central-1:1:secret:id-AbCdEf "),
            ("LEADFLOW_TABLE", "leads"),
            ("OTHER_SECRET_ARN", "arn:x"),
            ("LEADFLOW__SECRET_ARN", "arn:y"),
            ("LEADFLOW_SECRET_ARN", "arn:z"),
        ]))
        .unwrap();
        assert_eq!(
            found,
            vec![Request {
                var: "LEADFLOW_ID_KEY".into(),
                secret_id: "arn:aws:secretsmanager:eu-central-1:1:secret:id-AbCdEf".into()
            }]
        );
    }

    #[test]
    fn a_variable_given_both_ways_or_an_empty_arn_is_refused() {
        let both =
            requests(env(&[("LEADFLOW_ID_KEY", "k"), ("LEADFLOW_ID_KEY_SECRET_ARN", "arn:a")])).unwrap_err();
        assert_eq!(both.var, "LEADFLOW_ID_KEY");
        assert!(both.to_string().contains("not both"), "{both}");
        let empty = requests(env(&[("LEADFLOW_SOURCES_SECRET_ARN", "  ")])).unwrap_err();
        assert_eq!(empty.var, "LEADFLOW_SOURCES_SECRET_ARN");
        // An empty plain variable next to the ARN is no conflict.
        assert_eq!(
            requests(env(&[("LEADFLOW_ID_KEY", ""), ("LEADFLOW_ID_KEY_SECRET_ARN", "a")])).unwrap().len(),
            1
        );
    }
}
