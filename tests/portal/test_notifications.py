import pytest

from portal.models import Notification
from portal.notifications import notify
from portal.roles import Role
from tests.factories import NotificationFactory


@pytest.mark.django_db
def test_notify_shows_in_the_bell_and_mails_after_commit(
    owner_a, client_for, mailoutbox, django_capture_on_commit_callbacks, in_scope
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, in_scope(owner_a.reseller):
        notify(
            reseller=owner_a.reseller,
            users=[owner_a.user],
            title="Program approved",
            body="Microsoft Azure Reseller Program is approved.",
            url="/partner/members/",
        )
    assert mailoutbox == []  # nothing is mailed before the transaction commits
    for callback in callbacks:
        callback()
    assert [m.subject for m in mailoutbox] == ["[Alpha Cloud] Program approved"]
    assert "http://127.0.0.1:8000/partner/members/" in mailoutbox[0].body

    client = client_for(owner_a)
    page = client.get("/dashboard/").content.decode()
    assert 'data-testid="unread-count">1<' in page and "Program approved" in page
    with in_scope(owner_a.reseller):
        note_id = Notification.objects.get().pk
    response = client.get(f"/notifications/{note_id}/")
    assert response["Location"] == "/partner/members/"
    assert 'data-testid="unread-count"' not in client.get("/dashboard/").content.decode()


@pytest.mark.django_db
def test_notifications_are_per_user_and_mark_all_read(
    owner_a, reseller_a, member_of, client_for, in_scope
):
    colleague = member_of(reseller_a, Role.VIEWER)
    NotificationFactory(reseller=reseller_a, user=colleague.user, title="For the colleague")
    for n in range(3):
        NotificationFactory(reseller=reseller_a, user=owner_a.user, title=f"Mine {n}")
    client = client_for(owner_a)
    page = client.get("/notifications/").content.decode()
    assert "Mine 2" in page and "For the colleague" not in page
    client.post("/notifications/read/")
    with in_scope(reseller_a):
        assert Notification.objects.filter(read_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_a_notification_link_never_leaves_the_site(owner_a, client_for):
    note = NotificationFactory(
        reseller=owner_a.reseller, user=owner_a.user, url="https://evil.example/phish"
    )
    response = client_for(owner_a).get(f"/notifications/{note.pk}/")
    assert response["Location"] == "/notifications/"
