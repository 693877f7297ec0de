import factory
from factory.django import DjangoModelFactory

from reporting.models import ReportRun


class ReportRunFactory(DjangoModelFactory):
    class Meta:
        model = ReportRun

    kind = "test-figures"
    parameters = factory.LazyFunction(dict)
