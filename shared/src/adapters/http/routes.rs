//! The one route table: method, path, the function that serves it, and the scope its
//! token needs. The router, the 405 `Allow` answer, the scope check, the local server,
//! the template test and the benches all read it. Adding a route is one row here plus
//! its handler in [`serve`].

use lambda_http::{Body, Request, RequestExt, Response};

use super::auth::{
    require, SCOPE_ACCEPT, SCOPE_ERASE, SCOPE_FUNNEL, SCOPE_HANDOVER, SCOPE_IMPORT, SCOPE_READ, SCOPE_SCORE,
};
use super::{acceptance, funnel, handover, imports, intake, privacy, scoring, App, Problem};
use crate::usecases::deadline::Deadline;
use crate::usecases::store::LeadStore;

/// The Lambda functions that serve HTTP routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    Intake,
    Handover,
    Acceptance,
    Scoring,
}

impl Function {
    /// Every function, as the template, `tests/run` and the benches name them.
    pub const ALL: [Function; 4] =
        [Function::Intake, Function::Scoring, Function::Handover, Function::Acceptance];

    /// The crate (`leadflow-<name>`) and template name (`<Name>Function`) of the function.
    pub const fn name(self) -> &'static str {
        match self {
            Function::Intake => "intake",
            Function::Handover => "handover",
            Function::Acceptance => "acceptance",
            Function::Scoring => "scoring",
        }
    }
}

/// What a route does: one handler each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Intake,
    /// The browser's CORS preflight for a form on another origin.
    IntakePreflight,
    /// A contact list, one form post per row.
    Import,
    Queue,
    GetLead,
    /// A lead by its email (`POST /lookup`).
    Lookup,
    Erase,
    Handover,
    Objection,
    Acceptance,
    Score,
    Forecast,
    Funnel,
    FunnelChart,
}

/// One row of the table. `path` uses `{name}` for a parameter segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: Function,
    /// The JWT scope the route needs; `None` only for the signed intake webhooks.
    pub scope: Option<&'static str>,
    pub op: Op,
}

const fn row(
    method: &'static str,
    path: &'static str,
    function: Function,
    scope: Option<&'static str>,
    op: Op,
) -> Route {
    Route { method, path, function, scope, op }
}

use Function as F;

pub const ROUTES: &[Route] = &[
    row("POST", "/intake/{source}", F::Intake, None, Op::Intake),
    row("OPTIONS", "/intake/{source}", F::Intake, None, Op::IntakePreflight),
    row("POST", "/imports/{source}", F::Intake, Some(SCOPE_IMPORT), Op::Import),
    row("GET", "/leads", F::Handover, Some(SCOPE_READ), Op::Queue),
    row("GET", "/leads/{id}", F::Handover, Some(SCOPE_READ), Op::GetLead),
    row("POST", "/lookup", F::Handover, Some(SCOPE_READ), Op::Lookup),
    row("DELETE", "/leads/{id}", F::Handover, Some(SCOPE_ERASE), Op::Erase),
    row("POST", "/leads/{id}/handover", F::Handover, Some(SCOPE_HANDOVER), Op::Handover),
    row("POST", "/leads/{id}/objection", F::Handover, Some(SCOPE_ERASE), Op::Objection),
    row("POST", "/leads/{id}/acceptance", F::Acceptance, Some(SCOPE_ACCEPT), Op::Acceptance),
    row("POST", "/leads/{id}/score", F::Scoring, Some(SCOPE_SCORE), Op::Score),
    row("GET", "/forecast", F::Scoring, Some(SCOPE_READ), Op::Forecast),
    row("GET", "/funnel", F::Handover, Some(SCOPE_FUNNEL), Op::Funnel),
    row("GET", "/funnel.svg", F::Handover, Some(SCOPE_FUNNEL), Op::FunnelChart),
];

pub(crate) fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// The path parameter if `path` fits the template, `Some(None)` for a fit without one.
fn fit<'a>(template: &str, path: &[&'a str]) -> Option<Option<&'a str>> {
    let template = segments(template);
    if template.len() != path.len() {
        return None;
    }
    let mut param = None;
    for (t, p) in template.iter().zip(path) {
        if t.starts_with('{') {
            param = Some(*p);
        } else if t != p {
            return None;
        }
    }
    Some(param)
}

/// A request's route and its path parameter.
#[derive(Debug, Clone, Copy)]
pub struct Matched<'a> {
    pub route: &'static Route,
    pub param: Option<&'a str>,
}

/// The route for a method and path: 404 when no path fits, 405 (with `Allow`) when the
/// path fits but not the method.
pub fn find<'a>(method: &str, path: &'a str) -> Result<Matched<'a>, Problem> {
    let parts = segments(path);
    let mut allowed: Vec<&str> = Vec::new();
    for route in ROUTES {
        if let Some(param) = fit(route.path, &parts) {
            if route.method == method {
                return Ok(Matched { route, param });
            }
            allowed.push(route.method);
        }
    }
    if allowed.is_empty() {
        Err(Problem::not_found(format!("no route for `{path}`")))
    } else {
        Err(Problem::method_not_allowed(&allowed.join(", ")))
    }
}

/// Which function serves a path (any method): the local server's dispatch.
pub fn function_for(path: &str) -> Option<Function> {
    let parts = segments(path);
    ROUTES.iter().find(|r| fit(r.path, &parts).is_some()).map(|r| r.function)
}

/// Serves a request as `function`'s Lambda does: routes of other functions are not found.
/// Serves `req` as `function` within the invocation's deadline (when Lambda gave one):
/// retries of a throttled or contended write end in time for a 503 with `Retry-After`
/// rather than in Lambda's silent timeout.
pub async fn serve<S: LeadStore>(app: &App<S>, function: Function, req: Request) -> Response<Body> {
    let deadline = req.lambda_context_ref().map_or(Deadline::NONE, |c| Deadline::of_invocation(c.deadline()));
    match deadline.run(dispatch(app, function, &req)).await {
        Some(answer) => answer.unwrap_or_else(Problem::into_response),
        None => {
            tracing::warn!(path = req.uri().path(), "out of time before the store answered");
            let reads = matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
            Problem::out_of_time(!reads).into_response()
        }
    }
}

async fn dispatch<S: LeadStore>(
    app: &App<S>,
    function: Function,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let path = req.uri().path();
    let Matched { route, param } = find(req.method().as_str(), path)?;
    if route.function != function {
        return Err(Problem::not_found(format!("no route for `{path}`")));
    }
    if let Some(scope) = route.scope {
        require(app.auth, req, scope)?;
    }
    let param = param.unwrap_or("");
    match route.op {
        Op::Intake => intake::intake(app, req, param).await,
        Op::IntakePreflight => intake::preflight(app, req, param),
        Op::Import => imports::import(app, req, param).await,
        Op::Queue => handover::queue(app, req).await,
        Op::GetLead => handover::get(app, param).await,
        Op::Lookup => handover::lookup(app, req).await,
        Op::Erase => privacy::erase(app, param).await,
        Op::Handover => handover::handover(app, req, param).await,
        Op::Objection => privacy::object(app, req, param).await,
        Op::Acceptance => acceptance::accept(app, req, param).await,
        Op::Score => scoring::score(app, param).await,
        Op::Forecast => scoring::forecast(app, req).await,
        Op::Funnel => funnel::report(app, req).await,
        Op::FunnelChart => funnel::chart(app, req).await,
    }
}

/// Serves any route by handing it to its function: what the local server runs.
pub async fn route<S: LeadStore>(app: &App<S>, req: Request) -> Response<Body> {
    match function_for(req.uri().path()) {
        Some(function) => serve(app, function, req).await,
        None => Problem::not_found(format!("no route for `{}`", req.uri().path())).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_but_the_signed_intake_needs_a_scope() {
        for r in ROUTES {
            assert_eq!(r.scope.is_none(), matches!(r.op, Op::Intake | Op::IntakePreflight), "{r:?}");
        }
    }

    #[test]
    fn paths_find_their_route_or_say_which_methods_fit() {
        let m = find("POST", "/leads/abc/handover").unwrap();
        assert_eq!((m.route.op, m.param), (Op::Handover, Some("abc")));
        assert_eq!(find("GET", "/funnel.svg").unwrap().route.op, Op::FunnelChart);
        let e = find("PUT", "/leads/abc").unwrap_err();
        assert_eq!((e.status, e.extra["allow"].as_str()), (405, Some("GET, DELETE")));
        assert_eq!(find("GET", "/nowhere").unwrap_err().status, 404);
        assert_eq!(find("POST", "/intake").unwrap_err().status, 404);
        assert_eq!(function_for("/leads/x/score"), Some(Function::Scoring));
        assert_eq!(function_for("/intake/web"), Some(Function::Intake));
    }
}
