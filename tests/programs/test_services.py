import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.models import AuditEvent
from portal.roles import Role
from programs import services
from programs.models import ProgramRequest
from tests.factories import ResellerFactory


def counts(unscoped):
    with unscoped():
        return ProgramRequest.objects.count(), AuditEvent.objects.count()


@pytest.mark.django_db
def test_owner_requests_the_base_program(owner_a, programs, unscoped):
    request = services.program_request_create(
        member=owner_a,
        program=programs["azure-reseller"],
        accepted_terms_version=programs["azure-reseller"].terms_version,
    )
    assert request.state == "pending"
    assert request.requested_by == owner_a.user
    with unscoped():
        event = AuditEvent.objects.get(action="programs.request.created")
    assert event.reseller == owner_a.reseller and event.actor == owner_a.user
    assert event.data == {
        "program": "azure-reseller",
        "terms_version": "2026-01",
        "terms_accepted_at": request.requested_at.isoformat(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OWNER, True),
        (Role.ADMIN, True),
        (Role.SALES, False),
        (Role.BILLING, False),
        (Role.VIEWER, False),
    ],
)
def test_roles_matrix_refused_roles_write_nothing(
    role, allowed, reseller_a, member_of, programs, unscoped
):
    member = member_of(reseller_a, role)
    before = counts(unscoped)
    if allowed:
        services.program_request_create(
            member=member,
            program=programs["azure-reseller"],
            accepted_terms_version=programs["azure-reseller"].terms_version,
        )
        assert counts(unscoped) == (before[0] + 1, before[1] + 1)
    else:
        with pytest.raises(PermissionDenied, match="Owner, Admin"):
            services.program_request_create(
                member=member,
                program=programs["azure-reseller"],
                accepted_terms_version=programs["azure-reseller"].terms_version,
            )
        assert counts(unscoped) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"partner_id": None}, "MPN/Partner ID missing"),
        ({"mpa_accepted_on": None}, "the date you accepted the Microsoft Partner Agreement"),
        ({"partner_id": None, "mpa_accepted_on": None}, "MPN/Partner ID, the date you accepted"),
        ({"mpa_accepted_on": dt.date(2099, 1, 1)}, "not in the future"),
    ],
)
def test_incomplete_profile_is_refused_and_explained(
    profile, message, member_of, programs, unscoped
):
    reseller = ResellerFactory(**({"mpa_accepted_on": dt.date(2024, 1, 1)} | profile), programs=())
    owner = member_of(reseller, Role.OWNER)
    before = counts(unscoped)
    with pytest.raises(services.ProfileIncomplete, match=message) as exc:
        services.program_request_create(
            member=owner,
            program=programs["azure-reseller"],
            accepted_terms_version=programs["azure-reseller"].terms_version,
        )
    assert "Complete your partner profile" in str(exc.value)
    assert counts(unscoped) == before


@pytest.mark.django_db
def test_second_request_says_already_pending_and_writes_nothing(owner_a, programs, unscoped):
    services.program_request_create(
        member=owner_a,
        program=programs["azure-reseller"],
        accepted_terms_version=programs["azure-reseller"].terms_version,
    )
    before = counts(unscoped)
    with pytest.raises(ValidationError, match="already pending"):
        services.program_request_create(
            member=owner_a,
            program=programs["azure-reseller"],
            accepted_terms_version=programs["azure-reseller"].terms_version,
        )
    assert counts(unscoped) == before


@pytest.mark.django_db
def test_database_allows_one_open_request_per_program(reseller_a, programs, unscoped):
    with unscoped():
        ProgramRequest.objects.create(reseller=reseller_a, program=programs["azure-reseller"])
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramRequest.objects.create(
                reseller=reseller_a, program=programs["azure-reseller"], state="approved"
            )
        # rejected requests are history and do not count
        ProgramRequest.objects.create(
            reseller=reseller_a, program=programs["azure-reseller"], state="rejected", reason="x"
        )


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["azure-plan", "modern-workplace"])
def test_prerequisite_must_be_approved(
    code, owner_a, reseller_b, programs, approved, ops, unscoped
):
    before = counts(unscoped)
    with pytest.raises(ValidationError, match="Microsoft Azure Reseller Program must be approved"):
        services.program_request_create(
            member=owner_a,
            program=programs[code],
            accepted_terms_version=programs[code].terms_version,
        )
    assert counts(unscoped) == before

    # pending is not enough, and another reseller's approval does not count
    base = services.program_request_create(
        member=owner_a,
        program=programs["azure-reseller"],
        accepted_terms_version=programs["azure-reseller"].terms_version,
    )
    approved(reseller_b, programs["azure-reseller"])
    with pytest.raises(ValidationError, match="must be approved"):
        services.program_request_create(
            member=owner_a,
            program=programs[code],
            accepted_terms_version=programs[code].terms_version,
        )

    services.program_request_approve(user=ops, program_request=base)
    request = services.program_request_create(
        member=owner_a, program=programs[code], accepted_terms_version=programs[code].terms_version
    )
    assert request.state == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("azure-legacy", "Microsoft Azure (Legacy) is sunset"),
        ("modern-workplace-legacy", "Modern Workplace (Legacy) is sunset"),
        ("direct-ea", "Direct EA is not supported"),
        ("paygo-azure", "PayGo Azure is not supported"),
    ],
)
def test_sunset_and_unsupported_programs_are_refused(code, message, owner_a, programs, unscoped):
    before = counts(unscoped)
    with pytest.raises(ValidationError, match=re.escape(message)):
        services.program_request_create(
            member=owner_a,
            program=programs[code],
            accepted_terms_version=programs[code].terms_version,
        )
    assert counts(unscoped) == before


@pytest.mark.django_db
def test_already_approved_cannot_be_requested_again(owner_a, programs, approved):
    approved(owner_a.reseller, programs["azure-reseller"])
    with pytest.raises(ValidationError, match="already approved"):
        services.program_request_create(
            member=owner_a,
            program=programs["azure-reseller"],
            accepted_terms_version=programs["azure-reseller"].terms_version,
        )


@pytest.mark.django_db
def test_rejected_request_may_be_asked_again(owner_a, programs, ops):
    first = services.program_request_create(
        member=owner_a,
        program=programs["azure-reseller"],
        accepted_terms_version=programs["azure-reseller"].terms_version,
    )
    services.program_request_reject(user=ops, program_request=first, reason="MPN ID unknown")
    second = services.program_request_create(
        member=owner_a,
        program=programs["azure-reseller"],
        accepted_terms_version=programs["azure-reseller"].terms_version,
    )
    assert second.pk != first.pk and second.state == "pending"


@pytest.mark.django_db
def test_profile_form_validates_the_prerequisites(owner_a, reseller_b, client_for):
    client = client_for(owner_a)
    base = {"name": "Alpha Cloud", "brand_colour": "#0b5cad", "accent_colour": "#0f766e"}
    for data, error in [
        ({"partner_id": "12345"}, "6 to 10 digits"),
        ({"partner_id": "12345678901"}, "at most 10 characters"),
        ({"partner_id": "abc1234"}, "6 to 10 digits"),
        ({"partner_id": reseller_b.partner_id}, "MPN/Partner ID already exists"),
        (
            {"mpa_accepted_on": (timezone.now().date() + dt.timedelta(days=1)).isoformat()},
            "cannot be in the future",
        ),
    ]:
        page = client.post("/partner/profile/", base | data).content.decode()
        assert error in page, data
    owner_a.reseller.refresh_from_db()
    assert owner_a.reseller.partner_id != reseller_b.partner_id

    response = client.post(
        "/partner/profile/", base | {"partner_id": "24681357", "mpa_accepted_on": "2025-02-03"}
    )
    assert response.status_code == 302
    owner_a.reseller.refresh_from_db()
    assert owner_a.reseller.partner_id == "24681357"
    assert owner_a.reseller.mpa_accepted_on == dt.date(2025, 2, 3)
