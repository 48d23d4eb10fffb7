"""What still counts towards sign-off, who blocks it and what is missing (policy.signoff_rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.decision import Decision
from policy.document import Settings
from policy.signoff_rules import UNKNOWN_AUTHOR, ReviewFact, RevisionFact, signoff_status

AUTHOR = 1
PUSHER_EMAIL = "pusher@example.com"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def review(
    reviewer_id: int,
    verdict: str = "approve",
    *,
    revision: int = 1,
    level: int = 6,
    email: str | None = None,
    owner: bool = False,
    minute: int = 0,
    host: bool = False,
) -> ReviewFact:
    return ReviewFact(
        reviewer_id=reviewer_id,
        reviewer_level=level,
        reviewer_email=email if email is not None else f"r{reviewer_id}@example.com",
        is_owner=owner,
        verdict=verdict,  # type: ignore[arg-type]
        revision=revision,
        at=T0 + timedelta(minutes=minute),
        from_host=host,
    )


def revisions(*patch_ids: str) -> tuple[RevisionFact, ...]:
    return tuple(RevisionFact(number=i, patch_id=p) for i, p in enumerate(patch_ids, start=1))


def decision(
    sign_offs: int = 1,
    *,
    owner: bool = False,
    attestation: bool = False,
    gates: bool = False,
    owner_paths: tuple[str, ...] = (),
) -> Decision:
    return Decision(
        required_sign_offs=sign_offs,
        requires_owner=owner,
        requires_attestation=attestation,
        requires_gates=gates,
        oversized=False,
        sensitive_paths=owner_paths,
        owner_paths=owner_paths,
        matched_rules=(),
        reasons=(),
    )


def status(reviews: tuple[ReviewFact, ...] = (), **overrides: Any):
    values: dict[str, Any] = {
        "decision": decision(),
        "revisions": revisions("p1"),
        "author_id": AUTHOR,
        "last_pusher_email": PUSHER_EMAIL,
        "attested": True,
        "failing_gates": (),
        "settings": Settings(),
    }
    values.update(overrides)
    return signoff_status(values.pop("decision"), reviews=reviews, **values)


# --- whose approval counts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reviews", "overrides", "counting"),
    [
        pytest.param((review(10),), {}, (10,), id="senior-approval-on-the-current-revision"),
        pytest.param((review(10, level=8),), {}, (10,), id="senior-principal-counts"),
        pytest.param((review(AUTHOR, level=7),), {}, (), id="author-approval-ignored"),
        pytest.param((review(10, level=5),), {}, (), id="non-senior-ignored"),
        pytest.param(
            (review(10, level=6),), {"settings": Settings(senior_level=7)}, (), id="senior-level-from-settings"
        ),
        pytest.param((review(10, email=PUSHER_EMAIL),), {}, (), id="last-pusher-ignored"),
        pytest.param((review(10, email=" Pusher@Example.COM "),), {}, (), id="last-pusher-compared-case-insensitively"),
        pytest.param((review(10, email=""),), {"last_pusher_email": ""}, (10,), id="unknown-pusher-excludes-nobody"),
        pytest.param((review(10), review(11)), {"author_id": None}, (10, 11), id="unknown-author-excludes-nobody"),
        pytest.param((review(11), review(10), review(11, minute=5)), {}, (10, 11), id="each-reviewer-counts-once"),
        pytest.param(
            (review(10), review(10, "request_changes", minute=1)), {}, (), id="later-request-replaces-approval"
        ),
        pytest.param(
            (review(10, "request_changes"), review(10, minute=1)), {}, (10,), id="later-approval-replaces-request"
        ),
        pytest.param((review(10), review(10, "comment", minute=1)), {}, (10,), id="comment-changes-no-verdict"),
        pytest.param((review(10, "comment"),), {}, (), id="comment-is-no-approval"),
        pytest.param((review(10, "shrug"),), {}, (), id="unknown-verdict-is-no-approval"),
    ],
)
def test_only_seniors_who_neither_wrote_nor_pushed_the_change_count(reviews, overrides, counting):
    assert status(reviews, **overrides).counting == counting


HOST_COUNTS = Settings(host_approvals_count=True)


@pytest.mark.parametrize(
    ("reviews", "overrides", "counting", "blocked_by"),
    [
        pytest.param((review(10, host=True),), {}, (), (), id="host-approval-not-counted-by-default"),
        pytest.param((review(10, host=True),), {"settings": HOST_COUNTS}, (10,), (), id="host-approval-counted-if-on"),
        pytest.param(
            (review(10, host=True), review(11)), {}, (11,), (), id="portal-approval-counts-beside-an-uncounted-host-one"
        ),
        pytest.param(
            (review(10, "request_changes"), review(10, minute=1, host=True)),
            {},
            (),
            (10,),
            id="uncounted-host-approval-lifts-no-request",
        ),
        pytest.param(
            (review(10, "request_changes"), review(10, minute=1, host=True)),
            {"settings": HOST_COUNTS},
            (10,),
            (),
            id="counted-host-approval-replaces-request",
        ),
        pytest.param(
            (review(10, "request_changes", host=True),), {}, (), (10,), id="host-request-for-changes-always-blocks"
        ),
        pytest.param(
            (review(10, minute=0), review(10, minute=1, host=True)),
            {},
            (10,),
            (),
            id="earlier-portal-approval-stands-beside-a-host-one",
        ),
    ],
)
def test_host_approvals_count_only_where_the_policy_says_so(reviews, overrides, counting, blocked_by):
    result = status(reviews, **overrides)

    assert (result.counting, result.blocked_by) == (counting, blocked_by)


# --- which revision an approval still covers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approved_on", "patch_ids", "settings_", "counts"),
    [
        pytest.param(2, ("p1", "p2"), Settings(), True, id="current-revision"),
        pytest.param(1, ("p1", "p2"), Settings(), False, id="stale-approval-dismissed"),
        pytest.param(1, ("p1", "p1"), Settings(), True, id="rebase-with-the-same-patch-id-keeps-it"),
        pytest.param(1, ("p1", "p1", "p1"), Settings(), True, id="several-rebases-keep-it"),
        pytest.param(1, ("p1", "p2", "p1"), Settings(), False, id="changed-then-changed-back-dismisses"),
        pytest.param(2, ("p1", "p2", "p2"), Settings(), True, id="rebase-after-a-change-keeps-the-later-approval"),
        pytest.param(1, ("", ""), Settings(), False, id="unknown-patch-ids-dismiss"),
        pytest.param(1, ("p1", "p1"), Settings(keep_approval_on_rebase=False), False, id="rebase-dismisses-when-off"),
        pytest.param(1, ("p1", "p2"), Settings(dismiss_on_new_revision=False), True, id="no-dismissal-when-off"),
        pytest.param(7, ("p1", "p1"), Settings(), False, id="unknown-revision-dismissed"),
        pytest.param(1, (), Settings(), False, id="no-revision-at-all"),
        pytest.param(1, (), Settings(dismiss_on_new_revision=False), True, id="no-revision-no-dismissal"),
    ],
)
def test_approval_counts_while_its_diff_is_still_under_review(approved_on, patch_ids, settings_, counts):
    result = status((review(10, revision=approved_on),), revisions=revisions(*patch_ids), settings=settings_)

    assert result.counting == ((10,) if counts else ())
    assert result.approved is counts


# --- requests for changes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reviews", "patch_ids", "blocked_by"),
    [
        pytest.param((review(10, "request_changes"),), ("p1",), (10,), id="senior-request-blocks"),
        pytest.param((review(10, "request_changes", level=5),), ("p1",), (), id="non-senior-request-does-not-block"),
        pytest.param((review(AUTHOR, "request_changes", level=7),), ("p1",), (), id="author-request-does-not-block"),
        pytest.param(
            (review(10, "request_changes", email=PUSHER_EMAIL),), ("p1",), (10,), id="last-pusher-request-blocks"
        ),
        pytest.param(
            (review(10, "request_changes"), review(11, minute=5)),
            ("p1",),
            (10,),
            id="another-senior-approving-the-same-revision-does-not-lift-it",
        ),
        pytest.param(
            (review(10, "request_changes"), review(11, revision=2, minute=5)),
            ("p1", "p2"),
            (),
            id="another-senior-approving-a-newer-revision-lifts-it",
        ),
        pytest.param(
            (review(10, "request_changes", revision=2, minute=5), review(11, revision=1)),
            ("p1", "p2"),
            (10,),
            id="an-approval-of-an-older-revision-does-not-lift-it",
        ),
        pytest.param(
            (review(10, "request_changes"), review(11, revision=1, minute=5)),
            ("p1", "p2"),
            (10,),
            id="a-later-approval-of-the-same-old-revision-does-not-lift-it",
        ),
        pytest.param(
            (review(10, "request_changes"), review(10, revision=2, minute=5)),
            ("p1", "p2"),
            (),
            id="the-requester-approving-a-newer-revision-lifts-it",
        ),
        pytest.param(
            (review(10, "request_changes"), review(10, minute=5)),
            ("p1",),
            (),
            id="the-requester-withdrawing-on-the-same-revision-lifts-it",
        ),
        pytest.param(
            (review(10, "request_changes"), review(11, revision=2, level=5, minute=5)),
            ("p1", "p2"),
            (10,),
            id="a-non-senior-approval-does-not-lift-it",
        ),
        pytest.param(
            (review(10, "request_changes"), review(11, revision=2, email=PUSHER_EMAIL, minute=5)),
            ("p1", "p2"),
            (10,),
            id="the-last-pusher-approval-does-not-lift-it",
        ),
        pytest.param(
            (review(10, "request_changes"), review(10, "comment", revision=2, minute=5)),
            ("p1", "p2"),
            (10,),
            id="a-comment-does-not-lift-it",
        ),
        pytest.param(
            (
                review(10, "request_changes"),
                review(11, revision=2, minute=5),
                review(11, "request_changes", revision=2, minute=9),
            ),
            ("p1", "p2"),
            (10, 11),
            id="an-approval-since-replaced-by-a-request-does-not-lift-it",
        ),
        pytest.param(
            (review(12, "request_changes", revision=2), review(10, "request_changes")),
            ("p1", "p2"),
            (10, 12),
            id="blockers-listed-by-id",
        ),
    ],
)
def test_a_senior_request_for_changes_blocks_until_a_newer_revision_is_approved(reviews, patch_ids, blocked_by):
    result = status(reviews, revisions=revisions(*patch_ids))

    assert result.blocked_by == blocked_by
    assert ("changes requested by a senior" in result.missing) is (len(blocked_by) == 1)
    if blocked_by:
        assert result.approved is False


def test_blocked_change_is_not_approved_even_with_enough_sign_offs():
    result = status((review(10, "request_changes"), review(11, minute=5), review(12, minute=6)))

    assert result.counting == (11, 12)
    assert result.blocked_by == (10,)
    assert result.missing == ("changes requested by a senior",)
    assert result.approved is False


def test_several_blockers_are_counted_in_the_message():
    result = status((review(10, "request_changes"), review(11, "request_changes")), decision=decision(0))

    assert result.missing == ("changes requested by 2 seniors",)


# --- what is missing ------------------------------------------------------------------------------------------


PAY = ("payments/charge.py", "payments/refund.py")


@pytest.mark.parametrize(
    ("needs", "reviews", "overrides", "missing"),
    [
        pytest.param(decision(0), (), {}, (), id="nothing-required"),
        pytest.param(decision(1), (), {}, ("needs 1 more senior sign-off",), id="one-sign-off"),
        pytest.param(decision(2), (review(10),), {}, ("needs 1 more senior sign-off",), id="one-of-two"),
        pytest.param(decision(3), (), {}, ("needs 3 more senior sign-offs",), id="three-sign-offs"),
        pytest.param(decision(2), (review(10), review(11)), {}, (), id="two-of-two"),
        pytest.param(decision(1), (review(10), review(11)), {}, (), id="more-than-enough"),
        pytest.param(
            decision(1, attestation=True),
            (),
            {"attested": False},
            ("attestation missing", "needs 1 more senior sign-off"),
            id="attestation-first",
        ),
        pytest.param(decision(1), (review(10),), {"attested": False}, (), id="attestation-not-required"),
        pytest.param(
            decision(0, gates=True),
            (),
            {"failing_gates": ("secrets", "size", "secrets")},
            ("gates failing: secrets, size",),
            id="failing-gates-named-once",
        ),
        pytest.param(decision(0, gates=True), (), {"failing_gates": ()}, (), id="gates-passing"),
        pytest.param(decision(0), (), {"failing_gates": ("size",)}, (), id="gates-not-required"),
        pytest.param(
            decision(1, owner=True, owner_paths=PAY),
            (review(10),),
            {},
            ("needs a sign-off from an owner of payments/**",),
            id="approval-by-a-non-owner",
        ),
        pytest.param(
            decision(1, owner=True, owner_paths=PAY),
            (),
            {},
            ("needs a sign-off from an owner of payments/**",),
            id="the-owner-sign-off-is-the-one-needed",
        ),
        pytest.param(
            decision(2, owner=True, owner_paths=PAY[:1]),
            (),
            {},
            (
                "needs 1 more senior sign-off besides the owner's",
                "needs a sign-off from an owner of payments/charge.py",
            ),
            id="two-needed-one-by-an-owner",
        ),
        pytest.param(
            decision(2, owner=True, owner_paths=PAY),
            (review(10), review(11)),
            {},
            ("needs a sign-off from an owner of payments/**",),
            id="enough-sign-offs-but-no-owner",
        ),
        pytest.param(decision(1, owner=True, owner_paths=PAY), (review(10, owner=True),), {}, (), id="owner-signs-off"),
        pytest.param(
            decision(2, owner=True, owner_paths=PAY),
            (review(10, owner=True),),
            {},
            ("needs 1 more senior sign-off",),
            id="owner-and-one-more",
        ),
        pytest.param(
            decision(0, owner=True, owner_paths=PAY),
            (),
            {},
            ("needs a sign-off from an owner of payments/**",),
            id="owner-implies-one-sign-off",
        ),
        pytest.param(
            decision(1, owner=True, owner_paths=PAY),
            (review(10, owner=True, revision=1),),
            {"revisions": revisions("p1", "p2")},
            ("needs a sign-off from an owner of payments/**",),
            id="stale-owner-approval",
        ),
        pytest.param(
            decision(1, owner=True, owner_paths=PAY),
            (review(AUTHOR, level=7, owner=True),),
            {},
            ("needs a sign-off from an owner of payments/**",),
            id="author-owner-ignored",
        ),
        pytest.param(
            decision(1, owner=True),
            (),
            {},
            ("needs a code owner's sign-off",),
            id="owner-without-paths",
        ),
        pytest.param(
            decision(2, owner=True, attestation=True, gates=True, owner_paths=PAY),
            (review(10, "request_changes"),),
            {"attested": False, "failing_gates": ("migrations",)},
            (
                "attestation missing",
                "gates failing: migrations",
                "needs 1 more senior sign-off besides the owner's",
                "needs a sign-off from an owner of payments/**",
                "changes requested by a senior",
            ),
            id="everything-at-once-in-order",
        ),
    ],
)
def test_missing_lists_what_the_change_still_needs(needs, reviews, overrides, missing):
    result = status(reviews, decision=needs, **overrides)

    assert result.missing == missing
    assert result.approved is (missing == ())


@pytest.mark.parametrize(
    ("owner_paths", "shown"),
    [
        (("payments/charge.py",), "payments/charge.py"),
        (("payments/a.py", "payments/b.py"), "payments/**"),
        (("payments/a.py", "payments/b.py", "lib/auth/c.py"), "payments/** and lib/auth/c.py"),
        (("lib/auth/a.py", "payments/b.py"), "lib/auth/a.py and payments/b.py"),
        (("a.py", "b.py"), "a.py and b.py"),
        (("a/x", "b/x", "c/x", "d/x", "e/x"), "a/x, b/x, c/x and 2 more"),
        (("payments/a.py", "payments/a.py"), "payments/a.py"),
    ],
)
def test_owner_paths_are_shortened_in_the_message(owner_paths, shown):
    result = status(decision=decision(1, owner=True, owner_paths=owner_paths))

    assert result.missing == (f"needs a sign-off from an owner of {shown}",)


# --- property: recorded verdicts from any source never break the rules --------------------------------------------

people = st.fixed_dictionaries(
    {
        "level": st.integers(min_value=0, max_value=10),
        "email": st.sampled_from(["", PUSHER_EMAIL, "PUSHER@example.com", "a@example.com"]),
        "owner": st.booleans(),
    }
)


@st.composite
def recorded_reviews(draw: st.DrawFn) -> tuple[ReviewFact, ...]:
    """Verdicts of up to six people, each with one level and one email throughout, on any revision."""
    who = draw(st.lists(people, min_size=6, max_size=6))
    verdicts = st.tuples(
        st.integers(min_value=1, max_value=6),
        st.sampled_from(["approve", "request_changes", "comment", "bogus"]),
        st.integers(min_value=-1, max_value=5),
        st.datetimes(timezones=st.just(UTC)),
    )
    return tuple(
        ReviewFact(
            reviewer_id=rid,
            reviewer_level=who[rid - 1]["level"],
            reviewer_email=who[rid - 1]["email"],
            is_owner=who[rid - 1]["owner"],
            verdict=verdict,
            revision=revision,
            at=at,
        )
        for rid, verdict, revision, at in draw(st.lists(verdicts, max_size=10))
    )


revision_facts = st.lists(st.sampled_from(["", "p1", "p2"]), max_size=5).map(lambda ids: revisions(*ids))


@settings(max_examples=400)
@given(
    reviews=recorded_reviews(),
    revs=revision_facts,
    author_id=st.none() | st.integers(min_value=1, max_value=6),
    sign_offs=st.integers(min_value=0, max_value=5),
    owner=st.booleans(),
    policy_settings=st.builds(Settings, dismiss_on_new_revision=st.booleans(), keep_approval_on_rebase=st.booleans()),
)
def test_signoff_status_never_counts_the_author_the_pusher_or_a_junior(
    reviews, revs, author_id, sign_offs, owner, policy_settings
):
    result = status(
        reviews,
        decision=decision(sign_offs, owner=owner, owner_paths=("x/a",)),
        revisions=revs,
        author_id=author_id,
        settings=policy_settings,
    )

    by_id = {r.reviewer_id: r for r in reviews}
    for reviewer_id in result.counting:
        person = by_id[reviewer_id]
        assert reviewer_id != author_id
        assert person.reviewer_level >= policy_settings.senior_level
        assert person.reviewer_email.casefold() != PUSHER_EMAIL
    for reviewer_id in result.blocked_by:
        assert reviewer_id != author_id
        assert by_id[reviewer_id].reviewer_level >= policy_settings.senior_level
    assert result.approved is (not result.missing and not result.blocked_by)
    if result.approved:
        assert len(result.counting) >= max(sign_offs, 1 if owner else 0)
        assert not owner or any(by_id[i].is_owner for i in result.counting)
    assert list(result.counting) == sorted(set(result.counting))


# --- an unknown author ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("needs", "approved", "counting", "missing"),
    [
        (decision(1), False, (), (UNKNOWN_AUTHOR, "needs 1 more senior sign-off")),
        (decision(0, owner=True), False, (), (UNKNOWN_AUTHOR, "needs a code owner's sign-off")),
        (decision(0), True, (2, 3), ()),  # nothing to sign off: who wrote it does not hold the change up
    ],
    ids=["sign-off needed", "owner needed", "no sign-off needed"],
)
def test_no_approval_counts_while_the_author_is_unknown(needs, approved, counting, missing):
    result = status((review(2), review(3, owner=True)), decision=needs, author_id=None, author_known=False)

    assert (result.approved, result.counting, result.missing) == (approved, counting, missing)


def test_approvals_count_again_once_the_author_is_known():
    result = status((review(2),), author_id=None, author_known=True)

    assert (result.approved, result.counting) == (True, (2,))
