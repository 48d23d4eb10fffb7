"""CODEOWNERS with GitHub's rules (policy.codeowners_file): GitHub's documented examples, broken lines, owners."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.services.diffs import CODEOWNERS_LOCATIONS
from policy.codeowners_file import MAX_LINES, OwnerRule, parse_codeowners, resolve_owner

# The example file of GitHub's "About code owners" page, in its order (its last two blocks are tested apart below).
GITHUB_EXAMPLE = """\
# This is a comment.
# Each line is a file pattern followed by one or more owners.

# These owners will be the default owners for everything in
# the repo. Unless a later match takes precedence,
# @global-owner1 and @global-owner2 will be requested for
# review when someone opens a pull request.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most
# precedence. When someone opens a pull request that only
# modifies JS files, only @js-owner and not the global
# owner(s) will be requested for a review.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer. They'll be
# used to look up users just like we do for commit author
# emails.
*.go docs@example.com

# Teams can be specified as code owners as well. Teams should
# be identified in the format @org/team-name. Teams must have
# explicit write access to the repository. In this example,
# the octocats team in the octo-org organization owns all .txt files.
*.txt @octo-org/octocats

# In this example, @doctocat owns any files in the build/logs
# directory at the root of the repository and any of its
# subdirectories.
/build/logs/ @doctocat

# The `docs/*` pattern will match files like
# `docs/getting-started.md` but not further nested files like
# `docs/build-app/troubleshooting.md`.
docs/* docs@example.com

# In this example, @octocat owns any file in an apps directory
# anywhere in your repository.
apps/ @octocat

# In this example, @doctocat owns any file in the `/docs`
# directory in the root of your repository and any of its
# subdirectories.
/docs/ @doctocat

# In this example, any change inside the `/scripts` directory
# will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# In this example, @octocat owns any file in a `/logs` directory such as
# `/build/logs`, `/scripts/logs`, and `/deeply/nested/logs`. Any changes
# in a `/logs` directory will require approval from @octocat.
**/logs @octocat
"""

GLOBAL = ("@global-owner1", "@global-owner2")


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", GLOBAL),
        ("src/deep/module.py", GLOBAL),
        ("web/app.js", ("@js-owner",)),  # the inline comment is not an owner
        ("main.go", ("docs@example.com",)),
        ("notes/todo.txt", ("@octo-org/octocats",)),
        ("build/other/x.log", GLOBAL),
        ("build/logs/today.log", ("@octocat",)),  # /build/logs/ matches, but the later **/logs wins
        ("build/logs/2026/11/today.log", ("@octocat",)),
        ("sub/build/logs/today.log", ("@octocat",)),  # /build/logs/ is anchored; **/logs still matches
        ("docs/getting-started.md", ("@doctocat",)),  # docs/* then /docs/: the later line wins
        ("docs/build-app/troubleshooting.md", ("@doctocat",)),
        ("apps/web/index.html", ("@octocat",)),
        ("services/apps/web/index.html", ("@octocat",)),
        ("scripts/deploy.sh", ("@doctocat", "@octocat")),
        ("scripts/logs/run.log", ("@octocat",)),
        ("deeply/nested/logs/x.txt", ("@octocat",)),
        ("logs/root.log", ("@octocat",)),
        ("catalogs/x.md", GLOBAL),  # "logs" is a whole name, not a suffix
        ("/scripts/deploy.sh", ("@doctocat", "@octocat")),  # a leading slash is the repository root
    ],
)
def test_github_documented_example(path, owners):
    assert parse_codeowners(GITHUB_EXAMPLE).owners_of(path) == owners


@pytest.mark.parametrize(
    ("text", "path", "owners"),
    [
        ("docs/* docs@example.com\n", "docs/getting-started.md", ("docs@example.com",)),
        ("docs/* docs@example.com\n", "docs/build-app/troubleshooting.md", ()),
        ("docs/* docs@example.com\n", "sub/docs/getting-started.md", ()),
        ("apps/ @octocat\n", "apps/a.py", ("@octocat",)),
        ("apps/ @octocat\n", "x/y/apps/a.py", ("@octocat",)),
        ("apps/ @octocat\n", "apps", ()),  # a directory pattern does not match a file of that name
        ("/docs/ @doctocat\n", "docs/a/b/c.md", ("@doctocat",)),
        ("/docs/ @doctocat\n", "site/docs/a.md", ()),
        ("/build/logs/ @doctocat\n", "build/logs/x", ("@doctocat",)),
        ("/build/logs/ @doctocat\n", "x/build/logs/y", ()),
        ("*.js @js-owner\n", "a/b/c.js", ("@js-owner",)),
        ("*.js @js-owner\n", "a/b/c.jsx", ()),
        ("**/logs @octocat\n", "deeply/nested/logs/x.txt", ("@octocat",)),
        ("Makefile @build\n", "tools/Makefile", ("@build",)),
        ("src/*.py @py\n", "src/a/b.py", ()),
        ("my\\ dir/ @spaces\n", "my dir/file.txt", ("@spaces",)),
        ("*.PY @upper\n", "a.py", ()),  # paths are case-sensitive
    ],
)
def test_pattern_semantics(text, path, owners):
    assert parse_codeowners(text).owners_of(path) == owners


@pytest.mark.parametrize(
    ("text", "path", "owners"),
    [
        # GitHub's example: no owner for /apps/github, since the last matching line leaves its owners empty.
        ("/apps/ @octocat\n/apps/github\n", "apps/github/workflow.yml", ()),
        ("/apps/ @octocat\n/apps/github\n", "apps/web/index.html", ("@octocat",)),
        # ... and with its own owner.
        ("/apps/ @octocat\n/apps/github @doctocat\n", "apps/github/workflow.yml", ("@doctocat",)),
        # Order matters: an earlier, more specific line loses to a later, broader one.
        ("/apps/github @doctocat\n/apps/ @octocat\n", "apps/github/workflow.yml", ("@octocat",)),
        ("* @everyone\n", "any/thing", ("@everyone",)),
        ("", "any/thing", ()),
    ],
)
def test_last_matching_pattern_wins_even_without_owners(text, path, owners):
    assert parse_codeowners(text).owners_of(path) == owners


def test_rule_of_names_the_deciding_line():
    owners = parse_codeowners(GITHUB_EXAMPLE)

    assert owners.rule_of("scripts/deploy.sh") == OwnerRule(
        line=48, pattern="/scripts/", owners=("@doctocat", "@octocat")
    )
    assert parse_codeowners("/apps/ @octocat\n/apps/github\n").rule_of("apps/github/x") == OwnerRule(
        2, "/apps/github", ()
    )
    assert parse_codeowners("/apps/ @octocat\n").rule_of("lib/x.py") is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("/src/ not-an-owner", "is not an @user, @org/team or e-mail address"),
        ("/src/ @ok someone@", "is not an @user"),
        ("!/src/generated/ @bots", "negated patterns"),
        ("/src/[abc]/ @bots", "character ranges"),
        ("[Backend] @backend-team", "GitLab syntax"),
        ("*a*b*c @hostile", "too many wildcards"),
        ("**/a/**/b/**/c @hostile", "too many wildcards"),
    ],
)
def test_an_invalid_line_is_skipped_and_reported_and_the_rest_still_applies(line, reason):
    owners = parse_codeowners(f"* @everyone\n{line}\n/lib/ @lib-owner\n")

    assert owners.owners_of("src/generated/x.py") == ("@everyone",)  # the broken line did not take ownership away
    assert owners.owners_of("src/abc/cab") == ("@everyone",)
    assert owners.owners_of("lib/x.py") == ("@lib-owner",)
    [(number, message)] = owners.skipped
    assert number == 2
    assert reason in message


def test_comments_blank_lines_and_crlf_are_not_reported():
    owners = parse_codeowners("# owners\r\n\r\n   \r\n*.py @py # python\r\n")

    assert owners.skipped == ()
    assert owners.owners_of("a.py") == ("@py",)
    assert owners.rule_of("a.py").line == 4


def test_only_the_first_5000_lines_are_read():
    text = "".join(f"/dir{i}/ @owner{i}\n" for i in range(MAX_LINES + 10))

    owners = parse_codeowners(text)

    assert owners.truncated is True
    assert owners.owners_of(f"dir{MAX_LINES - 1}/x") == (f"@owner{MAX_LINES - 1}",)
    assert owners.owners_of(f"dir{MAX_LINES}/x") == ()
    assert parse_codeowners("* @a\n" * MAX_LINES).truncated is False


def test_codeowners_locations_in_githubs_lookup_order():
    assert CODEOWNERS_LOCATIONS == (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=500), st.text(max_size=80))
def test_parse_and_lookup_never_raise_on_arbitrary_text(text, path):
    owners = parse_codeowners(text)

    assert isinstance(owners.owners_of(path), tuple)


_pattern_chars = st.sampled_from(["a", "b", "/", "*", "?", "\\", "[", "]", "!", "#", " ", "."])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_pattern_chars, min_size=1, max_size=12), max_size=10), st.text("ab/.", max_size=20))
def test_pattern_like_lines_never_raise(patterns, path):
    owners = parse_codeowners("\n".join(f"{p} @owner" for p in patterns))

    assert owners.owners_of(path) in ((), ("@owner",))


# --- resolve_owner ---------------------------------------------------------------------------------------------

LOGINS = {"octocat": 1, "doctocat": 2, "Mona-Lisa": 3}
EMAILS = {"docs@example.com": 4, "Ada@Example.com": 5}
TEAMS = {"octocats": [1, 2], "platform": (6,), "acme/payments": [7, 8]}


@pytest.mark.parametrize(
    ("token", "ids"),
    [
        ("@octocat", {1}),
        ("@OctoCat", {1}),  # GitHub logins are case-insensitive
        ("@mona-lisa", {3}),
        ("@MONA-LISA", {3}),
        ("@octo-org/octocats", {1, 2}),  # by the team's slug
        ("@Octo-Org/OctoCats", {1, 2}),
        ("@any-org/platform", {6}),
        ("@acme/payments", {7, 8}),  # a mapping keyed by org/slug is used first
        ("docs@example.com", {4}),
        ("DOCS@example.COM", {4}),
        ("ada@example.com", {5}),
        ("  @octocat  ", {1}),
        ("@nobody", set()),
        ("@octo-org/unknown-team", set()),
        ("stranger@example.com", set()),
        ("@", set()),
        ("octocat", set()),  # not an owner token at all
        ("", set()),
    ],
)
def test_resolve_owner_maps_logins_teams_and_emails_to_engineer_ids(token, ids):
    assert resolve_owner(token, engineers_by_login=LOGINS, engineers_by_email=EMAILS, team_members=TEAMS) == ids


def test_resolve_owner_of_every_owner_of_a_path():
    owners = parse_codeowners(GITHUB_EXAMPLE).owners_of("scripts/deploy.sh")

    ids = set().union(
        *(resolve_owner(o, engineers_by_login=LOGINS, engineers_by_email=EMAILS, team_members=TEAMS) for o in owners)
    )

    assert ids == {1, 2}
