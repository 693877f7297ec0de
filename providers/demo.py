"""Demo data for providers. Every organisation and person here is fictional."""

from core.demo import DEMO_PASSWORD, demo_user
from core.roles import Role

from .models import Provider


def seed(*, stdout, rng) -> None:
    provider, _ = Provider.objects.get_or_create(
        legal_name="Harbourside Therapy Ltd",
        defaults={
            "trading_name": "Harbourside Therapy",
            "kind": Provider.Kind.COMPANY,
            "status": Provider.Status.ACTIVE,
        },
    )
    email = "provider@example.org"
    demo_user(email=email, role=Role.PROVIDER, first_name="Pat", last_name="Provider", provider=provider)
    stdout.write(f"  {Role.PROVIDER.label:<14} {email:<32} password: {DEMO_PASSWORD}")
