"""The service navigation: one table, filtered by what the signed-in person may use.

An item appears only when its URL exists and the person holds its permission, so each role sees
exactly the parts of the service it can open. Hiding a link is not a permission check: every view
checks again.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None = None  # None: any signed-in person
    staff_only: bool = False
    # Also needed: a test of the person beyond the permission (for example, what kind of provider they act for).
    shown_to: Callable[[object], bool] | None = None


def _not_a_therapy_provider(user) -> bool:
    """School places concern schools on the DPS and the council, not a therapy provider's staff."""
    return user.provider_id is None or user.provider.is_school


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Home", "core:home"),
    NavItem("Your organisation", "providers:portal", "providers.use_provider_portal"),
    NavItem("Children", "placements:child-list", "placements.view_child"),
    NavItem("Waiting list", "placements:referral-list", "placements.view_referral"),
    NavItem("Placements", "placements:placement-list", "placements.view_placement"),
    NavItem("Invoices", "placements:invoice-list", "placements.view_invoice"),
    NavItem(
        "School places",
        "placements:placementrequest-list",
        "placements.view_placementrequest",
        shown_to=_not_a_therapy_provider,
    ),
    NavItem("Applications", "providers:sq-review-list", "providers.review_selectionquestionnaire"),
    NavItem("Providers", "providers:provider-list", "providers.view_provider_directory"),
    NavItem("Contracts", "contracts:contract-list", "contracts.view_contract"),
    NavItem("NHS returns", "contracts:performance-comparison", "contracts.view_performancereturn"),
    NavItem("Reports", "reporting:reportrun-list", "reporting.view_reportrun"),
    NavItem("Audit trail", "core:audit-list", "core.view_audit"),
    NavItem("API tokens", "core:apitoken-list", "core.manage_api_tokens"),
    NavItem("Admin", "admin:index", staff_only=True),
)


def navigation_for(user, current_path: str) -> list[dict]:
    """The items this user may use, with the current section marked."""
    if not user.is_authenticated:
        return []
    items = []
    for item in NAVIGATION:
        if item.staff_only and not user.is_staff:
            continue
        if item.permission and not user.has_perm(item.permission):
            continue
        if item.shown_to and not item.shown_to(user):
            continue
        try:
            href = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "href": href})
    # The current section is the longest matching prefix (Home only on an exact match).
    best = max(
        (i for i in items if current_path == i["href"] or (i["href"] != "/" and current_path.startswith(i["href"]))),
        key=lambda i: len(i["href"]),
        default=None,
    )
    for item in items:
        item["current"] = item is best
    return items
