"""History features for the risk score, training rows and the refit command (policy.risk_history)."""

from __future__ import annotations

import itertools
import random
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.models import Incident, IncidentChangeLink
from policy.risk import DEFAULT_WEIGHTS, FEATURES, diff_spread, feature_vector
from policy.risk_history import history_facts, latest_weights, reverted_title, training_rows
from reviews.models import AuditEvent, Change, ChangeFile, Repository, RiskModel

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_shas = itertools.count(1)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def make_change(repository, *, files, merged_at=None, opened_at=None, author=None, email="", **extra) -> Change:
    """A change with its files given as {path: lines} or {path: (lines, old_path, is_generated)}."""
    sha = f"{next(_shas):040x}"
    opened_at = opened_at or (merged_at - timedelta(hours=3) if merged_at else T0)
    change = Change.objects.create(
        repository=repository,
        external_id=sha,
        title=extra.pop("title", "a change"),
        head_sha=sha,
        author=author,
        author_email=email or (author.email if author else ""),
        state=Change.State.MERGED if merged_at else extra.pop("state", Change.State.OPEN),
        opened_at=opened_at,
        merged_at=merged_at,
        diff_state=Change.DiffState.DONE,
        **extra,
    )
    rows = []
    for path, spec in files.items():
        lines, old_path, generated = spec if isinstance(spec, tuple) else (spec, "", False)
        rows.append(
            ChangeFile(
                change=change,
                path=path,
                old_path=old_path,
                status="renamed" if old_path else "modified",
                lines_added=lines,
                is_generated=generated,
            )
        )
    ChangeFile.objects.bulk_create(rows)
    return change


def link_incident(change: Change, *, state: str, started_at: datetime) -> IncidentChangeLink:
    incident = Incident.objects.create(title="checkout down", severity="SEV2", started_at=started_at)
    return IncidentChangeLink.objects.create(incident=incident, change=change, state=state)


@pytest.fixture
def shop(db) -> Repository:
    return Repository.objects.create(name="acme/shop", clone_url="/nowhere", sensitive_paths=["app/y.py"])


@pytest.fixture
def history(shop, make_engineer):
    """A change opened at T0 by Ada, and what happened to its files before and after."""
    ada = make_engineer(5, username="ada", email="ada@example.com")
    bob = make_engineer(5, username="bob", email="bob@example.com")
    other = Repository.objects.create(name="acme/other", clone_url="/elsewhere")
    h = {}
    # Ada's first change, recorded before she had a portal account: matched by address, whatever its case.
    h["x_born"] = make_change(shop, files={"app/x.py": 5}, merged_at=T0 - days(400), email="ADA@example.com")
    h["v_born"] = make_change(shop, files={"app/v.py": 5}, merged_at=T0 - days(200), author=bob)
    h["bob_x_old"] = make_change(shop, files={"app/x.py": 5}, merged_at=T0 - days(100), author=bob)
    h["ada_xy"] = make_change(shop, files={"app/x.py": 5, "app/y.py": 5}, merged_at=T0 - days(60), author=ada)
    h["reverted"] = make_change(shop, files={"app/y.py": 5}, merged_at=T0 - days(30), author=bob)
    h["revert"] = make_change(
        shop,
        files={"app/y.py": 5},
        merged_at=T0 - days(20),
        author=bob,
        description=f'Revert "a change"\n\nThis reverts commit {h["reverted"].head_sha}.\n',
    )
    h["suspected"] = make_change(shop, files={"app/x.py": 5}, merged_at=T0 - days(15), author=bob)
    link_incident(h["suspected"], state=IncidentChangeLink.State.SUSPECTED, started_at=T0 - days(14))
    h["late_incident"] = make_change(shop, files={"app/x.py": 5}, merged_at=T0 - days(12), author=bob)
    link_incident(h["late_incident"], state=IncidentChangeLink.State.CONFIRMED, started_at=T0 + days(2))
    h["incident"] = make_change(shop, files={"app/x.py": 5}, merged_at=T0 - days(10), author=ada)
    link_incident(h["incident"], state=IncidentChangeLink.State.CONFIRMED, started_at=T0 - days(5))
    h["generated_only"] = make_change(shop, files={"vendor/lib.min.js": (900, "", True)}, merged_at=T0 - days(3))
    # Not history of the change: later, never merged, or in another repository.
    h["later"] = make_change(shop, files={"app/x.py": 5}, merged_at=T0 + days(10), author=ada)
    h["open"] = make_change(shop, files={"app/x.py": 5}, opened_at=T0 - days(8), author=ada)
    h["elsewhere"] = make_change(other, files={"app/x.py": 5}, merged_at=T0 - days(5), author=ada)
    h["change"] = make_change(
        shop,
        files={
            "app/x.py": 10,
            "app/y.py": 30,
            "docs/new.md": 20,
            "app/w.py": (0, "app/v.py", False),
            "vendor/lib.min.js": (500, "", True),
        },
        opened_at=T0,
        merged_at=T0 + days(1),
        author=ada,
        lines_added=50,
        lines_removed=10,
    )
    return h


def test_history_facts_count_what_landed_on_the_files_before_the_change_was_opened(history):
    facts = history_facts(history["change"])

    assert (facts.lines_added, facts.lines_removed) == (50, 10)
    # Generated files are counted apart; a renamed file counts once under its new name.
    assert (facts.files, facts.directories) == (4, 2)
    assert facts.entropy == pytest.approx(diff_spread({"x": 10, "y": 30, "n": 20}).entropy)
    assert facts.sensitive_count == 1
    # Ada's own earlier changes to these files: the one by address, the x+y change, the incident.
    assert facts.author_prior_changes == 3
    # x 400 days, y 60, docs/new.md new (0), app/w.py as old as app/v.py (200).
    assert facts.file_age_days == pytest.approx((400 + 60 + 0 + 200) / 4)
    # ada_xy, reverted, revert, suspected, late_incident, incident: within 90 days.
    assert facts.recent_churn == 6
    # Reverted before T0, and confirmed for an incident that had started; not suspected, not yet known.
    assert facts.recent_incidents == 2
    assert facts.ai_assisted is False


def test_history_facts_use_the_policy_count_of_sensitive_paths_when_given(history):
    assert history_facts(history["change"], sensitive_count=4).sensitive_count == 4


def test_a_change_by_nobody_known_has_no_prior_changes(shop, history):
    change = make_change(shop, files={"app/x.py": 3}, opened_at=T0)

    facts = history_facts(change)

    assert facts.author_prior_changes == 0
    assert facts.recent_churn == 4


def test_a_change_of_new_files_only_has_no_history(shop, history):
    change = make_change(shop, files={"new/a.py": 3, "new/b.py": 3}, opened_at=T0, author=history["change"].author)

    facts = history_facts(change)

    assert (facts.author_prior_changes, facts.recent_churn, facts.recent_incidents) == (0, 0, 0)
    assert facts.file_age_days == 0.0
    assert feature_vector(facts)["new_to_files"] == 0.0


def test_history_facts_take_a_constant_number_of_queries(history, django_assert_max_num_queries):
    loaded = Change.objects.select_related("repository").get(pk=history["change"].pk)
    bare = Change.objects.get(pk=history["change"].pk)
    unloaded = Change.objects.get(pk=history["change"].pk)

    with django_assert_max_num_queries(4):
        history_facts(loaded)
    with django_assert_max_num_queries(4):
        history_facts(bare, sensitive_count=1)
    with django_assert_max_num_queries(5):
        history_facts(unloaded)  # and the repository's sensitive globs


def test_training_rows_label_incidents_and_reverts_whenever_they_came(history):
    rows = training_rows(Repository.objects.get(name="acme/shop"))

    merged = Change.objects.filter(repository__name="acme/shop", state=Change.State.MERGED).order_by("opened_at", "pk")
    assert [opened for opened, _, _ in rows] == [c.opened_at for c in merged]
    bad = {c.pk for c, (_, _, label) in zip(merged, rows, strict=True) if label}
    assert bad == {history["reverted"].pk, history["incident"].pk, history["late_incident"].pk}


def test_training_rows_agree_with_history_facts_for_every_change(history):
    rows = training_rows()

    merged = Change.objects.filter(state=Change.State.MERGED).select_related("repository").order_by("opened_at", "pk")
    assert len(rows) == len(merged) == 13
    for change, (_, features, _) in zip(merged, rows, strict=True):
        expected = feature_vector(history_facts(change))
        assert features == pytest.approx(expected), change.title


def test_training_rows_agree_with_history_facts_on_a_generated_history_with_reverts(shop):
    generate_history(shop, 50, seed=11)

    rows = training_rows(shop)

    merged = Change.objects.filter(state=Change.State.MERGED).select_related("repository").order_by("opened_at", "pk")
    assert sum(bad for _, _, bad in rows) > 0
    for change, (_, features, _) in zip(merged, rows, strict=True):
        assert features == pytest.approx(feature_vector(history_facts(change))), change.pk


def test_a_squash_merged_github_revert_names_what_it_reverts_by_title(shop):
    # As aio-libs/aiohttp: 'Revert "Move pip-tools into pyproject.toml" (#12809)' says no SHA; it reverted
    # "Move pip-tools into pyproject.toml (#12739)". The same work landed again later is not what was reverted.
    moved = make_change(
        shop, files={"pyproject.toml": 9}, merged_at=T0 - days(40), title="Move pip-tools into pyproject.toml (#12739)"
    )
    make_change(
        shop,
        files={"pyproject.toml": 9},
        merged_at=T0 - days(39),
        title='Revert "Move pip-tools into pyproject.toml" (#12809)',
    )
    again = make_change(
        shop, files={"pyproject.toml": 9}, merged_at=T0 - days(20), title="Move pip-tools into pyproject.toml (#12900)"
    )
    later = make_change(shop, files={"pyproject.toml": 2}, opened_at=T0)

    rows = training_rows(shop)

    merged = Change.objects.filter(state=Change.State.MERGED).order_by("opened_at", "pk")
    assert [c.pk for c, (_, _, bad) in zip(merged, rows, strict=True) if bad] == [moved.pk]
    assert history_facts(later).recent_incidents == 1
    assert history_facts(again).recent_incidents == 1
    for change, (_, features, _) in zip(merged, rows, strict=True):
        assert features == pytest.approx(feature_vector(history_facts(change))), change.title


@pytest.mark.parametrize(
    ("title", "reverted"),
    [
        ('Revert "Move pip-tools into pyproject.toml" (#12809)', "Move pip-tools into pyproject.toml"),
        ('Revert "Drop list compression (#12857)" (#12861)', "Drop list compression"),
        (
            "Revert \"Isolate a pair of HTML build 'numfig' test cases (#14100)\" (#14106)",
            "Isolate a pair of HTML build 'numfig' test cases",
        ),
        (
            'Revert "LaTeX: fix the #13525 fix of code-tex markup in docs"',
            "LaTeX: fix the #13525 fix of code-tex markup in docs",
        ),
        ("Revert cache key change for linter (#11081)", None),
        ("Drop list compression (#12857)", None),
    ],
)
def test_reverted_title(title, reverted):
    assert reverted_title(title) == reverted


def test_training_rows_skip_changes_without_a_stored_diff(shop):
    make_change(shop, files={"a.py": 1}, merged_at=T0)
    Change.objects.update(diff_state=Change.DiffState.FAILED)

    assert training_rows() == []


def test_training_rows_take_a_constant_number_of_queries(shop, history, django_assert_max_num_queries):
    generate_history(shop, 60, seed=1)

    with django_assert_max_num_queries(5):
        rows = training_rows()

    assert len(rows) > 60


def test_latest_weights_are_the_newest_stored_model_or_the_defaults(db):
    assert latest_weights() == DEFAULT_WEIGHTS

    RiskModel.objects.create(weights={"lines": 0.5, "retired": 3.0}, intercept=-1.5)
    RiskModel.objects.create(weights={"lines": 0.7}, intercept=-2.0)

    assert latest_weights().intercept == -2.0
    assert dict(latest_weights().weights) == {"lines": 0.7}


# --- refit_risk ----------------------------------------------------------------------------------------


def generate_history(repository: Repository, n: int, *, seed: int) -> None:
    """n merged changes over a year; big changes to core/ are reverted two days later by a revert change."""
    rng = random.Random(seed)
    emails = [f"dev{i}@example.com" for i in range(6)]
    start = T0 - days(400)
    for i in range(n):
        merged_at = start + days(i * 400 / n)
        dirs = rng.sample(["core", "web", "api", "docs"], k=rng.randint(1, 3))
        big = rng.random() < 0.3
        files = {f"{d}/f{rng.randint(0, 9)}.py": rng.randint(150, 600) if big else rng.randint(1, 40) for d in dirs}
        change = make_change(repository, files=files, merged_at=merged_at, email=rng.choice(emails))
        Change.objects.filter(pk=change.pk).update(lines_added=sum(files.values()))
        if big and "core" in dirs and rng.random() < 0.8:
            make_change(
                repository,
                files=files,
                merged_at=merged_at + days(2),
                email=rng.choice(emails),
                description=f"Revert\n\nThis reverts commit {change.head_sha}.",
            )


def refit(*args: str) -> str:
    out = StringIO()
    call_command("refit_risk", *args, stdout=out)
    return out.getvalue()


def test_refit_prints_the_auc_on_the_later_quarter_and_stores_the_model(shop):
    generate_history(shop, 120, seed=7)

    output = refit("--repo", "acme/shop")

    rows = training_rows(shop)
    auc = float(re.search(r"ROC AUC on the held-out later 25% of history: (\d\.\d\d)$", output, re.M).group(1))
    assert auc > 0.7
    assert f"trained_on: {len(rows)} merged changes of acme/shop" in output
    assert f"positives: {sum(bad for _, _, bad in rows)} " in output
    assert f"held_out: {len(rows) // 4}" in output
    model = RiskModel.objects.get()
    assert model.auc == pytest.approx(auc, abs=0.005)
    assert model.trained_on == len(rows)
    assert set(model.weights) == set(FEATURES)
    assert model.weights["lines"] > 0
    assert "acme/shop" in model.note
    assert latest_weights().intercept == model.intercept
    assert AuditEvent.objects.filter(action="risk_model.fitted", target_id=str(model.pk)).exists()


def test_a_dry_run_reports_but_stores_nothing(shop):
    generate_history(shop, 60, seed=3)

    output = refit("--dry-run")

    assert "ROC AUC on the held-out later 25% of history:" in output
    assert "dry run: nothing stored" in output
    assert not RiskModel.objects.exists()


def test_refit_refuses_too_little_history(shop):
    generate_history(shop, 5, seed=1)

    with pytest.raises(CommandError, match="too little history"):
        refit()
    assert not RiskModel.objects.exists()


def test_refit_refuses_a_history_with_nothing_bad(shop):
    for i in range(25):
        make_change(shop, files={"a.py": i + 1}, merged_at=T0 + days(i))

    with pytest.raises(CommandError, match="nothing to learn"):
        refit()


def test_refit_refuses_an_unknown_repository(db):
    with pytest.raises(CommandError, match="no repository named 'acme/nope'"):
        refit("--repo", "acme/nope")
