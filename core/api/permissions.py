"""API permission checks: token scopes, and the role permission a view declares."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.models import ApiToken


class TokenScopePermission(BasePermission):
    """A request made with a token needs the view's scope (`<token_scope>:read` or `:write`).

    A view without `token_scope` cannot be used with a token at all. Session requests are
    unaffected: a person's role already bounds them.
    """

    message = "This token's scopes do not allow this."

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, ApiToken):
            return True
        area = getattr(view, "token_scope", None)
        if area is None:
            return False
        needed = f"{area}:read" if request.method in SAFE_METHODS else f"{area}:write"
        return needed in request.auth.scopes


class RolePermission(BasePermission):
    """The role capability a view declares in `permission_required` (a permission or a tuple of them).

    Reads may declare a different capability in `read_permission_required`. Scope (which rows) is
    the selector's `visible_to(user)`, never this class.
    """

    def has_permission(self, request, view) -> bool:
        perms = getattr(view, "permission_required", None)
        if request.method in SAFE_METHODS and hasattr(view, "read_permission_required"):
            perms = view.read_permission_required
        if not perms:
            return True
        if isinstance(perms, str):
            perms = (perms,)
        return request.user.has_perms(perms)
