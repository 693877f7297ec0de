"""How a child is named on a page or in a download, decided in one place for every viewer.

Officers see the child's name and EHCP reference; a provider user sees the EHCP reference and first
name only (never the last name or date of birth); everyone else (commissioners) sees the child's
pseudonymous reference and nothing more. Templates use `{% child_label child %}`; downloads use
`child_label_text(user, child)`. Neither ever reads a name for someone who may not see it.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from placements.models import sees_child_identity

register = template.Library()

IDENTITY_REMOVED = "identity removed"


def _value(child, name: str):
    """A field of a Child, or of a `.values()` row about a child (keys `child__<name>` or `child_id`)."""
    if isinstance(child, dict):
        if name == "pk":
            return child.get("child_id", child.get("pk"))
        return child.get(f"child__{name}", child.get(name))
    return getattr(child, name)


def child_label_text(user, child) -> str:
    """The child as `user` may see them, as plain text."""
    pseudonym = _value(child, "pseudonym")
    if sees_child_identity(user):
        if isinstance(child, dict) or getattr(child, "anonymised_at", None) is None:
            name = f"{_value(child, 'first_name')} {_value(child, 'last_name')}".strip()
            if name:
                return f"{name} ({_value(child, 'ehcp_reference')})"
        return f"{pseudonym} ({IDENTITY_REMOVED})"
    if getattr(user, "provider_id", None):
        return f"{_value(child, 'first_name')} ({_value(child, 'ehcp_reference')})"
    return pseudonym


@register.simple_tag(takes_context=True)
def child_label(context, child, link=False):
    """`{% child_label child %}`, or `{% child_label child link=True %}` to link to the child's page for
    people who may open it. `child` is a Child or a `.values()` row with the child's fields."""
    user = context["request"].user
    text = child_label_text(user, child)
    if link and user.has_perm("placements.view_child"):
        return format_html(
            '<a class="govuk-link" href="{}">{}</a>',
            reverse("placements:child-detail", args=[_value(child, "pk")]),
            text,
        )
    return text
