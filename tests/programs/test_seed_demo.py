import io

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from programs.models import CountryProgramLink, Program, ProgramRequest


@pytest.mark.django_db
def test_seed_demo_programs_are_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    with scopes_disabled():
        assert set(
            ProgramRequest.objects.values_list("reseller__name", "program__code", "state")
        ) == {
            (name, code, "approved")
            for name in ("Northwind Cloud Partners", "Maple Leaf IT Solutions")
            for code in ("azure-reseller", "azure-plan", "modern-workplace")
        }
    assert Program.objects.count() == 7
    assert set(CountryProgramLink.objects.values_list("country", flat=True)) == {"US", "CA"}
    assert CountryProgramLink.objects.count() == 6


@pytest.mark.django_db
def test_seed_demo_brings_programs_back_after_a_flush():
    Program.objects.update(requires=None)
    Program.objects.all().delete()
    CountryProgramLink.objects.all().delete()
    call_command("seed_demo", stdout=io.StringIO())
    assert Program.objects.get(code="azure-plan").requires.code == "azure-reseller"
    assert CountryProgramLink.objects.filter(country="CA", kind="end_customer").exists()
