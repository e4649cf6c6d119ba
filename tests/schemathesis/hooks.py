"""What openapi.json states in prose because OpenAPI has no words for it: rules between
query parameters, and cursors valid only as the server handed them out. The hook drops
exactly the failures such a rule explains; everything else is checked. The server's
answers to breaking these rules (422, 400 bad-cursor) are tested in
tests/tests/integration/bad_input.rs."""

import datetime

import schemathesis

FUNNEL = {"/funnel", "/funnel.svg"}
# shared/src/domain/funnel.rs MAX_REPORT_DAYS: one report reads one query per month.
MAX_REPORT_DAYS = 366


def _day(text):
    try:
        return datetime.date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else None
    except ValueError:
        return None


def funnel_period_breaks_rules(query):
    """Whether the query breaks a rule between `from` and `to`: `from` after `to`, or
    more than 366 days through it (defaults: `to` today UTC, `from` 29 days before `to`).
    Dates that do not parse break no such rule (they are single-parameter errors)."""
    if not isinstance(query, dict) or query.get("from") is None:
        return False
    start = _day(query.get("from"))
    end = _day(query["to"]) if query.get("to") is not None else datetime.datetime.now(datetime.timezone.utc).date()
    if start is None or end is None:
        return False
    return start > end or (end - start).days + 1 > MAX_REPORT_DAYS


def _problem(response):
    try:
        body = response.json()
    except Exception:
        return {}
    return body if isinstance(body, dict) else {}


@schemathesis.hook("filter_failure")
def rules_openapi_states_in_prose(ctx, failure, case, response):
    """Drops only these failures, keeps every other:
    - a queue cursor is opaque: only the `next_cursor` of a previous page is one, so a
      generated cursor of the documented shape is refused as `bad-cursor` (400);
    - a funnel period that breaks a rule between `from` and `to` is refused (422)."""
    problem = _problem(response)
    refused_cursor = (
        case.operation.path == "/leads"
        and isinstance(case.query, dict)
        and "cursor" in case.query
        and response.status_code == 400
        and problem.get("type") == "urn:leadflow:problem:bad-cursor"
    )
    refused_period = (
        case.operation.path in FUNNEL
        and response.status_code == 422
        and problem.get("field") in ("from", "to")
        and funnel_period_breaks_rules(case.query)
    )
    return not (refused_cursor or refused_period)
