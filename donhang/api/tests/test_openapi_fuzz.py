"""Property-based fuzzing of the REST API from its own OpenAPI schema (schemathesis).

Every operation of /api/v1/ is called with generated inputs — valid ones and, for a share,
malformed ones — as the owner's and a sales API key, on a shop with products in stock, orders,
a shipment, an invoice, a return, a marketplace connection... Half the cases use the shop's real
objects in the path (so the operation's body is reached), half whatever the fuzzer makes up.

Checks: no 5xx, and a documented response matches its schema. Deterministic (derandomized,
no example database); DONHANG_FUZZ_EXAMPLES sets the cases per operation (default 4; `make fuzz`:
100). What it found is kept as plain tests: responses that broke their documented schema at the
end of this file, inputs that used to answer 500 in test_fuzz_findings.py.
"""

import collections
import json
import os
import re
import types
import zlib

import hypothesis_jsonschema._from_schema
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.internal.conjecture import utils as conjecture_utils
from ninja.openapi.schema import OpenAPISchema
from schemathesis import DataGenerationMethod
from schemathesis.checks import not_a_server_error, response_schema_conformance

from donhang.api.router import api
from donhang.core.integrations import register_transport
from donhang.web.tests.test_permission_matrix import (
    CARRIER_URL,
    INVOICE_PROVIDER_URL,
    MARKETPLACE_URL,
    _api_path,
    _build_shop,
    key,
)


class _LegacyMany:
    """hypothesis-jsonschema 0.23 (under schemathesis 3.39) drives Hypothesis's private
    `many()` with the old `while elements.more(): ... elements.reject()` protocol, which newer
    Hypothesis replaced by `with many(...) as elements: for _ in elements:`. This adapter speaks
    the old protocol on top of the new one (same draws, same spans)."""

    def __init__(self, data, **kwargs):
        self._many = conjecture_utils.many(data, **kwargs)
        self._many.__enter__()
        self._elements = iter(self._many)

    def more(self) -> bool:
        try:
            next(self._elements)
        except StopIteration:
            self._many.__exit__(None)
            return False
        return True

    def reject(self, why=None) -> None:
        self._many.reject(why)


if not hasattr(conjecture_utils.many, "more"):
    hypothesis_jsonschema._from_schema.cu = types.SimpleNamespace(many=_LegacyMany)

EXAMPLES = int(os.environ.get("DONHANG_FUZZ_EXAMPLES", "4"))
ROLES = ("owner", "sales")
# Responses by operation and status; written to DONHANG_FUZZ_REPORT (a path), if set.
RESPONSES: collections.Counter = collections.Counter()

schemathesis.experimental.OPEN_API_3_1.enable()  # django-ninja writes OpenAPI 3.1
schema = schemathesis.from_dict(
    api.get_openapi_schema(path_prefix="/api/v1/"),
    app=get_wsgi_application(),
    data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
)


@pytest.fixture(scope="module")
def shop(django_db_setup, django_db_blocker, tmp_path_factory):
    """The permission matrix's shop, built once for the module and rolled back at its end."""
    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("fuzz-media"),
            TASKS=immediate,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_shop()
        finally:
            if report := os.environ.get("DONHANG_FUZZ_REPORT"):
                with open(report, "w") as out:
                    json.dump({f"{op} {status}": n for (op, status), n in RESPONSES.items()}, out)
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            for url in (CARRIER_URL, INVOICE_PROVIDER_URL, MARKETPLACE_URL):
                register_transport(url, None)


@pytest.fixture
def in_test_transaction():
    # The WSGI handler closes "old" connections around each request, which would close the
    # test's own transaction; django.test.Client disconnects the same signals.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _real_path_parameters(path: str, shop: dict) -> dict[str, str]:
    """{name: value} of the shop's objects for an operation's path parameters."""
    names = re.findall(r"{(\w+)}", path)
    if not names:
        return {}
    pattern = re.escape(path)
    for name in names:
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>[^/]+)")
    return re.fullmatch(pattern, _api_path(path, shop)).groupdict()


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)
def test_api_operation(case, shop, db, in_test_transaction):
    # Which key calls and whether the path names real objects: from the case itself (schema
    # examples and generated cases alike; stable from run to run).
    mix = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())
    role = ROLES[mix % len(ROLES)]
    if mix // len(ROLES) % 2:
        case.path_parameters = {
            **(case.path_parameters or {}),
            **_real_path_parameters(case.operation.path, shop),
        }
    if case.media_type == "multipart/form-data" and not isinstance(case.body, dict):
        return  # a negative case no HTTP client can send as a form (werkzeug refuses it)
    headers = {"Authorization": f"Bearer {shop[key(role)]}"}
    # A savepoint per call: a request refused half-way (or a caught database error, which on
    # PostgreSQL spoils the transaction) leaves nothing behind for the next example.
    with transaction.atomic():
        response = case.call(headers=headers)
        if response.status_code >= 400:
            transaction.set_rollback(True)
    RESPONSES[(case.operation.verbose_name, response.status_code)] += 1
    case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))


# --- findings kept as plain tests -------------------------------------------------------------


class _CollisionCheckingSchema(OpenAPISchema):
    """django-ninja merges every model's definitions into one namespace by class name, silently
    keeping the last: two apps' `CustomerOut` (or two models' `Status` choices) published one
    schema for both, and responses then broke their documented schema."""

    collisions: list[str]

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, definition in definitions.items():
            if name in self.schemas and self.schemas[name] != definition:
                self.collisions.append(name)
        super().add_schema_definitions(definitions)


def test_no_two_schemas_share_a_name():
    _CollisionCheckingSchema.collisions = []

    _CollisionCheckingSchema(api, "/api/v1/")

    assert _CollisionCheckingSchema.collisions == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/transfers/{code}",  # a draft transfer was documented with stocktake statuses
        "/api/v1/stocktakes/{code}",
        "/api/v1/warehouses/{code}",  # address names were documented as never null
        "/api/v1/orders/{code}",
        "/api/v1/reports/sales",  # an empty warehouse filter is left out, yet was required
        "/api/v1/reports/dashboard",  # the same for complete_to
    ],
)
def test_found_responses_match_their_schema(path, shop, db, in_test_transaction):
    case = schema[path]["GET"].make_case(path_parameters=_real_path_parameters(path, shop))

    response = case.call(headers={"Authorization": f"Bearer {shop[key('owner')]}"})

    assert response.status_code == 200, response.get_data(as_text=True)
    case.validate_response(response, checks=(response_schema_conformance,))
