"""Children's therapy over the API. Explicit fields; money, units and rates as decimal strings ("70.00").

What a response says about a child depends on who asks, decided in one place (`audience_of`) and
applied by every serializer here that shows or mentions a child (`ChildPrivacyMixin`):

- identified (officers, the council's own integrations): name, date of birth, EHCP reference, pseudonym;
- provider (a provider user): the EHCP reference and first name only;
- pseudonymous (commissioners, anyone else): the pseudonym only, and none of the free text that may name
  the child (review outcomes, dispute descriptions, reasons, who a personal budget is paid to).

Withheld keys are left out of the answer, never sent empty, so the schema marks them optional.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.models import Contract
from core.models import District, FundingSource, PrimaryNeed, TherapyType
from core.periods import FinancialYear
from placements.models import (
    BlockContract,
    Child,
    Dispute,
    FeeUplift,
    Invitation,
    Invoice,
    Offer,
    PersonalBudget,
    Placement,
    PlacementCommitment,
    PlacementRequest,
    PlacementVariation,
    Provision,
    Referral,
    Review,
    SchoolPlacement,
    SchoolPlacementCommitment,
    sees_child_identity,
)
from placements.services import INVOICE_OUTCOMES
from providers.models import Lot, Provider

# Who is asking ---------------------------------------------------------------------------------


class Audience(enum.Enum):
    """How much a person may learn about a child (see the module docstring)."""

    IDENTIFIED = "identified"
    PROVIDER = "provider"
    PSEUDONYMOUS = "pseudonymous"


def audience_of(user) -> Audience:
    """How much this person may learn about a child. A provider user never gets more than the EHCP
    reference and first name, whatever else their account holds; anyone unknown gets the least."""
    if user is None or not user.is_authenticated:
        return Audience.PSEUDONYMOUS
    if getattr(user, "provider_id", None):
        return Audience.PROVIDER
    if sees_child_identity(user):
        return Audience.IDENTIFIED
    return Audience.PSEUDONYMOUS


PROVIDER_CHILD_FIELDS = frozenset({"id", "ehcp_reference", "first_name"})
PSEUDONYMOUS_CHILD_FIELDS = frozenset({"id", "pseudonym"})


class ChildPrivacyMixin:
    """Leaves out of each answer what the requesting person may not see about a child.

    `audience_fields`: for an audience listed there, the only fields it gets (unlisted audiences get all).
    `narrative_fields`: free text that may name the child, withheld from the pseudonymous audience.
    Every field that can be withheld is made optional, so the schema does not promise it.
    Without a request in the context the least is shown.
    """

    audience_fields: dict[Audience, frozenset[str]] = {}
    narrative_fields: tuple[str, ...] = ()

    def _may_withhold(self, name: str) -> bool:
        return name in self.narrative_fields or any(name not in only for only in self.audience_fields.values())

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            if self._may_withhold(name):
                field.read_only, field.required = False, False
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        audience = audience_of(getattr(request, "user", None))
        only = self.audience_fields.get(audience)
        if only is not None:
            data = {key: value for key, value in data.items() if key in only}
        if audience is Audience.PSEUDONYMOUS:
            for name in self.narrative_fields:
                data.pop(name, None)
        return data


class ReadSerializer(serializers.ModelSerializer):
    """An answer, never input: every field is read-only, so the schema promises it is always there
    (except those `ChildPrivacyMixin` may withhold, which it makes optional)."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


# Fields ----------------------------------------------------------------------------------------


class EnumField(serializers.ChoiceField):
    """A choice field documented as one named enum in the schema (`PlacementStatusEnum` for
    `Placement.Status`), so this app's choice sets never collide with other apps' `status` or `unit`."""

    def __init__(self, choices, *, enum_name: str = "", **kwargs):
        if isinstance(choices, type) and issubclass(choices, models.Choices):
            enum_name = enum_name or f"{choices.__qualname__.replace('.', '')}Enum"
            choices = choices.choices
        if not enum_name:
            raise TypeError("EnumField needs a Choices class or an enum_name.")
        self.enum_name = enum_name
        super().__init__(choices=choices, **kwargs)


class EnumFieldSchema(OpenApiSerializerFieldExtension):
    """Documents each EnumField as its named enum component."""

    target_class = EnumField

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "enum": list(self.target.choices),
            "description": "\n".join(f"* `{value}` - {label}" for value, label in self.target.choices.items()),
        }


EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


class DayField(serializers.DateField):
    """A date the services can do arithmetic with (a review six months on, the financial year around it)."""

    default_error_messages = {"out_of_range": "Enter a date from 1900 to 2999."}

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            self.fail("out_of_range")
        return day


def money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


def units(**kwargs) -> serializers.DecimalField:
    """Hours or sessions to two places, rounded half up at the edge (the figures are pro-rated in SQL)."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, rounding=ROUND_HALF_UP, read_only=True, **kwargs)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """The id of a related record, found only among those the requesting person may see: an unknown
    id and one out of scope get the same field error, so neither reveals that a record exists."""

    def __init__(self, model, **kwargs):
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.queryset
        return self.queryset.model.objects.visible_to(request.user)


def funding_source_input() -> serializers.ChoiceField:
    # A plain choice field: the schema names the set once (FundingSourceEnum), shared with contracts.
    return serializers.ChoiceField(
        choices=FundingSource.choices,
        required=False,
        help_text="The budget that pays for it. Default: the High Needs Block (under an NHS contract, the contract's).",
    )


def therapy_code(source: str) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(source=source, slug_field="code", read_only=True)


# Children --------------------------------------------------------------------------------------


class ChildReferenceSerializer(ChildPrivacyMixin, ReadSerializer):
    """The child a record is about: the pseudonym for commissioners, the EHCP reference and first name
    for a provider, and the name and date of birth as well only for people who may see who the child is."""

    audience_fields = {Audience.PROVIDER: PROVIDER_CHILD_FIELDS, Audience.PSEUDONYMOUS: PSEUDONYMOUS_CHILD_FIELDS}

    class Meta:
        model = Child
        fields = ["id", "pseudonym", "ehcp_reference", "first_name", "last_name", "date_of_birth"]


def child_reference(source: str | None = None) -> ChildReferenceSerializer:
    """The `child` field of a record about a child (`source` when the child is further away)."""
    return ChildReferenceSerializer(read_only=True, **({"source": source} if source else {}))


class ChildSerializer(ChildPrivacyMixin, ReadSerializer):
    """A child's record. A provider user sees only the EHCP reference, first name and their own placements."""

    district = serializers.SlugRelatedField(slug_field="ons_code", read_only=True)
    primary_need = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    status = EnumField(Child.Status, read_only=True)
    active_placements = serializers.IntegerField(
        read_only=True, help_text="Active placements (for a provider user, their own only)."
    )
    waiting_referrals = serializers.IntegerField(read_only=True)

    audience_fields = {
        Audience.PROVIDER: PROVIDER_CHILD_FIELDS | {"active_placements"},
        Audience.PSEUDONYMOUS: PSEUDONYMOUS_CHILD_FIELDS,
    }

    class Meta:
        model = Child
        fields = [
            "id",
            "pseudonym",
            "ehcp_reference",
            "first_name",
            "last_name",
            "date_of_birth",
            "district",
            "school_name",
            "school_urn",
            "primary_need",
            "status",
            "created_at",
            "active_placements",
            "waiting_referrals",
        ]


class ProvisionSummarySerializer(ReadSerializer):
    """A line of the child's plan, as listed on the child's record."""

    therapy_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    section = EnumField(Provision.Section, read_only=True)
    unit = EnumField(Provision.Unit, read_only=True)
    frequency = EnumField(Provision.Frequency, read_only=True)

    class Meta:
        model = Provision
        fields = [
            "id",
            "section",
            "therapy_type",
            "amount",
            "unit",
            "frequency",
            "weeks_per_year",
            "start_date",
            "end_date",
            "review_date",
        ]


class ReferralSummarySerializer(ReadSerializer):
    """A referral, as listed on the child's record."""

    therapy_type = therapy_code("provision.therapy_type")
    stage = EnumField(Referral.Stage, read_only=True)
    weeks_waiting = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = ["id", "provision", "therapy_type", "referred_on", "stage", "waiting_ended_on", "weeks_waiting"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_weeks_waiting(self, obj: Referral) -> int:
        return obj.weeks_waiting()


class PlacementSummarySerializer(ReadSerializer):
    """A placement, as listed on a child's record or a referral."""

    arrangement = EnumField(Placement.Arrangement, read_only=True)
    status = EnumField(Placement.Status, read_only=True)
    provider_name = serializers.CharField(source="provider.legal_name", read_only=True, allow_null=True)

    class Meta:
        model = Placement
        fields = ["id", "arrangement", "is_off_qpl", "provider", "provider_name", "start_date", "end_date", "status"]


class ChildDetailSerializer(ChildSerializer):
    """A child's record with the plan's lines, the waiting list and the placements this person may see."""

    provisions = ProvisionSummarySerializer(many=True, read_only=True)
    referrals = ReferralSummarySerializer(many=True, read_only=True)
    placements = PlacementSummarySerializer(many=True, read_only=True)

    audience_fields = {
        Audience.PROVIDER: PROVIDER_CHILD_FIELDS | {"provisions", "placements"},
        Audience.PSEUDONYMOUS: PSEUDONYMOUS_CHILD_FIELDS,
    }

    class Meta(ChildSerializer.Meta):
        fields = [f for f in ChildSerializer.Meta.fields if f not in ("active_placements", "waiting_referrals")] + [
            "provisions",
            "referrals",
            "placements",
        ]


class ChildInputSerializer(serializers.Serializer):
    """A child's record as entered; the EHCP reference is stored in capitals."""

    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    date_of_birth = DayField()
    ehcp_reference = serializers.CharField(max_length=30)
    district = serializers.SlugRelatedField(
        slug_field="ons_code", queryset=District.objects.all(), help_text="ONS code."
    )
    school_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    school_urn = serializers.CharField(max_length=6, required=False, allow_blank=True)
    primary_need = serializers.SlugRelatedField(
        slug_field="code", queryset=PrimaryNeed.objects.all(), required=False, allow_null=True
    )
    status = EnumField(Child.Status, required=False)


# Provision and the waiting list ----------------------------------------------------------------


class ProvisionSerializer(ChildPrivacyMixin, ReadSerializer):
    """A line of a child's EHCP (Section F or G): a therapy, how much and how often."""

    child = child_reference()
    therapy_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    section = EnumField(Provision.Section, read_only=True)
    unit = EnumField(Provision.Unit, read_only=True)
    frequency = EnumField(Provision.Frequency, read_only=True)
    source = EnumField(Provision.Source, read_only=True)
    units_per_year = units(help_text="Hours or sessions a year the plan specifies.")

    narrative_fields = ("description",)

    class Meta:
        model = Provision
        fields = [
            "id",
            "child",
            "section",
            "therapy_type",
            "amount",
            "unit",
            "frequency",
            "weeks_per_year",
            "units_per_year",
            "start_date",
            "end_date",
            "review_date",
            "source",
            "description",
        ]


class ProvisionInputSerializer(serializers.Serializer):
    """A line of the plan as entered."""

    section = EnumField(Provision.Section, required=False)
    therapy_type = serializers.SlugRelatedField(slug_field="code", queryset=TherapyType.objects.all())
    amount = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="Hours or sessions each time.")
    unit = EnumField(Provision.Unit, required=False)
    frequency = EnumField(Provision.Frequency, required=False)
    weeks_per_year = serializers.IntegerField(min_value=1, max_value=52, required=False)
    start_date = DayField()
    end_date = DayField(required=False, allow_null=True)
    review_date = DayField(required=False, allow_null=True)
    source = EnumField(Provision.Source, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class ProvisionCreateInputSerializer(ProvisionInputSerializer):
    """A new line of a child's plan."""

    child = serializers.IntegerField(help_text="The child (id) whose plan this line is in.")


class ReferralSerializer(ChildPrivacyMixin, ReadSerializer):
    """A provision line on the waiting list; `weeks_waiting` is computed on each read."""

    child = child_reference()
    district = serializers.SlugRelatedField(source="child.district", slug_field="ons_code", read_only=True)
    therapy_type = therapy_code("provision.therapy_type")
    stage = EnumField(Referral.Stage, read_only=True)
    weeks_waiting = serializers.SerializerMethodField(
        help_text="Whole weeks from referral to placement or closure, or to today while waiting."
    )

    narrative_fields = ("closed_reason",)

    class Meta:
        model = Referral
        fields = [
            "id",
            "child",
            "district",
            "provision",
            "therapy_type",
            "referred_on",
            "stage",
            "is_waiting",
            "waiting_ended_on",
            "weeks_waiting",
            "closed_reason",
            "created_at",
        ]

    @extend_schema_field(OpenApiTypes.INT)
    def get_weeks_waiting(self, obj: Referral) -> int:
        return obj.weeks_waiting()


class ReferralDetailSerializer(ReferralSerializer):
    """A referral with the placements arranged for it."""

    placements = PlacementSummarySerializer(many=True, read_only=True)

    class Meta(ReferralSerializer.Meta):
        fields = [*ReferralSerializer.Meta.fields, "placements"]


class ReferralCreateInputSerializer(serializers.Serializer):
    """Put a provision line on the waiting list."""

    provision = serializers.IntegerField(help_text="The provision line (id) to put on the waiting list.")
    referred_on = DayField()


class ReferralStageInputSerializer(serializers.Serializer):
    """Move a referral to another stage."""

    stage = EnumField(Referral.Stage)
    on = DayField(required=False, allow_null=True, help_text="When a placed or closed wait ends (default today).")
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Needed to close.")


class CandidateSerializer(ReadSerializer):
    """A provider admitted to the QPL who offers the therapy in the child's district, most suitable first."""

    capacity_hours = serializers.DecimalField(
        max_digits=6, decimal_places=1, read_only=True, help_text="Hours a week declared (0 if none)."
    )
    rate = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Rate in force for the therapy and unit (null if the pricing has none).",
    )

    class Meta:
        model = Provider
        fields = ["id", "legal_name", "trading_name", "capacity_hours", "rate"]


class CandidatesQuerySerializer(serializers.Serializer):
    """The query string of the candidates list."""

    on = DayField(required=False)


# Placements ------------------------------------------------------------------------------------


class PlacementSerializer(ChildPrivacyMixin, ReadSerializer):
    """One child's funded course of one therapy; `committed` is the cost over the whole term."""

    child = child_reference()
    district = serializers.SlugRelatedField(source="child.district", slug_field="ons_code", read_only=True)
    therapy_type = therapy_code("provision.therapy_type")
    arrangement = EnumField(Placement.Arrangement, read_only=True)
    provider_name = serializers.CharField(source="provider.legal_name", read_only=True, allow_null=True)
    spot_reason = EnumField(Placement.SpotReason, read_only=True)
    unit = EnumField(Placement.Unit, read_only=True)
    status = EnumField(Placement.Status, read_only=True)
    end_reason = EnumField(Placement.EndReason, read_only=True)
    funding_source = serializers.ChoiceField(choices=FundingSource.choices, read_only=True)
    committed = money(help_text="Committed cost over the whole term (£).")

    narrative_fields = ("spot_reason_detail",)

    class Meta:
        model = Placement
        fields = [
            "id",
            "child",
            "district",
            "provision",
            "therapy_type",
            "referral",
            "arrangement",
            "is_off_qpl",
            "provider",
            "provider_name",
            "contract",
            "spot_reason",
            "spot_reason_detail",
            "start_date",
            "end_date",
            "rate",
            "unit",
            "units_per_week",
            "weeks_per_year",
            "purchase_order",
            "funding_source",
            "status",
            "end_reason",
            "review_due_on",
            "committed",
            "created_at",
        ]


class CommitmentSerializer(ReadSerializer):
    """A committed cost in one financial year, the year as its label."""

    financial_year = serializers.SerializerMethodField(help_text="Like 2024-25.")

    @extend_schema_field(OpenApiTypes.STR)
    def get_financial_year(self, obj) -> str:
        return FinancialYear(obj.financial_year).label


class PlacementCommitmentSerializer(CommitmentSerializer):
    """The committed cost of a placement in one financial year."""

    class Meta:
        model = PlacementCommitment
        fields = ["financial_year", "amount"]


class PlacementVariationSerializer(ChildPrivacyMixin, ReadSerializer):
    """A dated change of a placement's rate."""

    narrative_fields = ("reason",)

    class Meta:
        model = PlacementVariation
        fields = ["id", "effective_from", "rate", "reason", "decision_reference", "created_at"]


class PersonalBudgetSummarySerializer(ChildPrivacyMixin, ReadSerializer):
    """The agreement with the family, on a personal-budget placement."""

    narrative_fields = ("paid_to", "notes")

    class Meta:
        model = PersonalBudget
        fields = ["id", "amount", "signed_on", "review_on", "paid_to", "notes"]


class InvoiceSummarySerializer(ReadSerializer):
    """An invoice, as listed on its placement."""

    status = EnumField(Invoice.Status, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "period_start",
            "period_end",
            "units_delivered",
            "amount",
            "has_discrepancy",
            "status",
        ]


class DisputeSummarySerializer(ReadSerializer):
    """A dispute, as listed on its placement."""

    category = EnumField(Dispute.Category, read_only=True)

    class Meta:
        model = Dispute
        fields = ["id", "invoice", "category", "raised_on", "resolved_on"]


class ReviewSummarySerializer(ReadSerializer):
    """A review, as listed on its placement."""

    effectiveness = EnumField(Review.Effectiveness, read_only=True)
    decision = EnumField(Review.Decision, read_only=True)

    class Meta:
        model = Review
        fields = ["id", "held_on", "effectiveness", "decision", "next_review_on"]


class PlacementDetailSerializer(PlacementSerializer):
    """A placement with its money: committed per financial year, actual spend, rate changes, invoices."""

    actual = money(help_text="Approved and paid invoices (£).")
    commitments = PlacementCommitmentSerializer(
        many=True, read_only=True, help_text="Committed cost per financial year."
    )
    variations = PlacementVariationSerializer(many=True, read_only=True, help_text="Dated rate changes.")
    personal_budget = PersonalBudgetSummarySerializer(read_only=True, allow_null=True)
    invoices = InvoiceSummarySerializer(many=True, read_only=True)
    disputes = DisputeSummarySerializer(many=True, read_only=True)
    reviews = ReviewSummarySerializer(many=True, read_only=True)

    class Meta(PlacementSerializer.Meta):
        fields = [
            *PlacementSerializer.Meta.fields,
            "membership",
            "actual",
            "commitments",
            "variations",
            "personal_budget",
            "invoices",
            "disputes",
            "reviews",
        ]


class PlacementArrangeInputSerializer(serializers.Serializer):
    """Any of the four arrangements; which fields are needed depends on the arrangement (the service says)."""

    provision = serializers.IntegerField(help_text="The provision line (id) the therapy is for.")
    arrangement = EnumField(Placement.Arrangement)
    referral = VisibleRelatedField(Referral, required=False, allow_null=True, help_text="The waiting referral.")
    provider = VisibleRelatedField(
        Provider, required=False, allow_null=True, help_text="QPL call-off and spot purchase."
    )
    contract = VisibleRelatedField(Contract, required=False, allow_null=True, help_text="NHS contract arrangement.")
    start_date = DayField()
    end_date = DayField(help_text="Last funded day (inclusive).")
    units_per_week = serializers.DecimalField(max_digits=6, decimal_places=2)
    weeks_per_year = serializers.IntegerField(
        min_value=1, max_value=52, required=False, allow_null=True, help_text="Default: the plan's."
    )
    rate = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="A QPL call-off defaults to the price in force; a spot purchase needs it.",
    )
    spot_reason = EnumField(Placement.SpotReason, required=False, default="")
    spot_reason_detail = serializers.CharField(required=False, allow_blank=True, default="")
    purchase_order = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    budget_amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    budget_signed_on = DayField(required=False, allow_null=True)
    budget_review_on = DayField(required=False, allow_null=True)
    budget_paid_to = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    funding_source = funding_source_input()


class PlacementActivateInputSerializer(serializers.Serializer):
    """Confirm a proposed placement, optionally with its purchase order."""

    purchase_order = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class PlacementEndInputSerializer(serializers.Serializer):
    """End an active placement early, with the reason."""

    end_date = DayField(help_text="The last funded day (inclusive).")
    reason = EnumField(Placement.EndReason)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PlacementCancelInputSerializer(serializers.Serializer):
    """Cancel a placement that has not been invoiced."""

    reason = serializers.CharField()


class PlacementRateInputSerializer(serializers.Serializer):
    """A dated change of the rate."""

    effective_from = DayField(help_text="After the first day, within the term.")
    rate = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="The new rate (£ a unit).")
    reason = serializers.CharField()
    decision_reference = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class PersonalBudgetSerializer(ChildPrivacyMixin, ReadSerializer):
    """The signed agreement with a family who buy the therapy themselves."""

    child = child_reference("placement.child")
    therapy_type = therapy_code("placement.provision.therapy_type")
    placement_status = EnumField(Placement.Status, source="placement.status", read_only=True)

    narrative_fields = ("paid_to", "notes")

    class Meta:
        model = PersonalBudget
        fields = [
            "id",
            "placement",
            "placement_status",
            "child",
            "therapy_type",
            "amount",
            "signed_on",
            "review_on",
            "paid_to",
            "notes",
        ]


# Invoices and disputes -------------------------------------------------------------------------


class InvoiceSerializer(ChildPrivacyMixin, ReadSerializer):
    """A bill for units delivered on one placement; a mismatch with units x rate is flagged."""

    child = child_reference("placement.child")
    therapy_type = therapy_code("placement.provision.therapy_type")
    provider_name = serializers.CharField(source="provider.legal_name", read_only=True, allow_null=True)
    status = EnumField(Invoice.Status, read_only=True)

    narrative_fields = ("decision_note",)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "placement",
            "child",
            "therapy_type",
            "provider",
            "provider_name",
            "number",
            "period_start",
            "period_end",
            "units_delivered",
            "amount",
            "expected_amount",
            "has_discrepancy",
            "discrepancy_note",
            "status",
            "submitted_at",
            "decided_at",
            "decision_note",
            "paid_on",
            "payment_reference",
        ]


class InvoiceSubmitInputSerializer(serializers.Serializer):
    """An invoice for one placement."""

    placement = serializers.IntegerField(help_text="The placement (id) the invoice is for.")
    number = serializers.CharField(max_length=40, help_text="The provider's own invoice number.")
    period_start = DayField()
    period_end = DayField()
    units_delivered = serializers.DecimalField(max_digits=7, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="£")


class InvoiceApproveInputSerializer(serializers.Serializer):
    """Approve a submitted invoice."""

    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Needed when the invoice has a discrepancy."
    )


class InvoiceDisputeInputSerializer(serializers.Serializer):
    """Dispute an invoice that is not yet paid."""

    category = EnumField(Dispute.Category)
    description = serializers.CharField()


class InvoiceMarkPaidInputSerializer(serializers.Serializer):
    """Record the payment of an approved invoice."""

    paid_on = DayField()
    payment_reference = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class DisputeSerializer(ChildPrivacyMixin, ReadSerializer):
    """A disagreement about a placement or one of its invoices, open until resolved."""

    child = child_reference("placement.child")
    provider = serializers.IntegerField(source="placement.provider_id", read_only=True, allow_null=True)
    provider_name = serializers.CharField(source="placement.provider.legal_name", read_only=True, allow_null=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True, allow_null=True)
    category = EnumField(Dispute.Category, read_only=True)

    narrative_fields = ("description", "outcome")

    class Meta:
        model = Dispute
        fields = [
            "id",
            "placement",
            "child",
            "provider",
            "provider_name",
            "invoice",
            "invoice_number",
            "category",
            "description",
            "raised_on",
            "is_open",
            "resolved_on",
            "outcome",
        ]


class DisputeRaiseInputSerializer(serializers.Serializer):
    """Raise a dispute about a placement (and, if it is about one, an invoice)."""

    placement = serializers.IntegerField(help_text="The placement (id) the dispute is about.")
    invoice = VisibleRelatedField(Invoice, required=False, allow_null=True)
    category = EnumField(Dispute.Category)
    description = serializers.CharField()


class DisputeResolveInputSerializer(serializers.Serializer):
    """Close a dispute with its outcome."""

    outcome = serializers.CharField()
    resolved_on = DayField(required=False, allow_null=True, help_text="Default today.")
    invoice_decision = EnumField(
        [(key, key.capitalize()) for key in INVOICE_OUTCOMES],
        enum_name="InvoiceDecisionEnum",
        required=False,
        allow_blank=True,
        default="",
        help_text="For a disputed invoice: approve or reject it now.",
    )


# Reviews ---------------------------------------------------------------------------------------


class ReviewSerializer(ChildPrivacyMixin, ReadSerializer):
    """A review of a placement: what it achieved and whether it goes on."""

    child = child_reference("placement.child")
    provider = serializers.IntegerField(source="placement.provider_id", read_only=True, allow_null=True)
    therapy_type = therapy_code("placement.provision.therapy_type")
    effectiveness = EnumField(Review.Effectiveness, read_only=True)
    decision = EnumField(Review.Decision, read_only=True)

    narrative_fields = ("outcomes",)

    class Meta:
        model = Review
        fields = [
            "id",
            "placement",
            "child",
            "provider",
            "therapy_type",
            "held_on",
            "outcomes",
            "effectiveness",
            "decision",
            "next_review_on",
            "recorded_at",
        ]


class ReviewRecordInputSerializer(serializers.Serializer):
    """A review that has been held."""

    placement = serializers.IntegerField(help_text="The placement (id) reviewed.")
    held_on = DayField()
    outcomes = serializers.CharField()
    effectiveness = EnumField(Review.Effectiveness)
    decision = EnumField(Review.Decision)
    next_review_on = DayField(required=False, allow_null=True, help_text="Unless the decision is stop.")
    end_date = DayField(required=False, allow_null=True, help_text="The last funded day, to stop.")


class ReviewsDueQuerySerializer(serializers.Serializer):
    """The query string of the reviews-due list."""

    within_days = serializers.IntegerField(min_value=0, max_value=366, default=30)


# Provision assurance ---------------------------------------------------------------------------


class AssurancePeriodQuerySerializer(serializers.Serializer):
    """`start`..`end` (inclusive); either alone means its financial year; neither, the current one so far."""

    start = DayField(required=False)
    end = DayField(required=False)

    def __init__(self, *args, today=None, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if start is None and end is None:  # days still to come have nothing delivered: stop at today
            start, end = FinancialYear.of(self.today).start, self.today
        elif end is None:
            end = FinancialYear.of(start).end
        elif start is None:
            start = FinancialYear.of(end).start
        if end < start:
            raise serializers.ValidationError({"end": "The end of the period must be on or after its start."})
        return {**attrs, "start": start, "end": end}


class AssuranceByChildQuerySerializer(AssurancePeriodQuerySerializer):
    """The period, and optionally the shortfall threshold (percent)."""

    threshold = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), required=False
    )


class ProvisionAssuranceSerializer(ChildPrivacyMixin, ReadSerializer):
    """One line of a plan over the period: specified, commissioned and delivered units, and the shortfall."""

    provision = serializers.IntegerField(source="pk", read_only=True)
    child = child_reference()
    therapy_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    section = EnumField(Provision.Section, read_only=True)
    unit = EnumField(Provision.Unit, read_only=True)
    specified = units(help_text="What the plan specifies over the period.")
    commissioned = units(help_text="What active and ended placements for the line buy over the period.")
    delivered = units(help_text="Units on approved and paid invoices, pro-rated by days into the period.")
    shortfall = units(help_text="Specified minus delivered (negative when more was delivered).")

    class Meta:
        model = Provision
        fields = [
            "provision",
            "child",
            "section",
            "therapy_type",
            "unit",
            "specified",
            "commissioned",
            "delivered",
            "shortfall",
        ]


class AssuranceByChildSerializer(serializers.Serializer):
    """One child's lines summed over the period, with the shortfall as a share of what was specified."""

    child = serializers.SerializerMethodField()
    lines = serializers.IntegerField(read_only=True)
    specified = units(source="specified_total")
    commissioned = units(source="commissioned_total")
    delivered = units(source="delivered_total")
    shortfall = units(source="shortfall_total")
    shortfall_percent = serializers.SerializerMethodField(help_text="Shortfall as a percentage of specified.")

    @extend_schema_field(ChildReferenceSerializer)
    def get_child(self, row: dict) -> dict:
        child = {
            "id": row["child_id"],
            "pseudonym": row["child__pseudonym"],
            "ehcp_reference": row["child__ehcp_reference"],
            "first_name": row["child__first_name"],
            "last_name": row["child__last_name"],
        }
        return ChildReferenceSerializer(child, context=self.context).data

    @extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?\d+\.\d$"})
    def get_shortfall_percent(self, row: dict) -> str:
        specified = Decimal(str(row["specified_total"]))
        share = Decimal(str(row["shortfall_total"])) * 100 / specified
        return str(share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# NMISS: special-school places through the DPS ---------------------------------------------------
# A school (a provider user) sees a request only as its pseudonymised profile: never the child (name, date of
# birth, EHCP reference or pseudonym), never the other schools invited, their offers or the ranking. Once it
# holds a school placement it sees that child as a therapy provider does (EHCP reference and first name).
# Commissioners see the child by pseudonym only, and none of the officers' free text.

WEEKS_CHOICES = Offer._meta.get_field("weeks").choices  # 38 or 52 weeks a year


class MomentField(serializers.DateTimeField):
    """An aware date and time within the years the service can do arithmetic with (a deadline)."""

    default_error_messages = {"out_of_range": "Enter a date and time from 1900 to 2999."}

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if not EARLIEST_DAY <= moment.date() <= LATEST_DAY:
            self.fail("out_of_range")
        return moment


def fee(help_text: str = "£ a year") -> serializers.DecimalField:
    """A fee element as entered (the services refuse negative fees)."""
    return serializers.DecimalField(max_digits=12, decimal_places=2, help_text=help_text)


def optional_fee(help_text: str = "£ a year (default 0.00).") -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"), help_text=help_text)


def points(**kwargs) -> serializers.DecimalField:
    """A score to two places, out of 100."""
    return serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True, **kwargs)


class AudienceFirstMixin(ChildPrivacyMixin):
    """ChildPrivacyMixin that never even reads a field the requesting person may not see, so rows loaded for
    that person need not hold it (a school's request rows do not load the child at all)."""

    @property
    def _readable_fields(self):
        request = self.context.get("request")
        only = self.audience_fields.get(audience_of(getattr(request, "user", None)))
        for field in super()._readable_fields:
            if only is None or field.field_name in only:
                yield field


# The request: what every reader sees, what only council staff see, and a school's own answer.
REQUEST_PROFILE_FIELDS = frozenset(
    {
        "id",
        "reference",
        "lot",
        "lot_name",
        "child_age",
        "primary_need",
        "needs_summary",
        "setting",
        "required_start",
        "deadline",
        "quality_weight",
        "price_weight",
        "status",
    }
)
REQUEST_STAFF_FIELDS = REQUEST_PROFILE_FIELDS | {
    "child",
    "created_at",
    "published_at",
    "awarded_at",
    "invited",
    "offered",
}
REQUEST_SCHOOL_FIELDS = REQUEST_PROFILE_FIELDS | {"invitation_status", "offer_status"}


class PlacementRequestSerializer(AudienceFirstMixin, ReadSerializer):
    """A request for a special-school place. A school sees only the pseudonymised profile and its own answer;
    council staff also see the child (commissioners by pseudonym) and how many schools were invited and offered."""

    child = child_reference()
    lot_name = serializers.StringRelatedField(source="lot", read_only=True)
    primary_need = serializers.SlugRelatedField(slug_field="code", read_only=True)
    setting = EnumField(PlacementRequest.Setting, read_only=True)
    status = EnumField(PlacementRequest.Status, read_only=True)
    invited = serializers.IntegerField(read_only=True, help_text="Schools invited (council staff only).")
    offered = serializers.IntegerField(read_only=True, help_text="Offers received (council staff only).")
    invitation_status = EnumField(
        Invitation.Status,
        source="own_invitation_status",
        read_only=True,
        help_text="For a school: its own invitation's status.",
    )
    offer_status = EnumField(
        Offer.Status,
        source="own_offer_status",
        read_only=True,
        allow_null=True,
        help_text="For a school: its own offer's status (null before it offers).",
    )

    audience_fields = {
        Audience.IDENTIFIED: REQUEST_STAFF_FIELDS,
        Audience.PSEUDONYMOUS: REQUEST_STAFF_FIELDS,
        Audience.PROVIDER: REQUEST_SCHOOL_FIELDS,
    }

    class Meta:
        model = PlacementRequest
        fields = [
            "id",
            "reference",
            "child",
            "lot",
            "lot_name",
            "child_age",
            "primary_need",
            "needs_summary",
            "setting",
            "required_start",
            "deadline",
            "quality_weight",
            "price_weight",
            "status",
            "created_at",
            "published_at",
            "awarded_at",
            "invited",
            "offered",
            "invitation_status",
            "offer_status",
        ]


class InvitationSerializer(ReadSerializer):
    """A school invited to offer a place for one request, and its answer (a school sees only its own)."""

    request_reference = serializers.CharField(source="request.reference", read_only=True)
    school_name = serializers.CharField(source="school.legal_name", read_only=True)
    status = EnumField(Invitation.Status, read_only=True)
    offer = serializers.IntegerField(source="offer.pk", read_only=True, allow_null=True, help_text="The offer made.")
    offer_status = EnumField(Offer.Status, source="offer.status", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "request",
            "request_reference",
            "school",
            "school_name",
            "status",
            "invited_at",
            "responded_at",
            "declined_reason",
            "offer",
            "offer_status",
        ]


class PlacementRequestDetailSerializer(PlacementRequestSerializer):
    """A request with its invitations (for a school, its own only) and, once awarded, the placement agreement."""

    invitations = InvitationSerializer(many=True, read_only=True, help_text="For a school: its own invitation only.")
    school_placement = serializers.IntegerField(
        source="school_placement.pk",
        read_only=True,
        allow_null=True,
        help_text="The individual placement agreement, once awarded (council staff only).",
    )

    audience_fields = {
        Audience.IDENTIFIED: REQUEST_STAFF_FIELDS | {"invitations", "school_placement"},
        Audience.PSEUDONYMOUS: REQUEST_STAFF_FIELDS | {"invitations", "school_placement"},
        Audience.PROVIDER: REQUEST_SCHOOL_FIELDS | {"invitations"},
    }

    class Meta(PlacementRequestSerializer.Meta):
        fields = [*PlacementRequestSerializer.Meta.fields, "invitations", "school_placement"]


class PlacementRequestCreateInputSerializer(serializers.Serializer):
    """Raise a request (a draft until schools are invited). Schools see the summary: never name the child."""

    child = serializers.IntegerField(help_text="The child (id) the place is for; their primary need must be recorded.")
    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all(), help_text="A lot of the DPS.")
    needs_summary = serializers.CharField(help_text="What the schools need to know. Never the child's name.")
    setting = EnumField(PlacementRequest.Setting)
    required_start = DayField()
    deadline = MomentField(help_text="Offers close at this time (in the future).")
    quality_weight = serializers.IntegerField(min_value=0, max_value=100, default=60)
    price_weight = serializers.IntegerField(
        min_value=0, max_value=100, default=40, help_text="With the quality weight, adds up to 100."
    )


class PlacementRequestInviteInputSerializer(serializers.Serializer):
    """Invite eligible schools; the first invitations open the request and publish its weights."""

    schools = VisibleRelatedField(Provider, many=True, allow_empty=False, help_text="Eligible schools (ids).")


class PlacementRequestAwardInputSerializer(serializers.Serializer):
    """Award the place to one scored offer, after the deadline, once."""

    offer = VisibleRelatedField(Offer, help_text="The offer (id) awarded.")
    end_date = DayField(help_text="The placement's last funded day (inclusive).")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Needed when the offer is not ranked first."
    )
    funding_source = funding_source_input()


class PlacementRequestCancelInputSerializer(serializers.Serializer):
    """Withdraw a request that has not been awarded."""

    reason = serializers.CharField()


class EligibleSchoolSerializer(ReadSerializer):
    """A school admitted to the request's lot that offers its setting and takes the child's age and need."""

    indicative_fee = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Its lowest annual fee band for the setting (£; null if it has none).",
    )
    invited = serializers.SerializerMethodField(help_text="Already invited to this request.")

    class Meta:
        model = Provider
        fields = ["id", "legal_name", "trading_name", "indicative_fee", "invited"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_invited(self, obj: Provider) -> bool:
        return obj.pk in self.context.get("invited", ())


class RankedOfferSerializer(ChildPrivacyMixin, serializers.Serializer):
    """One offer in the evaluation: its price score from the fees, its weighted points, total, rank and the sum
    that explains them. Offers not yet scored for quality have no total and no rank."""

    offer = serializers.IntegerField(source="offer.pk", read_only=True)
    school = serializers.IntegerField(source="offer.invitation.school_id", read_only=True)
    school_name = serializers.CharField(source="offer.invitation.school.legal_name", read_only=True)
    annual_fee = money(source="offer.annual_fee", help_text="Education, care, therapy and other (£ a year).")
    status = EnumField(Offer.Status, source="offer.status", read_only=True)
    quality_score = serializers.IntegerField(source="offer.quality_score", read_only=True, allow_null=True)
    quality_reason = serializers.CharField(source="offer.quality_reason", read_only=True)
    price_score = points(help_text="Lowest annual fee offered / this offer's annual fee x 100.")
    quality_points = points(allow_null=True, help_text="Quality score x the quality weight.")
    price_points = points(help_text="Price score x the price weight.")
    total = points(allow_null=True, help_text="Quality points + price points.")
    rank = serializers.IntegerField(read_only=True, allow_null=True, help_text="Equal totals share a rank.")
    tied_with = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="Schools tied.")
    explanation = serializers.CharField(read_only=True)

    narrative_fields = ("quality_reason",)


class OfferSerializer(ChildPrivacyMixin, ReadSerializer):
    """A school's offer: the annual fee by element, the weeks, the start and how it meets the needs. The school
    that made it sees its terms and status; only council staff see its quality score."""

    request_reference = serializers.CharField(source="request.reference", read_only=True)
    school = serializers.IntegerField(source="invitation.school_id", read_only=True)
    school_name = serializers.CharField(source="invitation.school.legal_name", read_only=True)
    annual_fee = money(help_text="Education, care, therapy and other (£ a year).")
    status = EnumField(Offer.Status, read_only=True)
    school_placement = serializers.IntegerField(
        source="school_placement.pk", read_only=True, allow_null=True, help_text="The agreement, once awarded."
    )

    narrative_fields = ("quality_reason",)

    class Meta:
        model = Offer
        fields = [
            "id",
            "request",
            "request_reference",
            "invitation",
            "school",
            "school_name",
            "education_fee",
            "care_fee",
            "therapy_fee",
            "other_fee",
            "annual_fee",
            "weeks",
            "start_date",
            "place_confirmed",
            "quality_statement",
            "status",
            "submitted_at",
            "quality_score",
            "quality_reason",
            "scored_at",
            "school_placement",
        ]

    audience_fields = {
        Audience.PROVIDER: frozenset(Meta.fields) - {"quality_score", "quality_reason", "scored_at"},
    }


class OfferSubmitInputSerializer(serializers.Serializer):
    """A school's offer for its own invitation, before the deadline, once."""

    invitation = serializers.IntegerField(help_text="The school's invitation (id).")
    education_fee = fee()
    care_fee = optional_fee()
    therapy_fee = optional_fee()
    other_fee = optional_fee()
    weeks = serializers.ChoiceField(choices=WEEKS_CHOICES)
    start_date = DayField(help_text="When the place can start.")
    place_confirmed = serializers.BooleanField(default=False, help_text="The school has a place for the child.")
    quality_statement = serializers.CharField(help_text="How the school will meet the child's needs.")


class InvitationDeclineInputSerializer(serializers.Serializer):
    """The school cannot offer a place, and says why."""

    reason = serializers.CharField()


class OfferScoreInputSerializer(serializers.Serializer):
    """An officer's quality score for an offer, once offers have closed, with the written reason."""

    quality_score = serializers.IntegerField(min_value=0, max_value=100)
    reason = serializers.CharField()


# School placements, uplifts and block contracts -------------------------------------------------


class SchoolPlacementSerializer(ChildPrivacyMixin, ReadSerializer):
    """An individual placement agreement: one child's place at one school and its annual fee by element.
    The school sees the child by EHCP reference and first name; commissioners by pseudonym."""

    child = child_reference()
    school_name = serializers.CharField(source="school.legal_name", read_only=True)
    setting = EnumField(PlacementRequest.Setting, read_only=True)
    status = EnumField(SchoolPlacement.Status, read_only=True)
    funding_source = serializers.ChoiceField(choices=FundingSource.choices, read_only=True)
    annual_fee = money(help_text="The fee agreed at the start, before any uplift (£ a year).")
    committed = money(help_text="Committed cost over the whole term (£).")

    narrative_fields = ("end_reason",)

    class Meta:
        model = SchoolPlacement
        fields = [
            "id",
            "child",
            "school",
            "school_name",
            "request",
            "offer",
            "block_contract",
            "setting",
            "weeks",
            "start_date",
            "end_date",
            "education_fee",
            "care_fee",
            "therapy_fee",
            "other_fee",
            "annual_fee",
            "committed",
            "funding_source",
            "status",
            "end_reason",
            "created_at",
        ]


class SchoolPlacementCommitmentSerializer(CommitmentSerializer):
    """The committed cost of a school placement in one financial year."""

    class Meta:
        model = SchoolPlacementCommitment
        fields = ["financial_year", "amount"]


class SchoolPlacementUpliftSerializer(ChildPrivacyMixin, ReadSerializer):
    """A dated uplift, as listed on its placement, with the annual fee in force from its date."""

    annual_fee_from = money(help_text="The annual fee from this date (£).")

    narrative_fields = ("reason",)

    class Meta:
        model = FeeUplift
        fields = ["id", "effective_from", "percent", "annual_fee_from", "reason", "decision_reference", "created_at"]


class SchoolPlacementDetailSerializer(SchoolPlacementSerializer):
    """A placement agreement with the fee in force today, its committed cost per financial year and its uplifts."""

    fee_today = money(help_text="The annual fee in force today, every uplift by then applied (£).")
    commitments = SchoolPlacementCommitmentSerializer(
        many=True, read_only=True, help_text="Committed cost per financial year."
    )
    uplifts = SchoolPlacementUpliftSerializer(
        source="uplift_rows", many=True, read_only=True, help_text="Dated uplifts, oldest first."
    )

    class Meta(SchoolPlacementSerializer.Meta):
        fields = [*SchoolPlacementSerializer.Meta.fields, "fee_today", "commitments", "uplifts"]


class SchoolPlacementCreateInputSerializer(serializers.Serializer):
    """An individual placement agreement made outside a request (for example a place in a block contract)."""

    child = serializers.IntegerField(help_text="The child (id).")
    school = VisibleRelatedField(Provider, help_text="A special school (id).")
    setting = EnumField(PlacementRequest.Setting)
    weeks = serializers.ChoiceField(choices=WEEKS_CHOICES)
    start_date = DayField()
    end_date = DayField(help_text="Last funded day (inclusive).")
    education_fee = fee()
    care_fee = optional_fee()
    therapy_fee = optional_fee()
    other_fee = optional_fee()
    block_contract = VisibleRelatedField(
        BlockContract, required=False, allow_null=True, help_text="The block (id) the place is in, if any."
    )
    funding_source = funding_source_input()


class SchoolPlacementEndInputSerializer(serializers.Serializer):
    """End an active placement on a day within its term, with the reason."""

    end_date = DayField(help_text="The last funded day (inclusive).")
    reason = serializers.CharField()


class FeeUpliftSerializer(ChildPrivacyMixin, ReadSerializer):
    """A dated percentage uplift to every element of a school placement's fee, with its reason and decision."""

    school = serializers.IntegerField(source="placement.school_id", read_only=True)
    school_name = serializers.CharField(source="placement.school.legal_name", read_only=True)

    narrative_fields = ("reason",)

    class Meta:
        model = FeeUplift
        fields = [
            "id",
            "placement",
            "school",
            "school_name",
            "effective_from",
            "percent",
            "reason",
            "decision_reference",
            "created_at",
        ]


class FeeUpliftCreateInputSerializer(serializers.Serializer):
    """An uplift to a school placement's fee from a day within its term."""

    placement = serializers.IntegerField(help_text="The school placement (id).")
    effective_from = DayField(help_text="Within the placement's term.")
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="More than -100, at most 100.")
    reason = serializers.CharField()
    decision_reference = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class BlockContractSerializer(ReadSerializer):
    """A number of places at one school bought for a fee, with the places in use today."""

    school_name = serializers.CharField(source="school.legal_name", read_only=True)
    places_used = serializers.IntegerField(read_only=True, help_text="Active placements in the block today.")

    class Meta:
        model = BlockContract
        fields = [
            "id",
            "reference",
            "school",
            "school_name",
            "places",
            "places_used",
            "annual_fee",
            "start_date",
            "end_date",
            "decision_reference",
        ]


class BlockContractCreateInputSerializer(serializers.Serializer):
    """A block of places at one special school."""

    school = VisibleRelatedField(Provider, help_text="A special school (id).")
    reference = serializers.CharField(max_length=30)
    places = serializers.IntegerField(min_value=1, max_value=32767)
    annual_fee = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="For the whole block (£ a year).")
    start_date = DayField()
    end_date = DayField()
    decision_reference = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
