"""Cases from a real-shaped history (incidents.history.cases): main line, branch reverts, fixes naming culprits."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.history.cases import Commit, fix_cases, main_line, reach, revert_cases, top_folders

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def commit(sha, parents=(), hours=0, message="change", email="ada@example.com"):
    return Commit(
        sha * 40 if len(sha) == 1 else sha,
        tuple(p * 40 for p in parents),
        "Ada",
        email,
        T0 + timedelta(hours=hours),
        message,
    )


def history():
    """a - b - M(c, d) - e(reverts d) - f(squash fix naming #7) ; d is a branch commit by bob."""
    return [
        commit("a", (), 0, "init"),
        commit("b", ("a",), 1, "Add parser (#7)"),
        commit("c", ("a",), 2, "branch work", email="bob@example.com"),
        commit("d", ("c",), 3, "more branch work", email="bob@example.com"),
        commit("m", ("b", "d"), 4, "Merge pull request #9 from bob/x", email="maintainer@example.com"),
        commit("e", ("m",), 10, f"Revert more\n\nThis reverts commit {'d' * 40}."),
        commit("f", ("e",), 20, "Fix crash in parser (#11)\n\nRegression from #7."),
    ]


def test_main_line_lands_branch_commits_with_their_merge_and_credits_the_branch_author():
    changes, landed = main_line(history(), "f" * 40)

    assert [c.sha[0] for c in changes] == ["a", "b", "m", "e", "f"]
    assert landed["c" * 40] == landed["d" * 40] == 2
    assert changes[2].author == "bob@example.com"  # not the maintainer who merged
    assert changes[2].number == 9 and changes[1].number == 7


def test_a_revert_of_a_branch_commit_blames_the_merge_that_brought_it():
    commits = history()
    changes, landed = main_line(commits, "f" * 40)
    found = revert_cases(changes, landed, {c.sha: c.message for c in commits})

    assert [(c.evidence, c.culprit, c.note) for c in found.cases] == [(3, 2, "main line")]


def test_a_revert_inside_the_same_change_is_skipped_with_its_reason():
    commits = [
        commit("a", (), 0),
        commit("c", ("a",), 1),
        commit("d", ("c",), 2, f"Revert\n\nThis reverts commit {'c' * 40}."),
        commit("m", ("a", "d"), 3, "Merge pull request #2"),
    ]
    changes, landed = main_line(commits, "m" * 40)
    found = revert_cases(changes, landed, {c.sha: c.message for c in commits})

    assert found.cases == []
    assert found.skipped == [("d" * 40, "reverts a commit of the same change: it never reached the main line alone")]


def test_a_fix_naming_the_change_that_introduced_the_bug_is_a_fix_case_and_a_revert_is_not():
    changes, landed = main_line(history(), "f" * 40)

    assert [(c.evidence, c.culprit) for c in fix_cases(changes, landed).cases] == [(4, 1)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Fix bug\n\nIntroduced in #7.", True),
        ("Fix bug\n\nFixes: " + "b" * 12, True),
        ("Fix bug\n\nFixes #7", False),  # closes an issue; says nothing of what introduced it
        ("Improve docs\n\nFollow-up to #7", False),  # not a fix
    ],
)
def test_only_messages_that_say_what_introduced_the_bug_count(text, found):
    commits = [*history()[:2], commit("g", ("b",), 5, text)]
    changes, landed = main_line(commits, "g" * 40)

    assert bool(fix_cases(changes, landed).cases) is found


@pytest.mark.parametrize(
    ("culprit_hours", "why"),
    [(9.8, "merged after the incident start"), (-24 * 100, "merged more than 90 days before the start"), (5, "")],
)
def test_reach_starts_a_fixed_lead_before_the_revert(culprit_hours, why):
    from incidents.history.cases import Case, MainChange

    changes = [MainChange(0, "x", T0 + timedelta(hours=culprit_hours), "t", "t", "a", "A")]
    start, reason = reach(
        Case("revert", 1, 0, T0 + timedelta(hours=10)), changes, lead=timedelta(minutes=30), window=timedelta(days=90)
    )

    assert start == T0 + timedelta(hours=9, minutes=30)
    assert reason == why


def test_top_folders_put_root_files_under_the_empty_name():
    assert top_folders(["src/a.py", "README.md", "src/b/c.py", "docs/x.rst"]) == ("", "docs", "src")


def linear(*messages):
    """A squash-merged main line: one commit per message, an hour apart."""
    commits, parent = [], ()
    for n, message in enumerate(messages):
        sha = f"{n + 1:040x}"
        commits.append(Commit(sha, parent, "Ada", "ada@example.com", T0 + timedelta(hours=n), message))
        parent = (sha,)
    changes, landed = main_line(commits, commits[-1].sha)
    return revert_cases(changes, landed, {c.sha: c.message for c in commits})


@pytest.mark.parametrize(
    "revert",
    [
        'Revert "Box large fields (#12)" (#15)',  # the quoted title keeps the original's number
        'Revert "Make FailFast hashable" (#15)',  # only the title: the latest earlier change so titled
        'Revert "Make FailFast hashable"\n\nReverts pydantic/pydantic#12',  # GitHub's revert pull request body
        "Undo the hashing change (#15)\n\nReverts #12",
    ],
)
def test_github_revert_pull_requests_name_their_culprit_by_number_or_quoted_title(revert):
    revert = revert.replace("Box large fields (#12)", "Make FailFast hashable (#12)")
    found = linear("init", "Make FailFast hashable (#10)", "Make FailFast hashable (#12)", "Docs (#13)", revert)

    assert [(c.evidence, c.culprit) for c in found.cases] == [(4, 2)]
    assert found.cases[0].note.startswith("pull request")


def test_a_merge_commit_revert_pull_request_reads_the_title_from_the_body():
    commits = [
        commit("a", (), 0, "init"),
        commit("b", ("a",), 1, "Merge pull request #5 from ann/cache\n\nCache the index"),
        commit("c", ("a",), 2, "no revert trailer here", email="bob@example.com"),
        commit("m", ("b", "c"), 3, 'Merge pull request #6 from bob/revert-5-cache\n\nRevert "Cache the index"'),
    ]
    changes, landed = main_line(commits, "m" * 40)

    found = revert_cases(changes, landed, {c.sha: c.message for c in commits})

    assert [(c.evidence, c.culprit, c.note) for c in found.cases] == [(2, 1, "pull request (quoted title)")]


def test_a_pull_request_revert_of_an_unknown_title_or_number_is_no_case_and_a_culprit_counts_once():
    found = linear(
        "init",
        "Add cache (#3)",
        'Revert "Something never merged" (#4)',
        "Reverts #99",
        'Revert "Add cache" (#5)',
        'Revert "Add cache (#3)" (#6)',
    )

    assert [(c.evidence, c.culprit) for c in found.cases] == [(4, 1)]
    assert (f"{6:040x}", "reverts a change already reverted once") in found.skipped


def test_a_commit_revert_and_its_pull_request_revert_are_one_case():
    found = linear("init", "Add cache (#3)", f'Revert "Add cache (#3)" (#4)\n\nThis reverts commit {2:040x}.')

    assert [(c.evidence, c.culprit, c.note) for c in found.cases] == [(2, 1, "main line")]
