from datetime import timedelta

import pytest

from insights.selectors.drill import drill_changes
from insights.selectors.quality import quality_section
from insights.selectors.scope import Scope
from insights.stats import wilson_interval
from reviews.models import Repository, Service, Team
from tests.insights.builders import W47, W48, change, confirm, refresh, verdict

H = timedelta(hours=1)


@pytest.fixture
def repo(db):
    return Repository.objects.create(name="acme/shop", clone_url="/nowhere")


def _deployed(repo, n: int, *, ai: bool, lines: int = 10, author=None) -> list:
    return [
        change(repo, author=author, opened=W47, merged=W47 + H, deployed=W47 + 2 * H, ai=ai, lines=lines, needs=0)
        for _ in range(n)
    ]


def test_cfr_is_confirmed_causes_over_deployed_changes_with_wilson_intervals(repo):
    ai = _deployed(repo, 20, ai=True)
    other = _deployed(repo, 10, ai=False, lines=600)
    for c in ai[:5]:
        confirm(c, W47 + 3 * H)
    confirm(ai[5], W47 + 3 * H, state="suspected")
    confirm(ai[6], W47 + 3 * H, state="ruled_out")
    confirm(other[0], W47 + 3 * H)
    _deployed(repo, 3, ai=True)
    refresh()
    q = quality_section(Scope(start=W47, end=W48))
    by_ai = {r["label"]: r for r in q["cfr"]["by_ai"]}
    assert (by_ai["AI-assisted"]["k"], by_ai["AI-assisted"]["n"]) == (5, 23)
    assert by_ai["AI-assisted"]["value"] == pytest.approx(5 / 23)
    assert (by_ai["AI-assisted"]["low"], by_ai["AI-assisted"]["high"]) == pytest.approx(wilson_interval(5, 23))
    assert (by_ai["other"]["k"], by_ai["other"]["n"], by_ai["other"]["value"]) == (1, 10, 0.1)
    buckets = {b["bucket"]: b for b in q["cfr"]["by_bucket"]}
    assert buckets["small (0–99 lines)"]["ai"]["n"] == 23
    assert buckets["small (0–99 lines)"]["other"]["n"] == 0 and not buckets["small (0–99 lines)"]["other"]["enough"]
    assert (buckets["large (500+ lines)"]["other"]["k"], buckets["large (500+ lines)"]["other"]["n"]) == (1, 10)
    assert q["cfr"]["all"]["n"] == 33 and q["cfr"]["all"]["k"] == 6


def test_cfr_without_any_confirmed_link_is_zero_with_its_denominator(repo):
    _deployed(repo, 12, ai=True)
    refresh()
    q = quality_section(Scope(start=W47, end=W48))
    ai = q["cfr"]["by_ai"][0]
    assert (ai["k"], ai["n"], ai["value"], ai["low"]) == (0, 12, 0.0, 0.0)
    assert ai["high"] == pytest.approx(wilson_interval(0, 12)[1])


def test_drill_downs_list_the_changes_behind_the_counts(repo):
    ai = _deployed(repo, 4, ai=True)
    _deployed(repo, 2, ai=False)
    confirm(ai[0], W47 + 3 * H)
    refresh()
    scope = Scope(start=W47, end=W48)
    assert drill_changes("deployed", scope, {"ai": "yes"}).count() == 4
    assert list(drill_changes("failed", scope, {"ai": "yes"})) == [ai[0]]
    assert drill_changes("failed", scope, {"ai": "no"}).count() == 0
    assert drill_changes("deployed", scope, {"bucket": "small"}).count() == 6
    assert drill_changes("deployed", scope, {"bucket": "large"}).count() == 0


def test_sign_off_quality_rubber_stamps_non_owners_missing_sign_offs_and_undeclared_ai(repo, make_engineer):
    owners = Team.objects.create(name="Owners", slug="owners")
    Service.objects.create(name="pay", repository=repo, path_prefixes=["pay/"], team=owners)
    owner = make_engineer(6, team=owners)
    outsider = make_engineer(6)
    author = make_engineer(4)
    owned = change(repo, author=author, opened=W47, requires_owner=True, owner_paths=["pay/a.py"])
    verdict(owned, outsider, W47 + H, rubber_stamp=True)
    owned_ok = change(repo, author=author, opened=W47, requires_owner=True, owner_paths=["pay/b.py"])
    verdict(owned_ok, owner, W47 + H)
    merged_without = change(repo, author=author, opened=W47, merged=W47 + 5 * H, ai=True, needs=1)
    merged_late = change(repo, author=author, opened=W47, merged=W47 + 5 * H, ai=True, needs=1)
    verdict(merged_late, owner, W47 + 6 * H)  # after the merge: does not count
    merged_ok = change(repo, author=author, opened=W47, merged=W47 + 5 * H, ai=True, needs=1, ai_undeclared=True)
    verdict(merged_ok, owner, W47 + 4 * H)
    refresh()
    scope = Scope(start=W47, end=W48)
    q = quality_section(scope)
    assert (q["rubber_stamp"]["k"], q["rubber_stamp"]["n"]) == (1, 4)
    assert q["non_owner"] == {**q["non_owner"], "approvals": 2, "by_non_owner": 1, "changes": 1}
    assert list(drill_changes("non_owner", scope, {})) == [owned]
    missing = q["missing_sign_off"]
    assert missing["count"] == 2
    assert {c["id"] for c in missing["changes"]} == {merged_without.pk, merged_late.pk}
    assert all(c["approvals"] == 0 and c["needed"] == 1 for c in missing["changes"])
    assert (q["undeclared"]["k"], q["undeclared"]["n"]) == (1, 3)


def test_host_approvals_are_their_own_category_neither_timed_reviews_nor_rubber_stamps(repo, make_engineer):
    senior, author = make_engineer(6), make_engineer(4)
    careful = change(repo, author=author, opened=W47, lines=400)
    verdict(careful, senior, W47 + H, seconds=1200)
    stamped = change(repo, author=author, opened=W47, lines=400)
    verdict(stamped, senior, W47 + H, seconds=20, rubber_stamp=True)
    on_host = change(repo, author=author, opened=W47, lines=400)
    verdict(on_host, senior, W47 + H, seconds=0, source="host", host_review_id="101")
    withdrawn = change(repo, author=author, opened=W47, lines=400)
    verdict(withdrawn, senior, W47 + H, seconds=0, source="host", host_review_id="102", dismissed_at=W47 + 2 * H)
    refresh()
    scope = Scope(start=W47, end=W48)

    q = quality_section(scope)

    assert (q["rubber_stamp"]["k"], q["rubber_stamp"]["n"]) == (1, 2)  # the host approval is not a timed review
    assert (q["host_approved"]["approvals"], q["host_approved"]["changes"]) == (1, 1)  # the dismissed one is gone
    assert list(drill_changes("host_approved", scope, {})) == [on_host]
    assert list(drill_changes("rubber_stamped", scope, {})) == [stamped]
    assert "approved on the host (time unknown)" in q["definitions"]


def test_team_filter_counts_only_the_team_authors_changes(repo, make_engineer):
    other_team = Team.objects.create(name="Other", slug="other")
    mine = make_engineer(4)
    theirs = make_engineer(4, team=other_team)
    _deployed(repo, 3, ai=True, author=mine)
    _deployed(repo, 5, ai=True, author=theirs)
    refresh()
    scope = Scope(start=W47, end=W48, team_id=other_team.pk, team_name="Other", team_slug="other")
    assert quality_section(scope)["cfr"]["all"]["n"] == 5
