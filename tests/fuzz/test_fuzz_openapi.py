"""Property-based fuzzing of the whole API with schemathesis, from the generated OpenAPI
document, against a real `grove dev` over HTTP on 127.0.0.1.

Every operation gets valid and invalid inputs (bodies, path and query parameters) as an
anonymous caller and as the tenant's owner. Checks on every response:

- no 5xx;
- every 4xx to a client that does not prefer HTML is the JSON error shape;
- the response matches the document (status, content type, body schema);
- a ``public`` response does not depend on the caller: without ``Vary: Authorization`` the
  same request by every other caller gets the same body.

Bounded: ``MAX_EXAMPLES`` per operation and caller, derandomized so CI runs are repeatable;
set ``GROVE_FUZZ_SEED`` to explore other inputs locally.
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from fuzz_checks import CALLERS, error_shape_problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from grove.app import router
from grove.openapi import build_document

MAX_EXAMPLES = int(os.environ.get("GROVE_FUZZ_EXAMPLES", "12"))
SEED = os.environ.get("GROVE_FUZZ_SEED")
# The other callers' Authorization headers ({} for none), for the replay check; set per test.
_OTHER_CALLERS: list[dict[str, str]] = []


# The document as the app generates it (the test below holds the served one to it): loaded at
# collection, so that each operation is its own test.
SCHEMA = schemathesis.openapi.from_dict(build_document(router.routes()))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def _header(response: schemathesis.Response, name: str) -> str:
    value = response.headers.get(name.lower()) or response.headers.get(name) or ""
    return ", ".join(value) if isinstance(value, list) else str(value)


@schemathesis.check
def refusals_have_the_error_shape(ctx, response, case):
    if 400 <= response.status_code < 500 and case.method != "HEAD":
        problem = error_shape_problem(_header(response, "content-type"), response.content)
        if problem:
            raise AssertionError(f"{response.status_code} {case.method} {case.formatted_path}: {problem}")


@schemathesis.check
def public_means_the_same_for_every_caller(ctx, response, case):
    if response.status_code != 200 or "public" not in _header(response, "cache-control"):
        return
    if "authorization" in _header(response, "vary").lower():
        return  # shared caches key it by caller (RFC 9110 §12.5.5)
    sent = response.request
    base = {k: v for k, v in sent.headers.items() if k.lower() != "authorization"}
    for caller in _OTHER_CALLERS:
        again = requests.request(sent.method, sent.url, headers={**base, **caller}, data=sent.body, timeout=10)
        if again.status_code == 200 and again.content != response.content:
            raise AssertionError(f"{case.method} {case.formatted_path}: public, no Vary, and another caller got another body")


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    refusals_have_the_error_shape,
    public_means_the_same_for_every_caller,
]


def test_the_served_document_is_the_generated_one(dev):
    served = requests.get(f"{dev.url}/api/openapi.json", timeout=10)
    assert served.status_code == 200 and served.json() == build_document(router.routes())


@pytest.mark.parametrize("caller", ["anonymous", "owner"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_the_api_holds_under_generated_input(operation, caller, dev, as_caller):
    headers = {"host": dev.host("autumn"), **as_caller(caller)}
    _OTHER_CALLERS[:] = [as_caller(other) for other in CALLERS if other != caller]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=SEED is None,
        suppress_health_check=list(HealthCheck), print_blob=True,
    )
    @given(case=cases)
    def holds(case) -> None:
        case.call_and_validate(base_url=dev.url, headers=headers, checks=CHECKS)

    holds()
