"""The OpenAPI description tells the truth: schemathesis drives every operation of the real app (small
fixture engine) with requests generated from the schema, and checks every answer against it.

Schema-valid requests must be accepted (no 422 for a value the schema allows), schema-invalid ones refused
with a 4xx, answers must match their declared status codes, content types and bodies, and no request may
end in a 5xx. A bounded number of examples per operation keeps the run short.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks as openapi_checks

ROOT = Path(__file__).resolve().parents[1]
ERROR_KEYS = {"code", "message_vi", "message_en"}  # the bilingual error shape (as in test_hardening)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


SEEN: dict[str, set[int]] = {}  # operation label → the status codes it answered (reset by each test)


def error_shape(ctx: object, response: Any, case: schemathesis.Case) -> bool:
    """A check: records each answer per operation in SEEN; a 4xx must be the bilingual error shape."""
    SEEN.setdefault(case.operation.label, set()).add(response.status_code)
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, (case.formatted_path, body)
    return True


CHECKS = [not_a_server_error, openapi_checks.status_code_conformance, openapi_checks.content_type_conformance,
          openapi_checks.response_schema_conformance, openapi_checks.response_headers_conformance,
          openapi_checks.positive_data_acceptance, openapi_checks.negative_data_rejection, error_shape]


def _operations(app: FastAPI) -> list[schemathesis.schemas.APIOperation]:
    config = SchemathesisConfig.from_path(str(ROOT / "schemathesis.toml"))  # what `st run` reads too
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_every_operation_answers_as_documented(app: FastAPI, mode: GenerationMode) -> None:
    """Each operation, with positive (schema-valid) or negative (schema-invalid) requests: never a 5xx, every
    4xx in the bilingual error shape; positive cases reach every operation, negative ones at least the
    operations that take user input. (This also holds what test_hardening's own fuzz test asserted.)"""
    failures: dict[str, str] = {}
    operations = _operations(app)
    assert len(operations) >= 10
    assert {op.label for op in operations} >= {
        "GET /api/search", "POST /api/recommend", "GET /api/items", "GET /api/items/{item_id}",
        "GET /api/items/{item_id}/similar", "GET /api/facets", "GET /api/health", "GET /api/ready"}
    SEEN.clear()
    for operation in operations:

        @given(operation.as_strategy(generation_mode=mode))
        @settings(max_examples=20, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except Unsatisfiable:  # nothing in this operation can be made schema-invalid (no parameters)
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:  # noqa: BLE001 - every failing operation is reported together
            failures[operation.label] = str(exc)[:1500]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    if mode is GenerationMode.POSITIVE:
        assert set(SEEN) == {op.label for op in operations}, set(SEEN)
    else:
        assert {"GET /api/search", "POST /api/recommend", "GET /api/items"} <= set(SEEN), SEEN


def test_the_schema_declares_what_the_server_checks(app: FastAPI) -> None:
    """The limits that ``check_*`` enforce are in the schema (not only in the code)."""
    spec = app.openapi()
    search = {p["name"]: p["schema"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    settings_ = app.state.settings
    assert search["q"]["maxLength"] == settings_.max_query_chars and search["q"]["minLength"] == 2
    assert search["k"]["minimum"] == 1 and search["k"]["maximum"] == settings_.max_k
    assert search["type"]["anyOf"][0]["enum"] == ["story", "platform"]
    similar = {p["name"]: p["schema"] for p in spec["paths"]["/api/items/{item_id}/similar"]["get"]["parameters"]}
    assert similar["k"]["maximum"] == settings_.max_k
    body = spec["components"]["schemas"]["RecommendRequest"]
    assert [b["required"] for b in body["anyOf"]] == [["text"], ["item_id"], ["profile"]]


def test_405_names_the_allowed_methods(app: FastAPI) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        resp = client.delete("/api/recommend")
    assert resp.status_code == 405 and resp.json()["error"]["code"] == "method_not_allowed"
    assert resp.headers["allow"] == "POST"
