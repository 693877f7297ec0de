"""Property-based fuzzing of the whole API against its own OpenAPI schema (schemathesis).

For every operation, generated requests (valid and invalid) must never produce a server error,
and every answer must match what the schema declares: status code, content type and body.
Bounded by `max_examples` per operation so the run stays short.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.api.scopes import SCOPES

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Like Django's test client: requests must not close the test's database connection (inside
    the test transaction it looks unusable to close_old_connections, notably on PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def officer_token(officer):
    from core.services import api_token_issue

    _, key = api_token_issue(name="Fuzzing", scopes=list(SCOPES), created_by=officer, user=officer)
    return {"Authorization": f"Token {key}"}


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_matches_its_schema_and_never_fails(case, officer_token):
    case.call_and_validate(
        headers=officer_token,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
