"""The pipeline's headline follows from its figures: a table of cases, then snapshots older than the headline."""

from __future__ import annotations

import pytest

from insights.headline import PipelineFigures, figures_from_section, headline_of, pipeline_headline, wait_text

HOURS_40 = 40 * 60


def _figures(**kw: object) -> PipelineFigures:
    base: dict[str, object] = {
        "inflow": 30,
        "signoffs": 28,
        "inflow_minutes": 600,
        "capacity_minutes": HOURS_40,
        "queue_start": 4,
        "queue_end": 5,
        "oldest_wait_hours": 6.0,
        "senior_count": 3,
    }
    base.update(kw)
    return PipelineFigures(**base)  # type: ignore[arg-type]


CASES = [
    # (case, figures, tone, title, words the details must contain, words they must not)
    (
        "demo: queue 0 to 26 while estimated inflow is within capacity",
        _figures(inflow=103, signoffs=67, queue_start=0, queue_end=26, oldest_wait_hours=134.4),
        "error",
        "Sign-offs are not keeping up",
        ["grew from 0 to 26", "103 needed sign-off, 67 signed off", "5.6 days", "due within 24 h", "within"],
        ["keeps up"],
    ),
    (
        "queue grows but nobody has waited past the due time",
        _figures(queue_start=2, queue_end=9, oldest_wait_hours=10.0),
        "warn",
        "Sign-offs are not keeping up",
        ["grew from 2 to 9", "10 h"],
        ["due within"],
    ),
    (
        "steady queue, short waits, inflow within capacity",
        _figures(),
        "ok",
        "The pipeline keeps up",
        ["5 changes waiting at the end (was 4)", "6 h", "stayed within the capacity of 3 seniors (40.0 h)"],
        ["grew", "shrank"],
    ),
    (
        "a queue of 2 going to 3 is noise, not growth",
        _figures(queue_start=2, queue_end=3),
        "ok",
        "The pipeline keeps up",
        ["3 changes waiting at the end (was 2)"],
        ["grew"],
    ),
    (
        "a large queue growing by a tenth is not growth either",
        _figures(queue_start=40, queue_end=44, oldest_wait_hours=20.0),
        "ok",
        "The pipeline keeps up",
        ["44 changes waiting"],
        ["grew"],
    ),
    (
        "queue shrinks",
        _figures(queue_start=26, queue_end=4),
        "ok",
        "The pipeline keeps up",
        ["shrank from 26 to 4"],
        [],
    ),
    (
        "steady queue but the oldest change waits for days",
        _figures(oldest_wait_hours=80.0),
        "warn",
        "Changes wait longer than reviews are due",
        ["3.3 days (reviews are due within 24 h)"],
        [],
    ),
    (
        "an old wait in an empty queue is no wait",
        _figures(queue_end=0, queue_start=0, oldest_wait_hours=None),
        "ok",
        "The pipeline keeps up",
        ["0 changes waiting"],
        ["oldest"],
    ),
    (
        "weeks over capacity come first",
        _figures(inflow_minutes=3000, over_weeks=(("2026-W47", 20),), queue_start=0, queue_end=12),
        "error",
        "Inflow exceeds senior capacity",
        ["50.0 h against 40.0 h", "2026-W47 (+20%)", "grew from 0 to 12"],
        ["stayed within"],
    ),
    (
        "no seniors at all",
        _figures(capacity_minutes=0, senior_count=0, queue_end=7),
        "error",
        "No senior review capacity in this scope",
        ["30 changes needed sign-off; 7 waiting"],
        ["stayed within"],
    ),
    (
        "nothing to review",
        _figures(inflow=0, signoffs=0, inflow_minutes=0, queue_start=0, queue_end=0, oldest_wait_hours=None),
        "ok",
        "No change needed sign-off",
        [],
        ["within"],
    ),
    (
        "start of the queue unknown: no claim about growth",
        _figures(queue_start=None, queue_end=26),
        "ok",
        "The pipeline keeps up",
        ["26 changes waiting at the end;"],
        ["grew", "was"],
    ),
    (
        "one senior, one change",
        _figures(inflow=1, signoffs=0, queue_start=0, queue_end=1, senior_count=1),
        "ok",
        "The pipeline keeps up",
        ["1 change waiting at the end (was 0)", "capacity of 1 senior ("],
        [],
    ),
]


@pytest.mark.parametrize(("case", "figures", "tone", "title", "present", "absent"), CASES, ids=[c[0] for c in CASES])
def test_the_headline_follows_from_the_figures(
    case: str, figures: PipelineFigures, tone: str, title: str, present: list[str], absent: list[str]
) -> None:
    headline = pipeline_headline(figures)
    assert (headline.tone, headline.title) == (tone, title), case
    for words in present:
        assert words in headline.text, f"{case}: {words!r} missing from {headline.text!r}"
    for words in absent:
        assert words not in " ".join(headline.details), f"{case}: {words!r} in {headline.text!r}"


def test_it_never_says_within_capacity_first_while_the_queue_piles_up() -> None:
    headline = pipeline_headline(_figures(queue_start=0, queue_end=26))
    assert headline.tone != "ok"
    assert not headline.text.startswith("Inflow")


@pytest.mark.parametrize(("hours", "text"), [(0.25, "15 min"), (5.4, "5 h"), (47.0, "47 h"), (134.4, "5.6 days")])
def test_wait_text(hours: float, text: str) -> None:
    assert wait_text(hours) == text


def _section(**queue: object) -> dict[str, object]:
    return {
        "inflow_total": 103,
        "signoffs_total": 67,
        "inflow_minutes_total": 1950,
        "capacity_total": 10818,
        "senior_count": 12,
        "over_capacity": [],
        "queue": {"depth": 28, "oldest_hours": 134.4, **queue},
        "chart_queue": {"series": [{"name": "in the queue", "values": [2.0, 0.0, 11.0, 28.0]}]},
    }


def test_a_section_gives_its_figures() -> None:
    figures = figures_from_section(_section(start_depth=0))
    assert (figures.queue_start, figures.queue_end, figures.oldest_wait_hours) == (0, 28, 134.4)
    assert (figures.inflow, figures.signoffs, figures.capacity_minutes, figures.senior_count) == (103, 67, 10818, 12)


def test_a_snapshot_older_than_the_headline_gets_one_from_its_figures() -> None:
    # No stored headline and no start depth: the depth at the end of the first week stands in for it.
    headline = headline_of(_section())
    assert headline["title"] == "Sign-offs are not keeping up"
    assert "grew from 2 to 28" in headline["text"]


def test_a_stored_headline_is_kept() -> None:
    stored = {"tone": "ok", "title": "The pipeline keeps up", "details": [], "text": "The pipeline keeps up."}
    assert headline_of({**_section(), "headline": stored}) == stored
