"""What openapi.json states in prose because OpenAPI has no words for it: rules between
query parameters, cursors valid only as the server handed them out, and what makes a
text body a contact list. The hook drops
exactly the failures such a rule explains; everything else is checked. The server's
answers to breaking these rules (422, 400 bad-cursor) are tested in
tests/tests/integration/bad_input.rs."""

import datetime

import schemathesis

# NDJSON goes on the wire as the text it is (schemathesis knows text/* only).
schemathesis.serializer.alias("application/x-ndjson", "text/plain")

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
    - a funnel period that breaks a rule between `from` and `to` is refused (422);
    - a body that is no list (CSV or NDJSON) as the import's description says (400, 422
      naming `email` or `rows`), and a list body generated as another JSON type than
      text, which the wire carries as text all the same."""
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
    # A list's body is a string to OpenAPI; what makes it a list (a header with an email
    # column, no column named twice, quotes that end, at most 1,000 rows) is prose.
    refused_list = (
        case.operation.path == "/imports/{source}"
        and (response.status_code, problem.get("type"), problem.get("field"))
        in {
            (400, "urn:leadflow:problem:malformed-request", None),
            (422, "urn:leadflow:problem:invalid-field", "email"),
            (422, "urn:leadflow:problem:invalid-field", "rows"),
        }
    )
    # A list's body is text on the wire: a generated non-string "body" (a number, an
    # object) goes out as its text, which is a list like any other, not a wrong type.
    text_as_wrong_type = (
        case.operation.path == "/imports/{source}"
        and getattr(failure, "code", None) == "ST201"
        and not isinstance(case.body, str)
    )
    return not (refused_cursor or refused_period or refused_list or text_as_wrong_type)
