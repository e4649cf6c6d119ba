//! The scoring function's three triggers, typed: the EventBridge schedule (the due
//! requalification), `POST /leads/{id}/score` through the HTTP API, and direct actions
//! (`{"action":"requalify"}`, `{"action":"rescore"}`). Its errors say whether a retry can
//! help, so the schedule's retry policy and dead-letter queue see the difference.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_http::request::LambdaRequest;
use lambda_http::Body;
use serde_json::{json, Value};

use crate::adapters::http::{scoring as http_scoring, App, Problem};
use crate::domain::clock::Timestamp;
use crate::usecases::deadline::Deadline;
use crate::usecases::requalify::{rescore_all, run_due_until, PAGE};
use crate::usecases::store::{LeadStore, StoreError};

/// A direct invocation of the scoring function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The due requalification as of now, or as of `as_of`.
    Requalify { as_of: Option<Timestamp> },
    /// After an SLA change: re-score every lead, `segments` in parallel, stopping after
    /// `max_seconds` (invoke again until `done`).
    Rescore { segments: u32, max_seconds: u64 },
}

/// What invoked the scoring function.
#[derive(Debug)]
pub enum ScoringEvent {
    Scheduled(Box<EventBridgeEvent>),
    Http(Box<LambdaRequest>),
    Action(Action),
}

/// Why an invocation failed, and whether trying it again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoringError {
    /// The event is not one the scoring function knows: retrying cannot help.
    #[error("{0}")]
    BadEvent(String),
    /// The store failed; [`ScoringError::retryable`] says whether a retry can help.
    #[error(transparent)]
    Store(StoreError),
}

impl ScoringError {
    /// Throttling and outages pass; a bad event or a broken item do not.
    pub fn retryable(&self) -> bool {
        matches!(self, ScoringError::Store(StoreError::Unavailable(_) | StoreError::Conflict))
    }
}

impl From<StoreError> for ScoringError {
    fn from(e: StoreError) -> Self {
        ScoringError::Store(e)
    }
}

impl ScoringEvent {
    /// Reads the invocation's payload.
    pub fn parse(event: Value) -> Result<Self, ScoringError> {
        if event.get("requestContext").is_some() {
            return serde_json::from_value(event)
                .map(|r| ScoringEvent::Http(Box::new(r)))
                .map_err(|e| ScoringError::BadEvent(format!("not an API Gateway v2 request: {e}")));
        }
        if event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
            return serde_json::from_value(event)
                .map(|e| ScoringEvent::Scheduled(Box::new(e)))
                .map_err(|e| ScoringError::BadEvent(format!("not an EventBridge event: {e}")));
        }
        let action = match event.get("action").and_then(Value::as_str) {
            Some("requalify") => {
                let as_of = match event.get("as_of").and_then(Value::as_str) {
                    Some(text) => Some(Timestamp::parse_rfc3339(text).map_err(|e| {
                        ScoringError::BadEvent(format!("`as_of` is not an RFC 3339 instant: {e}"))
                    })?),
                    None => None,
                };
                Action::Requalify { as_of }
            }
            Some("rescore") => Action::Rescore {
                segments: event.get("segments").and_then(Value::as_u64).unwrap_or(4).clamp(1, 64) as u32,
                max_seconds: event.get("max_seconds").and_then(Value::as_u64).unwrap_or(840),
            },
            Some(other) => {
                return Err(ScoringError::BadEvent(format!(
                    "unknown action `{other}`; the scoring function knows `requalify` and `rescore`"
                )))
            }
            None => {
                return Err(ScoringError::BadEvent(
                    "not a scheduled event nor an action for the scoring function".into(),
                ))
            }
        };
        Ok(ScoringEvent::Action(action))
    }
}

/// Room a batch keeps before the invocation's deadline: the lead at hand (a write and its
/// retries) and the report.
pub const BATCH_MARGIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs one invocation: a report for the schedule and actions, an API Gateway response
/// for the HTTP route. `deadline` is the invocation's; batch work stops before it and
/// says how far it got.
pub async fn handle<S: LeadStore>(
    app: &App<S>,
    event: ScoringEvent,
    deadline: Deadline,
) -> Result<Value, ScoringError> {
    let batch_deadline = deadline.earlier_by(BATCH_MARGIN);
    match event {
        ScoringEvent::Scheduled(_) => requalify(app, None, batch_deadline).await,
        ScoringEvent::Action(Action::Requalify { as_of }) => requalify(app, as_of, batch_deadline).await,
        ScoringEvent::Action(Action::Rescore { segments, max_seconds }) => {
            let budget = std::time::Duration::from_secs(max_seconds);
            let started = std::time::Instant::now();
            let stop = move || started.elapsed() >= budget || batch_deadline.passed();
            let report = rescore_all(&app.store, &app.scorer, app.clock.now(), segments, PAGE, &stop).await?;
            Ok(json!(report))
        }
        ScoringEvent::Http(request) => {
            let answer = deadline.run(http_scoring::handle(app, lambda_http::Request::from(*request))).await;
            Ok(api_gateway_response(answer.unwrap_or_else(|| Problem::out_of_time(true).into_response())))
        }
    }
}

/// Parses and runs a raw payload: what the Lambda's `main` hands over, with the
/// invocation's deadline (`Context::deadline()`).
pub async fn handle_value<S: LeadStore>(
    app: &App<S>,
    event: Value,
    deadline: std::time::SystemTime,
) -> Result<Value, ScoringError> {
    let event = ScoringEvent::parse(event)?;
    handle(app, event, Deadline::of_invocation(deadline)).await
}

/// How far ahead of the clock the writing run may be asked to look: a schedule that runs a
/// little early is fine; a run "as of next month" would recycle leads irreversibly
/// (a read-only what-if is another thing).
pub const MAX_AS_OF_AHEAD_SECONDS: i64 = 300;

async fn requalify<S: LeadStore>(
    app: &App<S>,
    as_of: Option<Timestamp>,
    deadline: Deadline,
) -> Result<Value, ScoringError> {
    let clock = app.clock.now();
    if let Some(t) = as_of.filter(|t| t.seconds_since(clock) > MAX_AS_OF_AHEAD_SECONDS) {
        return Err(ScoringError::BadEvent(format!(
            "`as_of` ({t}) is more than {MAX_AS_OF_AHEAD_SECONDS} s ahead of the clock ({clock}): the requalification writes, so it runs only as of now"
        )));
    }
    let now = as_of.unwrap_or(clock);
    Ok(json!(run_due_until(&app.store, &app.scorer, now, deadline).await?))
}

fn api_gateway_response(response: lambda_http::Response<Body>) -> Value {
    let (parts, body) = response.into_parts();
    let headers: serde_json::Map<String, Value> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.into())))
        .collect();
    let body = match body {
        Body::Text(t) => t,
        Body::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
        _ => String::new(),
    };
    json!({ "statusCode": parts.status.as_u16(), "headers": headers, "body": body, "isBase64Encoded": false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_typed_at_the_edge() {
        let scheduled = json!({ "detail-type": "Scheduled Event", "source": "aws.events", "detail": {} });
        assert!(matches!(ScoringEvent::parse(scheduled), Ok(ScoringEvent::Scheduled(_))));
        let action = ScoringEvent::parse(json!({ "action": "requalify", "as_of": "2027-01-01T00:00:00Z" }));
        assert!(matches!(action, Ok(ScoringEvent::Action(Action::Requalify { as_of: Some(_) }))));
        let rescore = ScoringEvent::parse(json!({ "action": "rescore", "segments": 500 })).unwrap();
        assert!(matches!(rescore, ScoringEvent::Action(Action::Rescore { segments: 64, max_seconds: 840 })));
        for bad in [json!({ "action": "explode" }), json!({}), json!({ "action": "requalify", "as_of": "x" })]
        {
            let e = ScoringEvent::parse(bad).unwrap_err();
            assert!(!e.retryable(), "{e}");
        }
    }

    #[test]
    fn only_transient_store_faults_invite_a_retry() {
        assert!(ScoringError::Store(StoreError::Unavailable("throttled".into())).retryable());
        assert!(!ScoringError::Store(StoreError::Internal("bad item".into())).retryable());
    }
}
