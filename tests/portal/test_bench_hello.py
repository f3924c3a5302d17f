"""The hello-world page bench/pages_p95.py measures as its floor exists only when BENCH_HELLO
is set (the bench's gunicorn), never on a normal server."""

import pytest
from django.urls import NoReverseMatch, reverse

from portal import views


def test_the_bench_floor_is_not_routed_without_bench_hello(settings):
    assert settings.BENCH_HELLO is False
    with pytest.raises(NoReverseMatch):
        reverse("bench_hello")


@pytest.mark.django_db
def test_the_bench_floor_answers_a_signed_in_member_with_its_reseller(rf, reseller_a, member_of):
    member = member_of(reseller_a)
    request = rf.get("/bench/hello/")
    request.user, request.membership, request.reseller = member.user, member, reseller_a
    response = views.bench_hello(request)
    assert response.status_code == 200 and reseller_a.name in response.content.decode()
