"""Shared fixtures: personas for each role, API clients, and the rule for tests that need a service.

A test that needs a service (broker, worker, browser) skips where it is missing, except under
REQUIRE_SERVICES=1 (set by .ci/run), where it fails instead.
"""

import os
import shutil

import pytest
from rest_framework.test import APIClient

from core.roles import Role, sync_role_groups
from core.services import api_token_issue
from tests.core.factories import UserFactory
from tests.providers.factories import ProviderFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def need_service(available: bool, what: str) -> None:
    """Skip (or, under REQUIRE_SERVICES=1, fail) when a service the test needs is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available.")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """With --reuse-db the migrate-time role sync may be stale: make the groups match the code."""
    with django_db_blocker.unblock():
        sync_role_groups()


REFERENCE_DATA_LOADERS = (
    ("core.migrations.0003_reference_data_and_roles", "load"),
    ("providers.migrations.0003_qualified_provider_list", "create"),
    ("providers.migrations.0006_nmiss_dynamic_purchasing_system", "create"),
    ("contracts.migrations.0004_procurement_routes", "create"),
)


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """Transactional tests (browser, drills) empty the database between tests. Django's serialized
    rollback should restore the data migrations' rows, but under Playwright's event loop the test
    runs with a different connection object that lacks the serialized copy; reload them instead
    (the loaders are idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    if not marker or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    from core.models import District

    if District.objects.exists():
        return
    for module, function in REFERENCE_DATA_LOADERS:
        getattr(importlib.import_module(module), function)(apps, None)
    sync_role_groups()


@pytest.fixture
def officer(db):
    return UserFactory(email="officer@example.org", role=Role.OFFICER)


@pytest.fixture
def commissioner(db):
    return UserFactory(email="commissioner@example.org", role=Role.COMMISSIONER)


@pytest.fixture
def administrator(db):
    return UserFactory(email="admin@example.org", role=Role.ADMINISTRATOR, is_staff=True)


@pytest.fixture
def provider_a(db):
    return ProviderFactory(legal_name="Alder Therapy Ltd", trading_name="Alder Therapy")


@pytest.fixture
def provider_b(db):
    return ProviderFactory(legal_name="Birch Therapy Ltd", trading_name="Birch Therapy")


@pytest.fixture
def provider_a_user(provider_a):
    return UserFactory(email="a@alder.example.org", role=Role.PROVIDER, provider=provider_a)


@pytest.fixture
def provider_b_user(provider_b):
    return UserFactory(email="b@birch.example.org", role=Role.PROVIDER, provider=provider_b)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def token_for(officer):
    """`token_for(scopes=[...], user=None)` -> an APIClient authenticated with a fresh token."""

    def make(*, scopes, user=None, expires_on=None):
        token, key = api_token_issue(
            name="Test integration", scopes=scopes, created_by=officer, user=user, expires_on=expires_on
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        client.token = token
        return client

    return make


@pytest.fixture
def api_client_token(token_for):
    """An integration with read access to reference data only."""
    return token_for(scopes=["reference:read"])
