//! Sales routes: API Gateway validates the bearer JWT; the handlers check its scopes.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use super::problem::{Problem, ProblemKind};

pub const SCOPE_READ: &str = "leads/read";
pub const SCOPE_HANDOVER: &str = "leads/handover";
pub const SCOPE_ACCEPT: &str = "leads/accept";
pub const SCOPE_SCORE: &str = "leads/score";
/// Data-subject requests: erasure and objection to profiling.
pub const SCOPE_ERASE: &str = "leads/erase";
/// List imports (`POST /imports/{source}`).
pub const SCOPE_IMPORT: &str = "leads/import";
/// The waterfall report (no personal data).
pub const SCOPE_FUNNEL: &str = "funnel/read";

/// Whether handlers check scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Every sales route needs a validated JWT with the route's scope (the deployed API).
    Scopes,
    /// Sales routes are open (the local server's default, bound to 127.0.0.1).
    Open,
}

/// The scopes API Gateway's JWT authorizer granted: its `scopes`, or the `scope` claim.
/// `None` when the request did not pass a JWT authorizer.
pub fn granted_scopes(req: &Request) -> Option<Vec<String>> {
    let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() else { return None };
    let jwt = ctx.authorizer.as_ref()?.jwt.as_ref()?;
    let mut scopes = jwt.scopes.clone().unwrap_or_default();
    for claim in ["scope", "scp"] {
        if let Some(text) = jwt.claims.get(claim) {
            // Claims arrive as strings; `scp` may be a JSON-ish list "[a b]".
            scopes.extend(
                text.trim_matches(['[', ']']).split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned),
            );
        }
    }
    Some(scopes)
}

/// 401 without a validated token, 403 without the scope.
pub fn require(auth: Auth, req: &Request, scope: &str) -> Result<(), Problem> {
    if auth == Auth::Open {
        return Ok(());
    }
    match granted_scopes(req) {
        None => Err(Problem::unauthorized(ProblemKind::MissingToken, "this route needs a bearer token")),
        Some(scopes) if scopes.iter().any(|s| s == scope) => Ok(()),
        Some(_) => Err(Problem::forbidden(scope)),
    }
}
