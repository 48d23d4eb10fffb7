"""The rubber-stamp guard: too fast for its size, or files not viewed, asks for confirmation and is flagged."""

from __future__ import annotations

import pytest

from reviews.models import Change, ChangeFile, FileView, Review
from reviews.rubberstamp import Floor, check_sign_off, floor_seconds
from reviews.services.signoff import NeedsConfirmation, review_submit


@pytest.mark.parametrize(
    ("lines", "expected"),
    [(0, 20), (10, 20), (200, 20), (201, 21), (2000, 200), (2005, 201)],
)
def test_floor_is_one_second_per_ten_lines_with_a_minimum(lines, expected):
    assert floor_seconds(lines, Floor(seconds_per_10_lines=1, min_seconds=20)) == expected


@pytest.mark.parametrize(
    ("seconds", "lines", "viewed", "total", "too_fast"),
    [
        (40, 2000, 12, 12, True),  # 40 s on 2,000 lines is not a review
        (250, 2000, 12, 12, False),
        (250, 2000, 3, 12, True),  # long enough, but most files never opened
        (25, 30, 1, 1, False),
        (5, 30, 1, 1, True),
        (25, 30, 0, 0, False),  # nothing to view
    ],
)
def test_check_sign_off(seconds, lines, viewed, total, too_fast):
    verdict = check_sign_off(seconds_spent=seconds, lines_changed=lines, files_viewed=viewed, files_total=total)

    assert verdict.too_fast is too_fast
    assert bool(verdict.reasons) is too_fast


def test_reasons_say_what_was_too_little():
    verdict = check_sign_off(seconds_spent=40, lines_changed=2000, files_viewed=3, files_total=12)

    assert verdict.reasons == (
        "40 s of active review for 2000 changed lines (floor 200 s)",
        "3 of 12 files marked viewed",
    )


@pytest.fixture
def assigned(db, make_engineer, repository):
    author = make_engineer(4)
    senior = make_engineer(6)
    change = Change.objects.create(
        repository=repository,
        external_id="branch:x",
        title="Big change",
        author=author,
        head_sha="b" * 40,
        diff_sha="b" * 40,
        diff_state="done",
        state="open",
        review_state="needs_sign_off",
        required_sign_offs=1,
        lines_added=1500,
        lines_removed=500,
        opened_at="2026-11-20T10:00:00Z",
    )
    for i in range(4):
        ChangeFile.objects.create(change=change, path=f"app/f{i}.py", status="modified", fingerprint=f"fp{i}")
    return change, senior


@pytest.mark.rubber_stamp_guard
def test_fast_approval_needs_confirmation_and_stores_nothing(assigned):
    change, senior = assigned

    with pytest.raises(NeedsConfirmation) as excinfo:
        review_submit(change=change, reviewer=senior, verdict="approve", head_sha=change.head_sha, seconds_spent=40)

    assert "floor 200 s" in str(excinfo.value)
    assert not Review.objects.exists()


@pytest.mark.rubber_stamp_guard
def test_confirmed_fast_approval_is_recorded_as_a_rubber_stamp(assigned):
    change, senior = assigned
    FileView.objects.create(change=change, reviewer=senior, path="app/f0.py", fingerprint="fp0")
    FileView.objects.create(change=change, reviewer=senior, path="app/f1.py", fingerprint="stale")

    review = review_submit(
        change=change, reviewer=senior, verdict="approve", head_sha=change.head_sha, seconds_spent=40, confirm_fast=True
    )

    assert review.rubber_stamp and review.confirmed_fast
    assert (review.files_viewed, review.files_total) == (1, 4)


@pytest.mark.rubber_stamp_guard
def test_careful_approval_is_not_a_rubber_stamp(assigned):
    change, senior = assigned
    for i in range(4):
        FileView.objects.create(change=change, reviewer=senior, path=f"app/f{i}.py", fingerprint=f"fp{i}")

    review = review_submit(
        change=change, reviewer=senior, verdict="approve", head_sha=change.head_sha, seconds_spent=600
    )

    assert not review.rubber_stamp and review.files_viewed == 4


@pytest.mark.rubber_stamp_guard
def test_requesting_changes_is_never_held_up_by_the_guard(assigned):
    change, senior = assigned

    review = review_submit(
        change=change, reviewer=senior, verdict="request_changes", head_sha=change.head_sha, seconds_spent=5
    )

    assert review.verdict == "request_changes" and not review.rubber_stamp


@pytest.mark.rubber_stamp_guard
def test_the_page_asks_to_confirm_a_fast_approval_then_records_it(assigned, client):
    change, senior = assigned
    client.force_login(senior.user)
    page = client.get(f"/changes/{change.pk}/")
    token = page.context["review_form"].initial["page_token"]
    data = {"verdict": "approve", "head_sha": change.head_sha, "page_token": token, "active_seconds": 0}

    asked = client.post(f"/changes/{change.pk}/review/", data)

    assert asked.status_code == 409
    assert "Is this a review?" in asked.content.decode()
    assert not Review.objects.exists()

    confirmed = client.post(f"/changes/{change.pk}/review/", {**data, "confirm_fast": "on"})

    assert confirmed.status_code == 302
    assert Review.objects.get().rubber_stamp


@pytest.mark.rubber_stamp_guard
def test_the_approve_dialog_summary_shows_revision_files_viewed_and_time(assigned, client):
    change, senior = assigned
    FileView.objects.create(change=change, reviewer=senior, path="app/f0.py", fingerprint="fp0")
    client.force_login(senior.user)

    body = client.get(f"/changes/{change.pk}/signoff-summary/?seconds=45").content.decode()

    assert change.head_sha in body
    assert "1 of 4" in body
    assert "45 s" in body and "3 min 20 s" in body
    assert "rubber stamp" in body


def test_the_approve_dialog_summary_is_only_for_who_may_sign_off(assigned, client):
    change, _ = assigned
    client.force_login(change.author.user)

    assert client.get(f"/changes/{change.pk}/signoff-summary/").status_code == 403
