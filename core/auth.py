"""Authentication helpers."""


def axes_username(request, credentials) -> str | None:
    """django-axes keys lockouts on the email typed into allauth's `login` field (and the IP)."""
    credentials = credentials or {}
    for key in ("login", "email", "username"):
        value = credentials.get(key)
        if value:
            return str(value).strip().lower()
    data = getattr(request, "POST", None) or {}
    value = data.get("login") or data.get("email")
    return str(value).strip().lower() if value else None
