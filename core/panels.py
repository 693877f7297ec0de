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
