"""Home-page panels. Apps register theirs in `AppConfig.ready()`; core never imports them.

    register_panel(HomePanel(key="contracts-alerts", template="contracts/_home_alerts.html",
                             roles={Role.OFFICER, Role.COMMISSIONER}, context=contract_alerts_context))

`context(request)` returns the panel's template context; it should run a fixed number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .roles import Role


@dataclass(frozen=True)
class HomePanel:
    key: str
    template: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    context: Callable | None = None
    order: int = 100


_PANELS: dict[str, HomePanel] = {}


def register_panel(panel: HomePanel) -> None:
    _PANELS[panel.key] = panel  # keyed, so a reloaded app does not register twice


def panels_for(request) -> list[dict]:
    """Rendered-ready panels for the signed-in person's role, in order."""
    role = request.user.role
    chosen = sorted((p for p in _PANELS.values() if role in p.roles), key=lambda p: (p.order, p.key))
    return [{"template": p.template, "context": p.context(request) if p.context else {}} for p in chosen]


# Detail-page sections: a page owned by one app shows sections another app contributes, without
# importing it (for example the placements app adds a provider's dispute rate to the provider page).
#   register_section(DetailSection(slot="provider-detail", key="placements-disputes",
#                                  template="placements/_provider_disputes.html", context=fn(request, obj)))
# and in the page's template: {% detail_sections "provider-detail" provider %}


@dataclass(frozen=True)
class DetailSection:
    slot: str
    key: str
    template: str
    context: Callable | None = None
    permission: str | None = None  # shown only to people holding it
    order: int = 100


_SECTIONS: dict[tuple[str, str], DetailSection] = {}


def register_section(section: DetailSection) -> None:
    _SECTIONS[(section.slot, section.key)] = section


def sections_for(slot: str, request, obj) -> list[dict]:
    chosen = sorted(
        (s for s in _SECTIONS.values() if s.slot == slot and (not s.permission or request.user.has_perm(s.permission))),
        key=lambda s: (s.order, s.key),
    )
    return [{"template": s.template, "context": s.context(request, obj) if s.context else {}} for s in chosen]
