"""Factories for providers."""

import factory
from factory.django import DjangoModelFactory

from providers.models import Provider


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    legal_name = factory.Sequence(lambda n: f"Fictional Therapy Provider {n} Ltd")
    trading_name = factory.Sequence(lambda n: f"Fictional Therapy {n}")
    kind = Provider.Kind.COMPANY
    status = Provider.Status.ACTIVE
    contact_email = factory.Sequence(lambda n: f"contact{n}@provider.example.org")
