"""Authorization, proven everywhere: every page URL and every API operation, as every role.

The tables below say what each role gets. A URL pattern or an API operation missing from the
tables fails the test, so nothing new ships without a decision about who may use it. Every page
or API answer a role receives is also searched for the strings that role must never see
(another provider's name; for commissioners, children's names and dates of birth).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from tests.providers.factories import PDF
from tests.security.world import API_ROLES, PAGE_ROLES, build_world

pytestmark = pytest.mark.django_db

# Statuses, by name. LOGIN: redirected to sign in. GONE: 404 (out of scope looks like nothing there).
OK, REDIRECT, LOGIN, UNAUTH, FORBIDDEN, GONE, NOT_ALLOWED = 200, 302, "login", 401, 403, 404, 405


def roles(default, **overrides):
    return {role: overrides.get(role, default) for role in (*PAGE_ROLES, *API_ROLES)}


STAFF_ONLY = roles(FORBIDDEN, anonymous=LOGIN, officer=OK)
TOKEN_ADMINS = {**STAFF_ONLY, "administrator": OK}
REPORT_READERS = roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK)
PORTAL = roles(FORBIDDEN, anonymous=LOGIN, provider_a=OK, provider_b=OK)
OWN_SQ = {**PORTAL, "provider_b": GONE}
SIGNED_IN = roles(OK, anonymous=LOGIN)
PUBLIC = roles(OK)


@dataclass
class Page:
    name: str
    expect: dict
    args: callable = None  # world -> list of URL arguments
    method: str = "GET"
    data: dict = field(default_factory=dict)
    query: str = ""


# Every named page URL outside the admin and the sign-in pages (django-allauth's own).
PAGES = [
    Page("core:home", PUBLIC),
    Page("core:account", SIGNED_IN),
    Page("core:notification-list", SIGNED_IN),
    Page("core:notification-mark-read", roles(REDIRECT, anonymous=LOGIN), method="POST"),
    Page("core:apitoken-list", TOKEN_ADMINS),
    Page("core:apitoken-create", TOKEN_ADMINS),
    Page("core:apitoken-revoke", TOKEN_ADMINS, args=lambda w: [w["other_token"].pk]),
    Page("core:therapytype-list", STAFF_ONLY),
    Page(
        "core:therapytype-toggle",
        {**STAFF_ONLY, "officer": REDIRECT},
        args=lambda w: [w["therapy_type"].pk],
        method="POST",
    ),
    Page("core:audit-list", {**STAFF_ONLY, "administrator": OK}),
    Page("core:audit-export", {**STAFF_ONLY, "administrator": OK}),
    Page("core:cookies", PUBLIC),
    Page("core:privacy", PUBLIC),
    Page("core:accessibility", PUBLIC),
    Page("reporting:reportrun-list", REPORT_READERS),
    Page("reporting:reportrun-create", REPORT_READERS, args=lambda w: ["records-held"]),
    Page("reporting:reportrun-detail", REPORT_READERS, args=lambda w: [w["report_run"].pk]),
    Page(
        "reporting:reportrun-detail",
        # The run names children: only for people who may see children (officers, once the placements
        # app defines that permission), never for commissioners.
        {**REPORT_READERS, "commissioner": GONE, "officer": GONE},
        args=lambda w: [w["child_report_run"].pk],
    ),
    Page(
        "reporting:reportrun-download",
        {**REPORT_READERS, "officer": GONE, "commissioner": GONE},
        args=lambda w: [w["report_run"].pk, "csv"],
    ),  # the factory run has no files
    Page(
        "reporting:reportrun-chart",
        {**REPORT_READERS, "officer": GONE, "commissioner": GONE},
        args=lambda w: [w["report_run"].pk, "spend"],
    ),
    Page(
        "reporting:reportsubscription-set",
        {**REPORT_READERS, "officer": REDIRECT, "commissioner": REDIRECT},
        args=lambda w: ["records-held"],
        method="POST",
        data={"subscribe": "1"},
    ),
    # Providers: the directory and provider pages (council staff; a provider sees only its own page)
    Page("providers:provider-list", roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK)),
    Page("providers:provider-list-all", roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK)),
    Page(
        "providers:provider-detail",
        roles(GONE, anonymous=LOGIN, officer=OK, commissioner=OK, provider_a=OK),
        args=lambda w: [w["provider_a"].pk],
    ),
    Page(
        "providers:provider-legacy",
        roles(FORBIDDEN, anonymous=LOGIN, officer=REDIRECT),
        args=lambda w: [w["provider_a"].pk],
        method="POST",
        data={"legacy_arrangement": "preferred"},
    ),
    Page("providers:join", PUBLIC),
    Page("providers:provider-import", STAFF_ONLY),
    Page("providers:insurance-minimums", STAFF_ONLY),
    # The provider portal and the questionnaire: a provider's own only
    Page("providers:portal", PORTAL),
    Page("providers:portal-pricing", PORTAL),
    Page("providers:portal-capacity", PORTAL),
    Page("providers:portal-documents", PORTAL),
    Page("providers:membership-leave", {**PORTAL, "provider_b": GONE}, args=lambda w: [w["membership_a"].pk]),
    *[
        Page(f"providers:{name}", OWN_SQ, args=lambda w: [w["sq_a"].pk])
        for name in (
            "sq-tasks",
            "sq-organisation",
            "sq-services",
            "sq-practitioners",
            "sq-practitioner-add",
            "sq-insurance",
            "sq-safeguarding",
            "sq-evidence",
            "sq-capacity",
            "sq-pricing",
            "sq-lots",
            "sq-check",
            "sq-declaration",
            "sq-confirmation",
        )
    ],
    Page("providers:sq-school", OWN_SQ, args=lambda w: [w["sq_a"].pk]),
    Page("providers:sq-fees", OWN_SQ, args=lambda w: [w["sq_a"].pk]),
    Page("providers:sq-insurance-edit", OWN_SQ, args=lambda w: [w["sq_a"].pk, "public_liability"]),
    Page("providers:sq-practitioner-edit", OWN_SQ, args=lambda w: [w["sq_a"].pk, w["practitioner_a"].pk]),
    Page(
        "providers:sq-practitioner-remove",
        {**OWN_SQ, "provider_a": REDIRECT},
        args=lambda w: [w["sq_a"].pk, w["practitioner_a"].pk],
        method="POST",
    ),
    Page(
        "providers:sq-start",
        {**PORTAL, "provider_a": REDIRECT, "provider_b": REDIRECT},
        args=lambda w: [w["qpl"].pk],
        method="POST",
    ),
    # Officer review (commissioners read, never decide)
    Page("providers:sq-review-list", roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK)),
    Page(
        "providers:sq-review",
        roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK),
        args=lambda w: [w["sq_a"].pk],
    ),
    Page(
        "providers:sq-review-start",
        roles(FORBIDDEN, anonymous=LOGIN, officer=REDIRECT),
        args=lambda w: [w["sq_a"].pk],
        method="POST",
    ),
    # Evidence files: the provider's own users and officers, never commissioners or another provider
    Page(
        "providers:document-download",
        roles(GONE, anonymous=LOGIN, officer=OK, provider_a=OK),
        args=lambda w: [w["document_a"].pk],
    ),
    Page(
        "providers:document-verify",
        roles(FORBIDDEN, anonymous=LOGIN, officer=REDIRECT),
        args=lambda w: [w["pending_document_a"].pk],
        method="POST",
    ),
    Page("providers:document-reject", STAFF_ONLY, args=lambda w: [w["pending_document_a"].pk]),
    # Contracts: council staff read; commissioners change; a supplier sees its own contracts only
    Page("contracts:contract-list", roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK)),
    Page("contracts:contract-create", roles(FORBIDDEN, anonymous=LOGIN, commissioner=OK)),
    Page(
        "contracts:contract-detail",
        roles(GONE, anonymous=LOGIN, officer=OK, commissioner=OK, provider_a=OK),
        args=lambda w: [w["contract_a"].pk],
    ),
    Page(
        "contracts:contract-edit",
        roles(FORBIDDEN, anonymous=LOGIN, commissioner=OK),
        args=lambda w: [w["contract_a"].pk],
    ),
    Page(
        "contracts:contract-status",
        roles(FORBIDDEN, anonymous=LOGIN, commissioner=OK),
        args=lambda w: [w["contract_a"].pk],
    ),
    Page(
        "contracts:contract-part",
        roles(FORBIDDEN, anonymous=LOGIN, commissioner=OK),
        args=lambda w: [w["contract_a"].pk, "year"],
    ),
    Page("contracts:coverage", roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK)),
    Page("contracts:route-list", roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK)),
    Page("contracts:route-edit", roles(FORBIDDEN, anonymous=LOGIN, commissioner=OK), args=lambda w: [w["route"].pk]),
    Page(
        "contracts:performance-comparison",
        roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK, provider_a=OK, provider_b=OK),
    ),
    Page(
        "contracts:performance-upload", roles(FORBIDDEN, anonymous=LOGIN, commissioner=OK, provider_a=OK, provider_b=OK)
    ),
    Page(
        "contracts:performance-template",
        roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK, provider_a=OK, provider_b=OK),
    ),
    Page("api-schema", PUBLIC),
    Page("api-docs", PUBLIC),
    Page("health", PUBLIC),
]

EXEMPT_PREFIXES = ("admin:",)
EXEMPT_NAMES_START = ("account_", "mfa_")  # django-allauth's sign-in, password and two-factor pages


def all_url_names() -> set[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                yield from walk(pattern.url_patterns, f"{namespace}:{inner}".strip(":") if inner else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return {
        name
        for name in walk(get_resolver().url_patterns)
        if not name.startswith(EXEMPT_PREFIXES)
        and not name.startswith(EXEMPT_NAMES_START)
        and not name.startswith("api:")
    }


def test_every_page_url_has_an_entry():
    missing = all_url_names() - {page.name for page in PAGES}
    assert not missing, f"URL names with no entry in the authorization table: {sorted(missing)}"


@pytest.fixture
def world():
    return build_world()


def page_client(world, role):
    from django.test import Client

    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def check_secrets(world, role, body: str, where: str):
    for secret in world.secrets.get(role, []):
        assert secret not in body, f"{role} was shown {secret!r} at {where}"


@pytest.mark.parametrize("role", PAGE_ROLES)
def test_pages_as_each_role(world, role):
    client = page_client(world, role)
    failures = []
    for page in PAGES:
        url = reverse(page.name, args=page.args(world) if page.args else None) + page.query
        response = client.post(url, page.data) if page.method == "POST" else client.get(url)
        expected = page.expect[role]
        got = response.status_code
        if expected == LOGIN:
            ok = got == 302 and response["Location"].startswith(reverse("account_login"))
        else:
            ok = got == expected
        if not ok:
            failures.append(f"{page.method} {url}: expected {expected}, got {got}")
        if got == 200 and not getattr(response, "streaming", False):
            check_secrets(world, role, response.content.decode(errors="replace"), url)
    assert not failures, "\n".join(failures)


# The API: every operation in the OpenAPI schema, as each role (people by session; the integration by a
# token whose scopes are reference:read and reports:read only).
API = {
    ("/api/v1/districts/", "get"): roles(OK, anonymous=UNAUTH),
    ("/api/v1/districts/{id}/", "get"): roles(OK, anonymous=UNAUTH),
    ("/api/v1/therapy-types/", "get"): roles(OK, anonymous=UNAUTH),
    ("/api/v1/therapy-types/{id}/", "get"): roles(OK, anonymous=UNAUTH),
    ("/api/v1/primary-needs/", "get"): roles(OK, anonymous=UNAUTH),
    ("/api/v1/primary-needs/{id}/", "get"): roles(OK, anonymous=UNAUTH),
    ("/api/v1/report-runs/", "get"): roles(FORBIDDEN, anonymous=UNAUTH, officer=OK, commissioner=OK, integration=OK),
    ("/api/v1/report-runs/", "post"): roles(FORBIDDEN, anonymous=UNAUTH, officer=202, commissioner=202),
    ("/api/v1/report-runs/{id}/", "get"): roles(
        FORBIDDEN, anonymous=UNAUTH, officer=OK, commissioner=OK, integration=OK
    ),
    ("/api/v1/report-runs/{id}/download/", "get"): roles(
        FORBIDDEN, anonymous=UNAUTH, officer=GONE, commissioner=GONE, integration=GONE
    ),
}

# Providers. The integration's token has no providers scope, so it is refused (403) everywhere here.
READ_ALL = roles(OK, anonymous=UNAUTH, integration=FORBIDDEN)
READ_A = roles(GONE, anonymous=UNAUTH, integration=FORBIDDEN, officer=OK, commissioner=OK, provider_a=OK)
PROVIDER_WRITES = roles(FORBIDDEN, anonymous=UNAUTH, provider_a=201, provider_b=201)
OFFICER_DECIDES = roles(FORBIDDEN, anonymous=UNAUTH, provider_b=GONE, officer=400)  # 400: the application is a draft
API.update(
    {
        ("/api/v1/providers/", "get"): READ_ALL,
        ("/api/v1/providers/{id}/", "get"): READ_A,
        ("/api/v1/providers/{id}/", "patch"): {**READ_A, "commissioner": FORBIDDEN},
        ("/api/v1/provider-lists/", "get"): READ_ALL,
        ("/api/v1/provider-lists/{id}/", "get"): READ_ALL,
        ("/api/v1/memberships/", "get"): READ_ALL,
        ("/api/v1/memberships/{id}/", "get"): READ_A,
        ("/api/v1/selection-questionnaires/", "get"): READ_ALL,
        ("/api/v1/selection-questionnaires/", "post"): PROVIDER_WRITES,
        ("/api/v1/selection-questionnaires/{id}/", "get"): READ_A,
        ("/api/v1/selection-questionnaires/{id}/submit/", "post"): roles(
            FORBIDDEN,
            anonymous=UNAUTH,
            provider_b=GONE,
            provider_a=400,  # 400: not every section is complete
        ),
        ("/api/v1/selection-questionnaires/{id}/approve/", "post"): OFFICER_DECIDES,
        ("/api/v1/selection-questionnaires/{id}/reject/", "post"): OFFICER_DECIDES,
        ("/api/v1/selection-questionnaires/{id}/request-clarification/", "post"): OFFICER_DECIDES,
        ("/api/v1/pricing-schedules/", "get"): READ_ALL,
        ("/api/v1/pricing-schedules/", "post"): PROVIDER_WRITES,
        ("/api/v1/pricing-schedules/{id}/", "get"): READ_A,
        ("/api/v1/compliance-documents/", "get"): READ_ALL,
        ("/api/v1/compliance-documents/", "post"): PROVIDER_WRITES,
        ("/api/v1/compliance-documents/{id}/", "get"): READ_A,
        ("/api/v1/compliance-documents/{id}/verify/", "post"): roles(FORBIDDEN, anonymous=UNAUTH, officer=OK),
        ("/api/v1/compliance-documents/{id}/reject/", "post"): roles(FORBIDDEN, anonymous=UNAUTH, officer=OK),
        ("/api/v1/compliance-documents/{id}/download/", "get"): {**READ_A, "commissioner": GONE},
        ("/api/v1/capacity-declarations/", "get"): READ_ALL,
        ("/api/v1/capacity-declarations/", "post"): PROVIDER_WRITES,
        ("/api/v1/capacity-declarations/{id}/", "get"): READ_A,
    }
)

# Contracts. Officers read, commissioners write; providers see their own contracts' returns only.
CONTRACT_READ = roles(FORBIDDEN, anonymous=UNAUTH, officer=OK, commissioner=OK, provider_a=OK, provider_b=OK)
CONTRACT_OWN = roles(GONE, anonymous=UNAUTH, integration=FORBIDDEN, officer=OK, commissioner=OK, provider_a=OK)
CONTRACT_WRITE = roles(FORBIDDEN, anonymous=UNAUTH, commissioner=201, provider_b=FORBIDDEN)
API.update(
    {
        ("/api/v1/contracts/", "get"): CONTRACT_READ,
        ("/api/v1/contracts/", "post"): CONTRACT_WRITE,
        ("/api/v1/contracts/{id}/", "get"): CONTRACT_OWN,
        ("/api/v1/contracts/{id}/", "patch"): {**CONTRACT_OWN, "officer": FORBIDDEN, "provider_a": FORBIDDEN},
        ("/api/v1/procurement-routes/", "get"): CONTRACT_READ,
        ("/api/v1/procurement-routes/{id}/", "get"): CONTRACT_READ,
        ("/api/v1/procurement-routes/{id}/", "patch"): roles(FORBIDDEN, anonymous=UNAUTH, commissioner=OK),
        **{
            (f"/api/v1/{name}/", "get"): CONTRACT_READ
            for name in ("contract-years", "variations", "funding-contributions", "funded-posts")
        },
        **{
            (f"/api/v1/{name}/{{id}}/", "get"): CONTRACT_OWN
            for name in ("contract-years", "variations", "funding-contributions", "funded-posts")
        },
        **{
            (f"/api/v1/{name}/", "post"): roles(FORBIDDEN, anonymous=UNAUTH, commissioner=201, provider_b=GONE)
            for name in ("contract-years", "variations", "funding-contributions", "funded-posts")
        },
        ("/api/v1/performance-returns/", "get"): roles(OK, anonymous=UNAUTH, integration=FORBIDDEN),
        ("/api/v1/performance-returns/{id}/", "get"): {**CONTRACT_OWN, "integration": FORBIDDEN},
        ("/api/v1/performance-returns/import/", "post"): roles(
            FORBIDDEN,
            anonymous=UNAUTH,
            commissioner=201,
            provider_a=201,
            provider_b=400,  # B may not send A's returns
        ),
    }
)
for _name in ("contract-years", "variations", "funding-contributions", "funded-posts"):
    API[(f"/api/v1/{_name}/", "post")]["provider_a"] = FORBIDDEN

API_IDS = {
    "/api/v1/contracts/{id}/": lambda w: w["contract_a"].pk,
    "/api/v1/procurement-routes/{id}/": lambda w: w["route"].pk,
    "/api/v1/contract-years/{id}/": lambda w: w["year_a"].pk,
    "/api/v1/variations/{id}/": lambda w: w["variation_a"].pk,
    "/api/v1/funding-contributions/{id}/": lambda w: w["funding_a"].pk,
    "/api/v1/funded-posts/{id}/": lambda w: w["post_a"].pk,
    "/api/v1/performance-returns/{id}/": lambda w: w["return_a"].pk,
    "/api/v1/providers/{id}/": lambda w: w["provider_a"].pk,
    "/api/v1/provider-lists/{id}/": lambda w: w["qpl"].pk,
    "/api/v1/memberships/{id}/": lambda w: w["membership_a"].pk,
    "/api/v1/selection-questionnaires/{id}/": lambda w: w["sq_a"].pk,
    "/api/v1/selection-questionnaires/{id}/submit/": lambda w: w["sq_a"].pk,
    "/api/v1/selection-questionnaires/{id}/approve/": lambda w: w["sq_a"].pk,
    "/api/v1/selection-questionnaires/{id}/reject/": lambda w: w["sq_a"].pk,
    "/api/v1/selection-questionnaires/{id}/request-clarification/": lambda w: w["sq_a"].pk,
    "/api/v1/pricing-schedules/{id}/": lambda w: w["pricing_a"].pk,
    "/api/v1/compliance-documents/{id}/": lambda w: w["document_a"].pk,
    "/api/v1/compliance-documents/{id}/verify/": lambda w: w["pending_document_a"].pk,
    "/api/v1/compliance-documents/{id}/reject/": lambda w: w["pending_document_a"].pk,
    "/api/v1/compliance-documents/{id}/download/": lambda w: w["document_a"].pk,
    "/api/v1/capacity-declarations/{id}/": lambda w: w["capacity_a"].pk,
    "/api/v1/districts/{id}/": lambda w: 1,
    "/api/v1/therapy-types/{id}/": lambda w: w["therapy_type"].pk,
    "/api/v1/primary-needs/{id}/": lambda w: 1,
    "/api/v1/report-runs/{id}/": lambda w: w["report_run"].pk,
    "/api/v1/report-runs/{id}/download/": lambda w: w["report_run"].pk,
}
API_BODIES = {
    ("/api/v1/report-runs/", "post"): {"kind": "records-held", "parameters": {}},
    ("/api/v1/providers/{id}/", "patch"): {"town": "Deal"},
    ("/api/v1/selection-questionnaires/", "post"): lambda w: {"provider_list": w["qpl"].pk},
    ("/api/v1/selection-questionnaires/{id}/submit/", "post"): {"declarations": {"information_accurate": True}},
    ("/api/v1/selection-questionnaires/{id}/approve/", "post"): {},
    ("/api/v1/selection-questionnaires/{id}/reject/", "post"): {"reason": "Not enough evidence"},
    ("/api/v1/selection-questionnaires/{id}/request-clarification/", "post"): {"reason": "Which schools?"},
    ("/api/v1/pricing-schedules/", "post"): {
        "effective_from": "2030-04-01",
        "lines": [{"therapy_type": "speech-language", "unit": "hour", "rate": "80.00"}],
    },
    ("/api/v1/compliance-documents/", "post"): lambda w: {"kind": "other", "file": SimpleUploadedFile("x.pdf", PDF)},
    ("/api/v1/compliance-documents/{id}/verify/", "post"): {},
    ("/api/v1/compliance-documents/{id}/reject/", "post"): {"reason": "Unreadable scan"},
    ("/api/v1/capacity-declarations/", "post"): {
        "therapy_type": "speech-language",
        "district": "E07000113",
        "hours_per_week": "5.0",
        "from_date": "2030-01-01",
    },
}
API_BODIES.update(
    {
        ("/api/v1/contracts/", "post"): lambda w: {
            "reference": "NEW-1",
            "title": "New",
            "supplier": w["provider_a"].pk,
            "start_date": "2025-04-01",
            "end_date": "2026-03-31",
        },
        ("/api/v1/contracts/{id}/", "patch"): {"title": "Renamed"},
        ("/api/v1/procurement-routes/{id}/", "patch"): {"key_decision_threshold": "1000000.00"},
        ("/api/v1/contract-years/", "post"): lambda w: {
            "contract": w["contract_a"].pk,
            "financial_year": 2023,
            "value": "1.00",
        },
        ("/api/v1/variations/", "post"): lambda w: {
            "contract": w["contract_a"].pk,
            "kind": "scope",
            "effective_on": "2023-05-01",
            "reason": "More schools",
        },
        ("/api/v1/funding-contributions/", "post"): lambda w: {
            "contract": w["contract_a"].pk,
            "funder": "NHS England",
            "financial_year": 2023,
            "amount": "5.00",
        },
        ("/api/v1/funded-posts/", "post"): lambda w: {
            "contract": w["contract_a"].pk,
            "therapist_type": "OT",
            "locality": "West",
        },
        ("/api/v1/performance-returns/import/", "post"): lambda w: {
            "file": SimpleUploadedFile(
                "r.csv",
                (
                    b"month,contract_reference,therapy_type,locality,referrals_received,waiting_assessment,"
                    b"waiting_assessment_over_12_weeks,waiting_intervention,waiting_intervention_over_12_weeks,waiting_0_18_weeks,"
                    b"waiting_18_52_weeks,waiting_over_52_weeks,caseload,data_quality_note\n"
                    b"2023-06,WORLD-A,speech-language,,1,1,0,,,,,,,\n"
                ),
            )
        },
    }
)
MULTIPART = {("/api/v1/compliance-documents/", "post"), ("/api/v1/performance-returns/import/", "post")}


def schema_operations() -> set[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_api_operation_has_an_entry():
    missing = schema_operations() - set(API)
    assert not missing, f"API operations with no entry in the authorization table: {sorted(missing)}"


def api_client(world, role) -> APIClient:
    client = APIClient()
    if role == "integration":
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.integration_key}")
    elif role != "anonymous":
        client.force_authenticate(world.users[role])
    return client


@pytest.mark.parametrize("role", API_ROLES)
def test_api_as_each_role(world, role):
    client = api_client(world, role)
    failures = []
    for (path, method), expect in sorted(API.items()):
        url = path.replace("{id}", str(API_IDS[path](world))) if "{id}" in path else path
        body = API_BODIES.get((path, method))
        body = body(world) if callable(body) else body
        encoding = "multipart" if (path, method) in MULTIPART else "json"
        call = getattr(client, method)
        response = call(url, body, format=encoding) if body is not None else call(url)
        if response.status_code != expect[role]:
            failures.append(f"{method.upper()} {url}: expected {expect[role]}, got {response.status_code}")
        if response.status_code == 200 and not getattr(response, "streaming", False):
            check_secrets(world, role, response.content.decode(errors="replace"), url)
    assert not failures, "\n".join(failures)
