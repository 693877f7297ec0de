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
COUNCIL_READ = roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK)
EVERYONE_STAFF_AND_PROVIDERS = roles(
    FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK, provider_a=OK, provider_b=OK
)
# Provider A's record: staff read it, A reads its own, B finds nothing there.
OWN_RECORD = roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK, provider_a=OK, provider_b=GONE)
# Acting on provider A's record: officers only; A may see it but not do this; B finds nothing there.
OWN_RECORD_ACTION = roles(FORBIDDEN, anonymous=LOGIN, officer=OK, provider_b=GONE)
# A school-places record: council staff read it; providers that are not the school find nothing there.
NOT_INVITED = roles(FORBIDDEN, anonymous=LOGIN, officer=OK, commissioner=OK, provider_a=GONE, provider_b=GONE)
NOT_INVITED_ACTION = roles(FORBIDDEN, anonymous=LOGIN, officer=OK, provider_a=GONE, provider_b=GONE)
# Acting on child A's record (whose therapy provider A delivers).
OWN_CHILD_ACTION = roles(FORBIDDEN, anonymous=LOGIN, officer=OK, provider_b=GONE)
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
        # The run names children: only for people who may see children (officers), never for commissioners.
        {**REPORT_READERS, "commissioner": GONE},
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
    # Children's therapy. Only officers open a child's record; a provider opens its own children's
    # (EHCP reference and first name only); commissioners see placements and the waiting list by
    # pseudonym and never a child's page.
    Page("placements:child-list", roles(FORBIDDEN, anonymous=LOGIN, officer=OK, provider_a=OK, provider_b=OK)),
    Page("placements:child-create", STAFF_ONLY),
    *[
        Page(f"placements:{name}", OWN_CHILD_ACTION, args=lambda w: [w["child_a"].pk])
        for name in ("child-edit", "provision-create")
    ],
    Page("placements:child-detail", {**OWN_CHILD_ACTION, "provider_a": OK}, args=lambda w: [w["child_a"].pk]),
    # The subject access export: officers only (a provider that may open the child still may not export it).
    Page("placements:child-export", OWN_CHILD_ACTION, args=lambda w: [w["child_a"].pk, "json"]),
    *[
        Page(f"placements:{name}", OWN_CHILD_ACTION, args=lambda w: [w["provision_a"].pk])
        for name in ("provision-edit", "referral-create")
    ],
    Page("placements:placement-create", OWN_CHILD_ACTION, args=lambda w: [w["provision_a"].pk, "spot-purchase"]),
    Page("placements:referral-list", COUNCIL_READ),
    Page("placements:referral-detail", COUNCIL_READ, args=lambda w: [w["referral_a"].pk]),
    *[
        Page(f"placements:{name}", STAFF_ONLY, args=lambda w: [w["referral_a"].pk])
        for name in ("referral-stage", "referral-candidates")
    ],
    Page("placements:placement-list", EVERYONE_STAFF_AND_PROVIDERS),
    Page("placements:placement-detail", OWN_RECORD, args=lambda w: [w["placement_a"].pk]),
    Page("placements:placement-activate", OWN_RECORD_ACTION, args=lambda w: [w["pending_placement_a"].pk]),
    *[
        Page(f"placements:{name}", OWN_RECORD_ACTION, args=lambda w: [w["placement_a"].pk])
        for name in ("placement-end", "placement-cancel", "placement-vary", "review-create", "dispute-create")
    ],
    # Providers invoice their own placements; officers may record a paper invoice too.
    Page("placements:invoice-create", {**OWN_RECORD, "commissioner": FORBIDDEN}, args=lambda w: [w["placement_a"].pk]),
    Page(
        "placements:personalbudget-edit",
        roles(FORBIDDEN, anonymous=LOGIN, officer=OK),
        args=lambda w: [w["personal_budget"].pk],
    ),
    Page("placements:review-due-list", EVERYONE_STAFF_AND_PROVIDERS),
    Page("placements:invoice-list", EVERYONE_STAFF_AND_PROVIDERS),
    Page("placements:invoice-detail", OWN_RECORD, args=lambda w: [w["invoice_a"].pk]),
    *[
        Page(f"placements:{name}", OWN_RECORD_ACTION, args=lambda w: [w["invoice_a"].pk])
        for name in ("invoice-approve", "invoice-dispute", "invoice-mark-paid")
    ],
    Page("placements:dispute-list", EVERYONE_STAFF_AND_PROVIDERS),
    Page("placements:dispute-detail", OWN_RECORD, args=lambda w: [w["dispute_a"].pk]),
    Page("placements:dispute-resolve", OWN_RECORD_ACTION, args=lambda w: [w["dispute_a"].pk]),
    Page("placements:provision-assurance", EVERYONE_STAFF_AND_PROVIDERS),
    # School places (NMISS). Provider A and B are not schools and were not invited: a request, its
    # offers and its agreement are not there for them (404). The invited school is walked in tests/placements.
    Page("placements:placementrequest-list", EVERYONE_STAFF_AND_PROVIDERS),
    Page("placements:placementrequest-create", OWN_CHILD_ACTION, args=lambda w: [w["child_a"].pk]),
    Page("placements:placementrequest-detail", NOT_INVITED, args=lambda w: [w["placement_request"].pk]),
    *[
        Page(f"placements:{name}", NOT_INVITED_ACTION, args=lambda w: [w["placement_request"].pk])
        for name in ("placementrequest-invite", "placementrequest-award", "placementrequest-cancel")
    ],
    *[
        Page(f"placements:{name}", {**NOT_INVITED_ACTION, "officer": FORBIDDEN}, args=lambda w: [w["invitation"].pk])
        for name in ("offer-create", "invitation-decline")  # the school's own answer, not the council's
    ],
    # Offers are sealed until the deadline (the world's request is still open): not there for anyone yet.
    Page(
        "placements:offer-score",
        roles(FORBIDDEN, anonymous=LOGIN, officer=GONE, commissioner=GONE, provider_a=GONE, provider_b=GONE),
        args=lambda w: [w["offer"].pk],
    ),
    Page("placements:schoolplacement-list", EVERYONE_STAFF_AND_PROVIDERS),
    Page("placements:schoolplacement-create", STAFF_ONLY),
    Page("placements:schoolplacement-detail", NOT_INVITED, args=lambda w: [w["school_placement"].pk]),
    *[
        Page(f"placements:{name}", NOT_INVITED_ACTION, args=lambda w: [w["school_placement"].pk])
        for name in ("feeuplift-create", "schoolplacement-end")
    ],
    Page("placements:blockcontract-list", EVERYONE_STAFF_AND_PROVIDERS),
    Page("placements:blockcontract-create", STAFF_ONLY),
    Page("placements:nmisshistory-list", COUNCIL_READ),
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
COUNCIL_API_READ = roles(FORBIDDEN, anonymous=UNAUTH, officer=OK, commissioner=OK)
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

# Children's therapy. The integration's token has neither the children nor the invoices scope: 403.
# Only officers see who a child is (the walk checks no other role is ever shown a name or date of birth).
CHILD_READ = roles(FORBIDDEN, anonymous=UNAUTH, officer=OK, provider_a=OK, provider_b=OK)
CHILD_A = roles(FORBIDDEN, anonymous=UNAUTH, officer=OK, provider_a=OK, provider_b=GONE)
OFFICER_CREATES = roles(FORBIDDEN, anonymous=UNAUTH, officer=201)
OFFICER_ACTS_ON_A = roles(FORBIDDEN, anonymous=UNAUTH, officer=OK, provider_b=GONE)
ALL_READ = roles(FORBIDDEN, anonymous=UNAUTH, officer=OK, commissioner=OK, provider_a=OK, provider_b=OK)
A_READ = {**ALL_READ, "provider_b": GONE}
API.update(
    {
        ("/api/v1/children/", "get"): CHILD_READ,
        ("/api/v1/children/", "post"): OFFICER_CREATES,
        ("/api/v1/children/{id}/", "get"): CHILD_A,
        ("/api/v1/children/{id}/", "patch"): {**OFFICER_ACTS_ON_A, "commissioner": GONE},
        ("/api/v1/provisions/", "get"): CHILD_READ,
        ("/api/v1/provisions/", "post"): OFFICER_CREATES,
        ("/api/v1/provisions/{id}/", "get"): CHILD_A,
        ("/api/v1/provisions/{id}/", "patch"): {**OFFICER_ACTS_ON_A, "commissioner": GONE},
        ("/api/v1/referrals/", "get"): COUNCIL_API_READ,
        ("/api/v1/referrals/", "post"): OFFICER_CREATES,
        ("/api/v1/referrals/{id}/", "get"): COUNCIL_API_READ,
        # The waiting list is not a provider's to see: out of scope, so 404.
        ("/api/v1/referrals/{id}/stage/", "post"): roles(
            FORBIDDEN, anonymous=UNAUTH, officer=OK, provider_a=GONE, provider_b=GONE
        ),
        ("/api/v1/referrals/{id}/candidates/", "get"): COUNCIL_API_READ,
        ("/api/v1/placements/", "get"): ALL_READ,
        ("/api/v1/placements/", "post"): OFFICER_CREATES,
        ("/api/v1/placements/{id}/", "get"): A_READ,
        **{
            (f"/api/v1/placements/{{id}}/{action}/", "post"): OFFICER_ACTS_ON_A
            for action in ("activate", "end", "cancel", "rate")
        },
        ("/api/v1/personal-budgets/", "get"): COUNCIL_API_READ,
        ("/api/v1/personal-budgets/{id}/", "get"): COUNCIL_API_READ,
        ("/api/v1/invoices/", "get"): ALL_READ,
        # A provider invoices its own placements; an officer may record a paper invoice.
        ("/api/v1/invoices/", "post"): roles(FORBIDDEN, anonymous=UNAUTH, officer=201, provider_a=201, provider_b=GONE),
        ("/api/v1/invoices/{id}/", "get"): A_READ,
        ("/api/v1/invoices/{id}/approve/", "post"): OFFICER_ACTS_ON_A,
        ("/api/v1/invoices/{id}/dispute/", "post"): {**OFFICER_ACTS_ON_A, "officer": 201},
        ("/api/v1/invoices/{id}/mark-paid/", "post"): {**OFFICER_ACTS_ON_A, "officer": 400},  # not yet approved
        ("/api/v1/disputes/", "get"): ALL_READ,
        ("/api/v1/disputes/", "post"): OFFICER_CREATES,
        ("/api/v1/disputes/{id}/", "get"): A_READ,
        ("/api/v1/disputes/{id}/resolve/", "post"): OFFICER_ACTS_ON_A,
        ("/api/v1/reviews/", "get"): ALL_READ,
        ("/api/v1/reviews/", "post"): OFFICER_CREATES,
        ("/api/v1/reviews/due/", "get"): ALL_READ,
        ("/api/v1/reviews/{id}/", "get"): A_READ,
        ("/api/v1/provision-assurance/", "get"): ALL_READ,
        ("/api/v1/provision-assurance/children/", "get"): ALL_READ,
    }
)

# School places (NMISS). Provider A and B are not the invited school: nothing of the request is there for
# them. Offers are sealed until the deadline (the world's request is still open), so even the council
# finds no offer yet, and awarding before the deadline is refused (400).
NMISS_RECORD = roles(FORBIDDEN, anonymous=UNAUTH, officer=OK, commissioner=OK, provider_a=GONE, provider_b=GONE)
NMISS_ACTION = roles(FORBIDDEN, anonymous=UNAUTH, officer=OK, provider_a=GONE, provider_b=GONE)
API.update(
    {
        ("/api/v1/placement-requests/", "get"): ALL_READ,
        ("/api/v1/placement-requests/", "post"): OFFICER_CREATES,
        ("/api/v1/placement-requests/{id}/", "get"): NMISS_RECORD,
        ("/api/v1/placement-requests/{id}/eligible-schools/", "get"): NMISS_ACTION,
        ("/api/v1/placement-requests/{id}/invite/", "post"): NMISS_ACTION,
        ("/api/v1/placement-requests/{id}/ranking/", "get"): NMISS_RECORD,
        ("/api/v1/placement-requests/{id}/award/", "post"): {**NMISS_ACTION, "officer": 400},
        ("/api/v1/placement-requests/{id}/cancel/", "post"): NMISS_ACTION,
        ("/api/v1/invitations/", "get"): ALL_READ,
        ("/api/v1/invitations/{id}/", "get"): NMISS_RECORD,
        ("/api/v1/invitations/{id}/decline/", "post"): {**NMISS_ACTION, "officer": FORBIDDEN},  # the school's answer
        ("/api/v1/offers/", "get"): ALL_READ,
        ("/api/v1/offers/", "post"): {**NMISS_ACTION, "officer": FORBIDDEN},
        ("/api/v1/offers/{id}/", "get"): {**NMISS_RECORD, "officer": GONE, "commissioner": GONE},
        ("/api/v1/offers/{id}/score/", "post"): {**NMISS_ACTION, "officer": GONE, "commissioner": GONE},
        ("/api/v1/school-placements/", "get"): ALL_READ,
        ("/api/v1/school-placements/", "post"): OFFICER_CREATES,
        ("/api/v1/school-placements/{id}/", "get"): NMISS_RECORD,
        ("/api/v1/school-placements/{id}/end/", "post"): NMISS_ACTION,
        ("/api/v1/fee-uplifts/", "get"): ALL_READ,
        ("/api/v1/fee-uplifts/", "post"): OFFICER_CREATES,
        ("/api/v1/fee-uplifts/{id}/", "get"): NMISS_RECORD,
        ("/api/v1/block-contracts/", "get"): ALL_READ,
        ("/api/v1/block-contracts/", "post"): OFFICER_CREATES,
        ("/api/v1/block-contracts/{id}/", "get"): NMISS_RECORD,
    }
)

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
    "/api/v1/children/{id}/": lambda w: w["child_a"].pk,
    "/api/v1/provisions/{id}/": lambda w: w["provision_a"].pk,
    "/api/v1/referrals/{id}/": lambda w: w["referral_a"].pk,
    "/api/v1/referrals/{id}/stage/": lambda w: w["referral_a"].pk,
    "/api/v1/referrals/{id}/candidates/": lambda w: w["referral_a"].pk,
    "/api/v1/placements/{id}/": lambda w: w["placement_a"].pk,
    "/api/v1/placements/{id}/activate/": lambda w: w["pending_placement_a"].pk,
    "/api/v1/placements/{id}/end/": lambda w: w["ending_placement_a"].pk,
    "/api/v1/placements/{id}/cancel/": lambda w: w["pending_placement_a"].pk,
    "/api/v1/placements/{id}/rate/": lambda w: w["placement_a"].pk,
    "/api/v1/personal-budgets/{id}/": lambda w: w["personal_budget"].pk,
    "/api/v1/invoices/{id}/": lambda w: w["invoice_a"].pk,
    "/api/v1/invoices/{id}/approve/": lambda w: w["invoice_a"].pk,
    "/api/v1/invoices/{id}/dispute/": lambda w: w["invoice_a"].pk,
    "/api/v1/invoices/{id}/mark-paid/": lambda w: w["invoice_a"].pk,
    "/api/v1/disputes/{id}/": lambda w: w["dispute_a"].pk,
    "/api/v1/disputes/{id}/resolve/": lambda w: w["dispute_a"].pk,
    "/api/v1/reviews/{id}/": lambda w: w["review_a"].pk,
    **{
        f"/api/v1/placement-requests/{{id}}/{suffix}": lambda w: w["placement_request"].pk
        for suffix in ("", "eligible-schools/", "invite/", "ranking/", "award/")
    },
    "/api/v1/placement-requests/{id}/cancel/": lambda w: w["draft_request"].pk,
    "/api/v1/invitations/{id}/": lambda w: w["invitation"].pk,
    "/api/v1/invitations/{id}/decline/": lambda w: w["invitation"].pk,
    "/api/v1/offers/{id}/": lambda w: w["offer"].pk,
    "/api/v1/offers/{id}/score/": lambda w: w["offer"].pk,
    "/api/v1/school-placements/{id}/": lambda w: w["school_placement"].pk,
    "/api/v1/school-placements/{id}/end/": lambda w: w["school_placement"].pk,
    "/api/v1/fee-uplifts/{id}/": lambda w: w["fee_uplift"].pk,
    "/api/v1/block-contracts/{id}/": lambda w: w["block_contract"].pk,
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
API_BODIES.update(
    {
        ("/api/v1/children/", "post"): {
            "first_name": "Wilhelmina",
            "last_name": "Testcase",
            "date_of_birth": "2015-01-02",
            "ehcp_reference": "EHCP-WORLD-NEW",
            "district": "E07000113",
        },
        ("/api/v1/children/{id}/", "patch"): {"school_name": "Fictional Academy"},
        ("/api/v1/provisions/", "post"): lambda w: {
            "child": w["child_a"].pk,
            "therapy_type": "occupational",
            "amount": "1.00",
            "start_date": "2024-04-01",
        },
        ("/api/v1/provisions/{id}/", "patch"): {"description": "Weekly, in school"},
        ("/api/v1/referrals/", "post"): lambda w: {
            "provision": w["placement_b"].provision_id,
            "referred_on": "2024-06-01",
        },
        ("/api/v1/referrals/{id}/stage/", "post"): {"stage": "awaiting_intervention"},
        ("/api/v1/placements/", "post"): lambda w: {
            "provision": w["provision_a"].pk,
            "arrangement": "qpl_call_off",
            "provider": w["provider_a"].pk,
            "start_date": "2024-09-01",
            "end_date": "2025-03-31",
            "units_per_week": "1.00",
        },
        ("/api/v1/placements/{id}/activate/", "post"): {},
        ("/api/v1/placements/{id}/end/", "post"): {"end_date": "2025-06-30", "reason": "outcomes_met"},
        ("/api/v1/placements/{id}/cancel/", "post"): {"reason": "No longer needed"},
        ("/api/v1/placements/{id}/rate/", "post"): {
            "effective_from": "2025-01-01",
            "rate": "75.00",
            "reason": "Uplift",
        },
        ("/api/v1/invoices/", "post"): lambda w: {
            "placement": w["placement_a"].pk,
            "number": "WORLD-A-2",
            "period_start": "2024-10-01",
            "period_end": "2024-10-31",
            "units_delivered": "4",
            "amount": "280.00",
        },
        ("/api/v1/invoices/{id}/approve/", "post"): {},
        ("/api/v1/invoices/{id}/dispute/", "post"): {"category": "quality", "description": "Sessions missed"},
        ("/api/v1/invoices/{id}/mark-paid/", "post"): {"paid_on": "2024-12-01"},
        ("/api/v1/disputes/", "post"): lambda w: {
            "placement": w["placement_a"].pk,
            "category": "protocol",
            "description": "Late notes",
        },
        ("/api/v1/disputes/{id}/resolve/", "post"): {"outcome": "Notes now sent weekly"},
        ("/api/v1/reviews/", "post"): lambda w: {
            "placement": w["placement_a"].pk,
            "held_on": "2025-01-10",
            "outcomes": "Progress",
            "effectiveness": "effective",
            "decision": "continue",
            "next_review_on": "2025-06-01",
        },
    }
)
API_BODIES.update(
    {
        ("/api/v1/placement-requests/", "post"): lambda w: {
            "child": w["child_a"].pk,
            "lot": w["placement_request"].lot_id,
            "needs_summary": "Small classes",
            "setting": "day",
            "required_start": "2027-09-01",
            "deadline": "2030-01-01T12:00:00Z",
        },
        ("/api/v1/placement-requests/{id}/invite/", "post"): lambda w: {"schools": [w["school"].pk]},
        ("/api/v1/placement-requests/{id}/award/", "post"): lambda w: {
            "offer": w["offer"].pk,
            "end_date": "2029-07-31",
        },
        ("/api/v1/placement-requests/{id}/cancel/", "post"): {"reason": "No longer needed"},
        ("/api/v1/invitations/{id}/decline/", "post"): {"reason": "No place"},
        ("/api/v1/offers/", "post"): lambda w: {
            "invitation": w["invitation"].pk,
            "education_fee": "50000.00",
            "weeks": 38,
            "start_date": "2026-09-01",
            "quality_statement": "Specialist staff",
        },
        ("/api/v1/offers/{id}/score/", "post"): {"quality_score": 70, "reason": "Strong"},
        ("/api/v1/school-placements/", "post"): lambda w: {
            "child": w["child_b"].pk,
            "school": w["school"].pk,
            "setting": "day",
            "weeks": 38,
            "start_date": "2026-09-01",
            "end_date": "2027-07-31",
            "education_fee": "40000.00",
        },
        ("/api/v1/school-placements/{id}/end/", "post"): {"end_date": "2026-03-31", "reason": "Moved school"},
        ("/api/v1/fee-uplifts/", "post"): lambda w: {
            "placement": w["school_placement"].pk,
            "effective_from": "2026-01-01",
            "percent": "2.00",
            "reason": "Uplift",
        },
        ("/api/v1/block-contracts/", "post"): lambda w: {
            "school": w["school"].pk,
            "reference": "WORLD-BLOCK-2",
            "places": 2,
            "annual_fee": "90000.00",
            "start_date": "2026-04-01",
            "end_date": "2028-03-31",
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
