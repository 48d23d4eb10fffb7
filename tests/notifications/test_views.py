"""The inbox, the bell, opening a notification, preferences and unsubscribing: each for whom it is meant."""

from __future__ import annotations

import pytest

from notifications.services.notify import Note, notify
from notifications.tokens import unsubscribe_token
from reviews.models import Engineer, Notification, NotificationPreference


def tell(engineer: Engineer, n: int, url: str = "/changes/1/") -> Notification:
    notify(Note(kind="turn", key=f"k{n}", title=f"Your turn {n}", url=url), [engineer])
    return Notification.objects.get(recipient=engineer, key=f"k{n}")


def test_inbox_page_fragment_and_bell(org, client, django_assert_max_num_queries):
    for n in range(3):
        tell(org.author, n)
    client.force_login(org.author.user)

    with django_assert_max_num_queries(12):
        page = client.get("/inbox/").content.decode()
    fragment = client.get("/inbox/?show=unread", HTTP_HX_REQUEST="true").content.decode()
    bell = client.get("/inbox/bell/").content.decode()

    assert "Your turn 2" in page and "<html" in page
    assert fragment.lstrip().startswith('<section class="card" id="inbox-list"') and "<html" not in fragment
    assert 'id="inbox-bell"' in bell and ">3</span>" in bell


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(org, client):
    notice = tell(org.author, 1, url=f"/changes/{org.change.pk}/")
    client.force_login(org.senior.user)
    assert client.get(f"/inbox/{notice.pk}/").status_code == 404  # someone else's: not there for them
    client.force_login(org.author.user)

    response = client.get(f"/inbox/{notice.pk}/")

    assert response.status_code == 302 and response["Location"] == f"/changes/{org.change.pk}/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client.get("/inbox/999999/").status_code == 404


def test_a_stored_address_to_another_site_is_never_followed(org, client):
    notice = tell(org.author, 1, url="//evil.example/")
    client.force_login(org.author.user)

    assert client.get(f"/inbox/{notice.pk}/")["Location"] == "/inbox/"


def test_mark_all_read(org, client):
    tell(org.author, 1)
    client.force_login(org.author.user)

    assert client.post("/inbox/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=org.author, read_at__isnull=True).exists()
    assert client.get("/inbox/read-all/").status_code == 405


def test_preferences_are_saved_and_bad_values_refused(org, client):
    client.force_login(org.author.user)
    data = {
        f"{k}-mode": "instant"
        for k in (
            "assigned",
            "turn",
            "changes_requested",
            "signed_off",
            "due_soon",
            "overdue",
            "rerouted",
            "suspect",
            "confirmed",
            "report",
        )
    }
    data.update(
        {
            "turn-email": "on",
            "turn-chat": "on",
            "signed_off-mode": "digest",
            "digest_hour": "9",
            "time_zone": "Europe/Paris",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        }
    )

    assert client.post("/inbox/preferences/", data).status_code == 302
    org.author.refresh_from_db()
    assert org.author.time_zone == "Europe/Paris" and org.author.digest_hour == 9
    turn = NotificationPreference.objects.get(engineer=org.author, kind="turn")
    assert turn.email and turn.chat
    assert NotificationPreference.objects.get(engineer=org.author, kind="signed_off").mode == "digest"
    assert not NotificationPreference.objects.get(engineer=org.author, kind="assigned").email

    for bad in (
        {"time_zone": "Mars/Olympus"},
        {"digest_hour": "25"},
        {"quiet_start": "22:00", "quiet_end": ""},
        {"turn-mode": "hourly"},
        {"time_zone": "x" * 5000},
    ):
        assert client.post("/inbox/preferences/", {**data, **bad}).status_code == 400


@pytest.mark.parametrize("token", ["nonsense", "x" * 400, unsubscribe_token(1, "all") + "tampered"])
def test_a_bad_unsubscribe_link_is_a_clear_400(client, db, token):
    assert client.post(f"/inbox/unsubscribe/{token}/").status_code == 400


def test_unsubscribe_asks_on_get_and_acts_on_post(org, client):
    url = f"/inbox/unsubscribe/{unsubscribe_token(org.author.pk, 'all')}/"

    assert "Stop these e-mails?" in client.get(url).content.decode()
    assert not NotificationPreference.objects.filter(engineer=org.author).exists()
    assert client.post(url).status_code == 200
    assert NotificationPreference.objects.filter(engineer=org.author, email=False).count() == 10


def test_pages_need_a_login(client, db):
    for url in ("/inbox/", "/inbox/bell/", "/inbox/preferences/"):
        assert client.get(url).status_code == 302
