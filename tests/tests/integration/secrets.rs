//! Secrets read from Secrets Manager at cold start (a local one: moto's server mode):
//! a variable given as `<NAME>_SECRET_ARN` gets the secret's string; a secret that is
//! missing, binary or empty is a start-up error naming the variable. The end-to-end
//! path (the real binaries reading their id key and sources this way, and refusing to
//! start on a malformed one) is in `lambda_emulator`.

use leadflow::wiring::secrets::{fetch, requests};
use leadflow_tests::secrets_manager::{binary_secret, client, string_secret};

fn asked(pairs: &[(&str, &str)]) -> Vec<leadflow::wiring::secrets::Request> {
    requests(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_named_by_arn_become_the_variables_values() {
    let key = string_secret("leadflow-id-key", "a-long-enough-id-key-0123").await;
    let sources = string_secret("leadflow-sources", r#"{"web":{"scheme":"unsigned"}}"#).await;
    let secrets = fetch(
        &client(),
        &asked(&[("LEADFLOW_ID_KEY_SECRET_ARN", &key), ("LEADFLOW_SOURCES_SECRET_ARN", &sources)]),
    )
    .await
    .unwrap();
    assert_eq!(secrets.get("LEADFLOW_ID_KEY"), Some("a-long-enough-id-key-0123"));
    assert_eq!(secrets.get("LEADFLOW_SOURCES"), Some(r#"{"web":{"scheme":"unsigned"}}"#));
    assert_eq!(secrets.get("LEADFLOW_TABLE"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_a_binary_or_an_empty_secret_is_an_error_naming_the_variable() {
    let good = string_secret("leadflow-id-key", "a-long-enough-id-key-0123").await;
    let binary = binary_secret("leadflow-sources", b"\x00\x01not a string").await;
    let blank = string_secret("leadflow-webhooks", "   ").await;
    let missing = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:leadflow/nowhere-AbCdEf";
    for (bad, want) in
        [(binary.as_str(), "binary"), (blank.as_str(), "is empty"), (missing, "does not exist")]
    {
        let err = fetch(
            &client(),
            &asked(&[("LEADFLOW_ID_KEY_SECRET_ARN", &good), ("LEADFLOW_SOURCES_SECRET_ARN", bad)]),
        )
        .await
        .unwrap_err();
        assert_eq!(err.var, "LEADFLOW_SOURCES_SECRET_ARN", "{err}");
        assert!(err.to_string().contains(want) && err.to_string().contains(bad), "{want}: {err}");
    }
}
