"""The questionnaire's rules, review decisions, compliance, pricing, leaving, and the legacy import."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from core.models import Transition
from core.roles import Role
from providers import services
from providers.models import ComplianceDocument, Membership, PricingSchedule, Provider, SelectionQuestionnaire
from providers.selectors import questionnaire_sections
from tests.core.factories import UserFactory
from tests.providers.factories import (
    PDF,
    PNG,
    DocumentFactory,
    PractitionerFactory,
    ProviderFactory,
    admit,
    complete_answers,
    qpl,
)

pytestmark = pytest.mark.django_db
ALL_DECLARED = dict.fromkeys(services.DECLARATIONS, True)


def practitioner_data(**changes):
    return {
        "first_name": "Robin",
        "last_name": "Example",
        "profession": "Speech and language therapist",
        "registration_body": "hcpc",
        "registration_number": "SL12345",
        "registration_expires_on": date(2030, 1, 1),
        "dbs_certificate_number": "001234567890",
        "dbs_issued_on": date(2024, 1, 1),
        "dbs_barred_list_checked": True,
        "dbs_update_service": True,
        **changes,
    }


@pytest.mark.parametrize("number", ["SL1234", "sl 12345", "PYL123456", "OT00001", "PH4567", "AS99999"])
def test_hcpc_numbers_in_the_published_format_are_accepted(provider_a, number):
    practitioner = services.practitioner_save(provider=provider_a, data=practitioner_data(registration_number=number))
    assert practitioner.registration_number == number.replace(" ", "").upper()


@pytest.mark.parametrize("number", ["12345", "XX12345", "SL", "SLABCDE", "SL1234567"])
def test_bad_hcpc_numbers_are_refused_and_nothing_saved(provider_a, number):
    with pytest.raises(ValidationError) as caught:
        services.practitioner_save(provider=provider_a, data=practitioner_data(registration_number=number))
    assert "HCPC number" in caught.value.message_dict["registration_number"][0]
    assert not provider_a.practitioners.exists()


@pytest.mark.parametrize("dbs", ["12345678901", "1234567890123", "12345678901X"])
def test_dbs_numbers_must_be_12_digits(provider_a, dbs):
    with pytest.raises(ValidationError) as caught:
        services.practitioner_save(provider=provider_a, data=practitioner_data(dbs_certificate_number=dbs))
    assert caught.value.message_dict["dbs_certificate_number"] == ["A DBS certificate number is 12 digits."]


def test_the_database_holds_the_dbs_format_too(provider_a):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        PractitionerFactory(provider=provider_a, dbs_certificate_number="12345")


def test_children_need_the_barred_list_check(provider_a):
    with pytest.raises(ValidationError) as caught:
        services.practitioner_save(provider=provider_a, data=practitioner_data(dbs_barred_list_checked=False))
    assert "barred list" in caught.value.message_dict["dbs_barred_list_checked"][0]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("companies_house_number", "1234", "Companies House number"),
        ("charity_number", "12", "charity number"),
        ("dfe_urn", "12345", "DfE URN"),
        ("postcode", "NOT A POSTCODE", "real postcode"),
    ],
)
def test_identifiers_are_checked_by_format(provider_a, field, value, message):
    with pytest.raises(ValidationError) as caught:
        services.provider_update(provider=provider_a, data={field: value})
    assert message in caught.value.message_dict[field][0]
    provider_a.refresh_from_db()
    assert getattr(provider_a, field) == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("companies_house_number", "01234567"),
        ("charity_number", "1123456"),
        ("nhs_ods_code", "RVV"),
        ("dfe_urn", "118765"),
    ],
)
def test_an_identifier_names_one_open_organisation(provider_a, field, value):
    holder = ProviderFactory(**{field: value})
    with pytest.raises(ValidationError) as caught:
        services.provider_update(provider=provider_a, data={field: value, "town": "Maidstone"})
    assert "Another organisation is already registered" in caught.value.message_dict[field][0]
    provider_a.refresh_from_db()
    assert (getattr(provider_a, field), provider_a.town) == ("", "")
    # The holder itself may save its own identifier again, and a closed record frees it for a successor.
    services.provider_update(provider=holder, data={field: value})
    Provider.objects.filter(pk=holder.pk).update(status=Provider.Status.CLOSED)
    services.provider_update(provider=provider_a, data={field: value})
    assert Provider.objects.filter(**{field: value}).count() == 2


def test_the_database_refuses_a_second_open_organisation_with_one_identifier(provider_a):
    ProviderFactory(companies_house_number="01234567")
    ProviderFactory(companies_house_number="")  # blanks are not identifiers
    with pytest.raises(IntegrityError), transaction.atomic():
        Provider.objects.filter(pk=provider_a.pk).update(companies_house_number="01234567")


def test_insurance_below_the_minimum_is_refused(provider_a):
    with pytest.raises(ValidationError) as caught:
        services.insurance_save(
            provider=provider_a,
            kind="public_liability",
            insurer="X",
            policy_number="1",
            cover_amount=Decimal("4999999.99"),
            expires_on=date(2030, 1, 1),
        )
    assert caught.value.message_dict["cover_amount"] == [
        "Cover must be at least £5,000,000 for public liability insurance."
    ]
    assert not provider_a.insurance_policies.exists()
    services.insurance_minimums_set(
        public_liability=Decimal("2000000"),
        professional_indemnity=Decimal("1000000"),
        employers_liability=Decimal("5000000"),
        expiry_warning_days=30,
    )
    services.insurance_save(
        provider=provider_a,
        kind="public_liability",
        insurer="X",
        policy_number="1",
        cover_amount=Decimal("4999999.99"),
        expires_on=date(2030, 1, 1),
    )
    assert provider_a.insurance_policies.count() == 1


def upload(content: bytes, name: str):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_uploads_are_checked_by_content_not_by_name(provider_a, provider_a_user):
    with pytest.raises(ValidationError) as caught:
        services.document_upload(
            provider=provider_a,
            user=provider_a_user,
            upload=upload(b"<html>hi</html>", "policy.pdf"),
            kind="safeguarding_policy",
        )
    assert caught.value.message_dict["file"] == ["The file must be a PDF, PNG or JPEG."]
    png = services.document_upload(
        provider=provider_a, user=provider_a_user, upload=upload(PNG, "scan.pdf"), kind="safeguarding_policy"
    )
    assert png.content_type == "image/png"
    assert png.file.name.endswith(".png") and "scan" not in png.file.name  # never the uploader's name
    assert png.original_name == "scan.pdf"
    assert ComplianceDocument.objects.count() == 1


@override_settings(UPLOAD_MAX_BYTES=1000)
def test_oversized_uploads_are_refused(provider_a, provider_a_user):
    with pytest.raises(ValidationError) as caught:
        services.document_upload(
            provider=provider_a,
            user=provider_a_user,
            upload=upload(PDF + b"0" * 2000, "big.pdf"),
            kind="safeguarding_policy",
        )
    assert "smaller than" in caught.value.message_dict["file"][0]
    assert not ComplianceDocument.objects.exists()


def test_a_questionnaire_is_submitted_only_when_complete_and_declared(provider_a, provider_a_user):
    sq = services.questionnaire_start(provider=provider_a, provider_list=qpl(), user=provider_a_user)
    with pytest.raises(ValidationError) as caught:
        services.questionnaire_submit(sq=sq, user=provider_a_user, declarations=ALL_DECLARED)
    assert "Complete every section first" in caught.value.messages[0]
    complete_answers(provider_a)
    services.questionnaire_choose_lots(sq=sq, lots=qpl().lots.filter(therapy_type__code="speech-language"))
    assert all(section.complete for section in questionnaire_sections(sq))
    with pytest.raises(ValidationError) as caught:
        services.questionnaire_submit(sq=sq, user=provider_a_user, declarations={**ALL_DECLARED, "accept_terms": False})
    assert "accept_terms" in caught.value.message_dict
    sq = services.questionnaire_submit(sq=sq, user=provider_a_user, declarations=ALL_DECLARED)
    assert sq.status == SelectionQuestionnaire.Status.SUBMITTED
    assert sq.snapshot["sections"][0]["title"] == "Your organisation"
    assert Membership.objects.get(provider=provider_a).status == Membership.Status.APPLIED


def submitted(provider, user):
    complete_answers(provider)
    sq = services.questionnaire_start(provider=provider, provider_list=qpl(), user=user)
    services.questionnaire_choose_lots(sq=sq, lots=qpl().lots.filter(therapy_type__code="speech-language"))
    return services.questionnaire_submit(sq=sq, user=user, declarations=ALL_DECLARED)


def test_every_move_is_recorded_with_who_when_and_why(provider_a, provider_a_user, officer):
    sq = submitted(provider_a, provider_a_user)
    services.questionnaire_start_review(sq=sq, officer=officer)
    services.questionnaire_request_clarification(sq=sq, officer=officer, message="Which schools do you visit?")
    services.questionnaire_submit(sq=sq, user=provider_a_user, declarations=ALL_DECLARED)
    services.questionnaire_approve(sq=sq, officer=officer)
    moves = [
        (t.from_state, t.to_state, t.actor, t.reason)
        for t in Transition.objects.filter(object_id=sq.pk, content_type__model="selectionquestionnaire")
    ]
    assert moves == [
        ("", "draft", provider_a_user, "Application started"),
        ("draft", "submitted", provider_a_user, ""),
        ("submitted", "under_review", officer, ""),
        ("under_review", "clarification_requested", officer, "Which schools do you visit?"),
        ("clarification_requested", "submitted", provider_a_user, ""),
        ("submitted", "approved", officer, ""),
    ]
    membership = Membership.objects.get(provider=provider_a)
    assert membership.status == Membership.Status.ADMITTED
    assert [lot.therapy_type.code for lot in membership.lots.all()] == ["speech-language"]


def test_a_second_officer_gets_a_clear_message_not_a_second_decision(provider_a, provider_a_user, officer):
    other = UserFactory(role=Role.OFFICER, first_name="Second", last_name="Officer")
    sq = submitted(provider_a, provider_a_user)
    stale = SelectionQuestionnaire.objects.get(pk=sq.pk)  # the second officer opened the page before
    services.questionnaire_approve(sq=sq, officer=officer)
    with pytest.raises(ValidationError) as caught:
        services.questionnaire_reject(sq=stale, officer=other, reason="Not enough evidence")
    assert "already approved by" in caught.value.messages[0]
    sq.refresh_from_db()
    assert (sq.status, sq.decided_by) == (SelectionQuestionnaire.Status.APPROVED, officer)


def test_reject_and_clarify_need_a_reason(provider_a, provider_a_user, officer):
    sq = submitted(provider_a, provider_a_user)
    with pytest.raises(ValidationError):
        services.questionnaire_reject(sq=sq, officer=officer, reason="  ")
    with pytest.raises(ValidationError):
        services.questionnaire_request_clarification(sq=sq, officer=officer, message="")
    assert SelectionQuestionnaire.objects.get(pk=sq.pk).status == SelectionQuestionnaire.Status.SUBMITTED


def test_answers_are_reused_by_a_later_application(provider_a, provider_a_user, officer):
    sq = submitted(provider_a, provider_a_user)
    services.questionnaire_approve(sq=sq, officer=officer)
    again = services.questionnaire_start(provider=provider_a, provider_list=qpl(), user=provider_a_user)
    assert again.previous == sq
    assert list(again.lots.all()) == list(sq.lots.all())
    assert all(section.complete for section in questionnaire_sections(again))  # nothing to type again


def test_expiring_evidence_warns_and_expired_evidence_suspends_then_a_verified_renewal_reinstates(
    provider_a, provider_a_user, officer, mailoutbox, django_capture_on_commit_callbacks
):
    complete_answers(provider_a)
    admit(provider_a)
    today = timezone.localdate()
    ComplianceDocument.objects.filter(provider=provider_a, kind="professional_indemnity").update(
        expires_on=today + timedelta(days=10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.compliance_check(today=today)
    assert (outcome.warned, outcome.suspended) == (1, 0)
    assert {m.to[0] for m in mailoutbox} == {provider_a_user.email, officer.email}
    assert services.compliance_check(today=today).warned == 0  # warned once, not every day
    outcome = services.compliance_check(today=today + timedelta(days=11))
    assert outcome.suspended == 1
    membership = Membership.objects.get(provider=provider_a)
    assert membership.status == Membership.Status.SUSPENDED
    assert membership.suspension_reason == "Expired evidence: Professional indemnity insurance certificate."
    suspension = Transition.objects.filter(object_id=membership.pk, to_state="suspended").get()
    assert suspension.actor is None and "Professional indemnity" in suspension.reason
    renewal = services.document_upload(
        provider=provider_a,
        user=provider_a_user,
        upload=upload(PDF, "renewal.pdf"),
        kind="professional_indemnity",
        expires_on=today + timedelta(days=365),
    )
    assert Membership.objects.get(pk=membership.pk).status == Membership.Status.SUSPENDED  # not until verified
    services.document_verify(document=renewal, officer=officer)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ADMITTED and membership.suspension_reason == ""


def test_pricing_versions_are_kept_and_numbered(provider_a, provider_a_user):
    therapy = complete_answers(provider_a).therapy_types.get()
    services.pricing_submit(
        provider=provider_a,
        user=provider_a_user,
        effective_from=date(2025, 4, 1),
        rates={(therapy.pk, "hour"): Decimal("75")},
    )
    assert list(
        PricingSchedule.objects.filter(provider=provider_a).order_by("version").values_list("version", "effective_from")
    ) == [(1, date(2024, 4, 1)), (2, date(2025, 4, 1))]
    with pytest.raises(ValidationError):
        services.pricing_submit(
            provider=provider_a,
            user=provider_a_user,
            effective_from=date(2025, 4, 1),
            rates={(therapy.pk, "hour"): Decimal("1")},
        )
    with pytest.raises(ValidationError):
        services.pricing_submit(
            provider=provider_a,
            user=provider_a_user,
            effective_from=date(2026, 4, 1),
            rates={(therapy.pk, "hour"): Decimal("-1")},
        )
    assert PricingSchedule.objects.filter(provider=provider_a).count() == 2


def test_leaving_ends_the_membership_on_a_date(provider_a, provider_a_user):
    complete_answers(provider_a)
    membership = admit(provider_a)
    last_day = timezone.localdate() + timedelta(days=30)
    services.membership_leave(membership=membership, user=provider_a_user, on=last_day)
    membership.refresh_from_db()
    assert (membership.status, membership.left_on) == (Membership.Status.LEFT, last_day)
    with pytest.raises(ValidationError):
        services.membership_leave(membership=membership, user=provider_a_user, on=last_day)


def test_a_provider_that_has_left_or_been_suspended_was_on_the_list_before(provider_a, provider_b):
    today = timezone.localdate()
    leaving, suspended = admit(provider_a), admit(provider_b)
    services.membership_leave(membership=leaving, user=UserFactory(), on=today + timedelta(days=30))
    Membership.objects.filter(pk=suspended.pk).update(
        status=Membership.Status.SUSPENDED, suspended_on=today - timedelta(days=10)
    )

    def on_the_list(day):
        return set(Membership.objects.admitted_on(day).values_list("provider__legal_name", flat=True))

    assert on_the_list(date(2021, 12, 31)) == set()  # before either was admitted
    assert on_the_list(today - timedelta(days=11)) == {"Alder Therapy Ltd", "Birch Therapy Ltd"}
    assert on_the_list(today - timedelta(days=10)) == {"Alder Therapy Ltd"}  # suspended from that day
    assert on_the_list(today + timedelta(days=30)) == {"Alder Therapy Ltd"}  # its last day
    assert on_the_list(today + timedelta(days=31)) == set()


IMPORT_HEADER = (
    "legal_name,trading_name,kind,legacy_arrangement,contact_email,contact_phone,postcode,"
    "companies_house_number,charity_number,therapy_types,districts,is_sme,is_vcse\n"
)


def test_import_of_a_good_file_creates_every_provider():
    content = IMPORT_HEADER + (
        "Example Speech Ltd,Example Speech,company,preferred,a@example.org,01632 960001,ME14 1XQ,01234567,,"
        "speech-language,Maidstone;Swale,yes,no\n"
        "Fictional Play CIC,,charity,non_preferred,b@example.org,,CT1 2AB,,1123456,Play therapy,E07000106,yes,yes\n"
    )
    created = services.provider_import_csv(content=content.encode())
    assert [p.legal_name for p in created] == ["Example Speech Ltd", "Fictional Play CIC"]
    play = Provider.objects.get(legal_name="Fictional Play CIC")
    assert play.legacy_arrangement == "non_preferred" and play.is_vcse
    assert [d.name for d in play.districts.all()] == ["Canterbury"]


def test_import_with_one_bad_row_imports_nothing_and_names_the_row_and_column():
    content = IMPORT_HEADER + (
        "Example Speech Ltd,,company,preferred,,,ME14 1XQ,,,speech-language,Maidstone,,\n"
        "Bad Row Ltd,,spaceship,preferred,,,ME14 1XQ,,,speech-language,Atlantis,,\n"
    )
    with pytest.raises(ValidationError) as caught:
        services.provider_import_csv(content=content.encode())
    messages = caught.value.message_dict["file"]
    assert any(m.startswith("Row 3, column kind:") for m in messages)
    assert "Row 3, column districts: unknown district 'Atlantis'" in messages
    assert not any(m.startswith("Row 2") for m in messages)
    assert not Provider.objects.filter(legal_name="Example Speech Ltd").exists()


def test_import_refuses_identifiers_already_registered_or_repeated_in_the_file():
    ProviderFactory(companies_house_number="01234567")
    content = IMPORT_HEADER + (
        "Example Speech Ltd,,company,preferred,,,ME14 1XQ,01234567,,speech-language,Maidstone,,\n"
        "Fictional Play CIC,,charity,preferred,,,CT1 2AB,,1123456,,,,\n"
        "Fictional Music CIC,,charity,preferred,,,CT1 2AB,,1123456,,,,\n"
    )
    with pytest.raises(ValidationError) as caught:
        services.provider_import_csv(content=content.encode())
    messages = caught.value.message_dict["file"]
    assert "Row 2, column companies_house_number: 01234567 is already registered to another organisation" in messages
    assert "Row 4, column charity_number: 1123456 is on an earlier row too" in messages
    assert not any(m.startswith("Row 3") for m in messages)
    assert Provider.objects.count() == 1


def test_signing_up_creates_a_draft_provider_for_the_new_user(client, mailoutbox):
    from django.urls import reverse

    response = client.post(
        reverse("account_signup"),
        {
            "organisation_name": "Newcomer Therapy Ltd",
            "organisation_kind": "company",
            "email": "new@newcomer.example.org",
            "password1": "a-long-enough-password-1",
            "password2": "a-long-enough-password-1",
        },
    )
    assert response.status_code == 302
    provider = Provider.objects.get(legal_name="Newcomer Therapy Ltd")
    assert provider.status == Provider.Status.DRAFT
    user = provider.users.get()
    assert user.has_role(Role.PROVIDER)
    assert len(mailoutbox) == 1 and "confirm" in mailoutbox[0].body.lower()


def test_documents_cannot_be_verified_after_they_expire(provider_a, officer):
    document = DocumentFactory(
        provider=provider_a, status="pending", expires_on=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(ValidationError):
        services.document_verify(document=document, officer=officer)
