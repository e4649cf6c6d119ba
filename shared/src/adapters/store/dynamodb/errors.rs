//! SDK errors in the domain's terms: "not now" is `Unavailable`, a failed condition
//! `Conflict`, anything else `Internal` with the SDK's full context.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::usecases::store::StoreError;

pub(super) fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

/// Error codes that mean "not now": throttling and server-side trouble.
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
    "TransactionInProgressException",
    // A transaction holds the item: a plain write re-reads and retries it (`Conflict`);
    // anywhere else (a delete) it is "not now".
    "TransactionConflictException",
];

/// Maps an SDK error into the domain's terms; never panics, whatever the SDK returns.
pub fn map_sdk_error<E, R>(operation: &str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let unavailable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(e) => e.err().code().is_some_and(|c| RETRYABLE_CODES.contains(&c)),
        _ => false,
    };
    let text = format!("{operation}: {}", DisplayErrorContext(&err));
    if unavailable {
        StoreError::Unavailable(text)
    } else {
        StoreError::Internal(text)
    }
}
