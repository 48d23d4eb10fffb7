"""Automated gates (policy.gates): real `git diff` output per file, table-driven cases, and hostile input.

Fake credentials are assembled at run time from pieces, so that no scanner (ours, or the git host's push
protection) finds a whole one in this file.
"""

from __future__ import annotations

import base64
import difflib
import random
import string
import subprocess
import sys
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.diffparse import parse_diff
from policy.gates import (
    BUILTIN_GATES,
    STATUSES,
    FileFacts,
    GateConfig,
    GateOutcome,
    added_lines_from_patch,
    facts_from_file_diff,
    load_gate,
    matches_any,
    overall,
    run_gates,
)
from policy.secretscan import find_secrets, mask_secret
from tests.conftest import WorkRepo

CONFIG = GateConfig()
_rng = random.Random(20261102)
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits


def _random(alphabet: str, n: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


AWS_DOCUMENTED_EXAMPLE = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_GENERATED = "AKIA" + _random(_UPPER_ALNUM, 16)
AWS_SESSION = "ASIA" + _random(_UPPER_ALNUM, 16)
GITHUB_CLASSIC = "ghp_" + _random(_ALNUM, 36)
GITHUB_FINE_GRAINED = "github" + "_pat_" + _random(_ALNUM, 22) + "_" + _random(_ALNUM, 59)
SLACK = "xoxb-" + _random(string.digits, 12) + "-" + _random(string.digits, 13) + "-" + _random(_ALNUM, 24)
GOOGLE = "AIza" + _random(_ALNUM + "-_", 35)
STRIPE = "sk_" + "live_" + _random(_ALNUM, 24)


def _pem(label: str) -> str:
    body = base64.b64encode(_rng.randbytes(600)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


# --- real diffs ------------------------------------------------------------------------------------------------

_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "PATH": "/usr/bin:/bin",
}


def _git(repo: WorkRepo, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=repo.path,
        env={**_GIT_ENV, "HOME": str(repo.path)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def file_patch(repo: WorkRepo, base: str, head: str, path: str) -> str:
    """`git diff` of one file between two commits, as the portal's diff worker would read it."""
    return _git(repo, "diff", "--no-color", "--no-ext-diff", "--find-renames", base, head, "--", path)


def change(
    repo: WorkRepo,
    files: dict[str, str | bytes | None],
    *,
    before: dict[str, str | bytes | None] | None = None,
    generated: tuple[str, ...] = (),
) -> list[FileFacts]:
    """Commit `before` then `files`, and build the FileFacts of each file from its own `git diff`."""
    base = repo.commit(before or {}, "base")
    head = repo.commit(files, "change")
    facts = []
    for line in _git(repo, "diff", "--numstat", "--no-renames", base, head).splitlines():
        added, removed, path = line.split("\t")
        patch = file_patch(repo, base, head, path)
        is_binary = added == "-"
        if is_binary:
            status = "binary"
        elif files.get(path, "") is None:
            status = "deleted"
        elif "new file mode" in patch:
            status = "added"
        else:
            status = "modified"
        facts.append(
            FileFacts(
                path=path,
                old_path="",
                status=status,
                lines_added=0 if is_binary else int(added),
                lines_removed=0 if is_binary else int(removed),
                is_generated=path in generated,
                added_lines=added_lines_from_patch(patch),
            )
        )
    return facts


def outcome_of(name: str, files: list[FileFacts], config: GateConfig = CONFIG) -> GateOutcome:
    [outcome] = [o for o in run_gates(files, config) if o.name == name]
    return outcome


def shown(outcome: GateOutcome) -> str:
    return "\n".join([outcome.message, *outcome.details])


# --- added_lines_from_patch -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        pytest.param(
            "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n+2.5\n three\n",
            ((2, "TWO"), (3, "2.5")),
            id="modified-with-context",
        ),
        pytest.param(
            "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+a = 1\n+b = 2\n",
            ((1, "a = 1"), (2, "b = 2")),
            id="new-file-without-diff-git-line",
        ),
        pytest.param(
            "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n@@ -10,2 +10,3 @@\n x\n+y\n z\n",
            ((2, "c"), (11, "y")),
            id="two-hunks",
        ),
        pytest.param(
            "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n+new\n\\ No newline at end of file\n",
            ((1, "new"),),
            id="counts-left-out-and-no-newline-marker",
        ),
        pytest.param(
            "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-++x\n+++y\n---z\n",
            ((1, "++y"),),
            id="content-that-looks-like-headers",
        ),
        pytest.param(
            "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n\n+c\n",
            ((3, "c"),),
            id="empty-context-line-without-its-space",
        ),
        pytest.param(
            "--- a/f\r\n+++ b/f\r\n@@ -1 +1,2 @@\r\n a\r\n+b\r\n",
            ((2, "b"),),
            id="crlf",
        ),
        pytest.param(
            "--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n+cut\ndiff --git a/g b/g\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n+g\n",
            ((1, "cut"),),
            id="truncated-hunk-then-second-file-ignored",
        ),
        pytest.param(
            "diff --git a/f b/f\ndeleted file mode 100644\n--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n",
            (),
            id="deleted",
        ),
        pytest.param("Binary files a/logo.png and b/logo.png differ\n", (), id="binary"),
        pytest.param("+not in a hunk\n+++ b/f\n", (), id="no-hunk-header"),
        pytest.param("@@ -1,1 +" + "9" * 5000 + ",1 @@\n+x\n", (), id="absurd-line-number"),
        pytest.param("", (), id="empty"),
    ],
)
def test_added_lines_from_patch_reads_new_line_numbers(patch, expected):
    assert added_lines_from_patch(patch) == expected


def test_added_lines_from_a_real_git_diff_are_the_lines_of_the_new_file(work_repo):
    old = [f"line {i}" for i in range(1, 61)]
    new = old[:5] + ["inserted A", "inserted B"] + old[5:30] + ["changed 31"] + old[31:55] + ["tail"]
    base = work_repo.commit({"app/module.py": "\n".join(old) + "\n"}, "base")
    head = work_repo.commit({"app/module.py": "\n".join(new)}, "edit")  # and no newline at the end

    added = added_lines_from_patch(file_patch(work_repo, base, head, "app/module.py"))

    assert [text for _, text in added] == ["inserted A", "inserted B", "changed 31", "tail"]
    assert all(new[number - 1] == text for number, text in added)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_added_lines_from_patch_never_raises_on_arbitrary_text(text):
    added = added_lines_from_patch(text)

    assert all(isinstance(n, int) and isinstance(t, str) for n, t in added)


_line = st.text(alphabet=st.characters(blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(_line, max_size=30), st.lists(_line, max_size=30), st.integers(0, 3))
def test_added_lines_from_patch_agrees_with_difflib(old, new, context):
    patch = "\n".join(difflib.unified_diff(old, new, "a/f", "b/f", n=context, lineterm=""))

    added = added_lines_from_patch(patch)

    assert all(new[number - 1] == text for number, text in added)
    expected = sum(1 for line in patch.split("\n")[2:] if line.startswith("+"))
    assert len(added) == expected


# --- secrets ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content", "kind", "secret"),
    [
        (
            "settings/prod.py",
            f'AWS_ACCESS_KEY_ID = "{AWS_DOCUMENTED_EXAMPLE}"\n',
            "AWS Access Key",
            AWS_DOCUMENTED_EXAMPLE,
        ),
        ("deploy.sh", f"export AWS_ACCESS_KEY_ID={AWS_GENERATED}\n", "AWS Access Key", AWS_GENERATED),
        ("ci/env.txt", f"session {AWS_SESSION}\n", "AWS Access Key", AWS_SESSION),
        ("scripts/release.py", f'TOKEN = "{GITHUB_CLASSIC}"\n', "GitHub Token", GITHUB_CLASSIC),
        ("scripts/bot.js", f"const token = '{GITHUB_FINE_GRAINED}';\n", "GitHub Token", GITHUB_FINE_GRAINED),
        ("notify.rb", f'SLACK = "{SLACK}"\n', "Slack Token", SLACK),
        ("web/maps.ts", f'const key = "{GOOGLE}";\n', "Google API Key", GOOGLE),
        ("billing/keys.go", f'var stripeKey = "{STRIPE}"\n', "Stripe Access Key", STRIPE),
    ],
)
def test_secrets_gate_fails_on_a_credential_in_an_added_line(work_repo, path, content, kind, secret):
    files = change(work_repo, {path: "# first line\n" + content}, before={"README.md": "hello\n"})

    outcome = outcome_of("secrets", files)

    assert outcome.status == "fail"
    assert f"{path}:2: {kind} ({secret[:4]}********)" in outcome.details
    assert "rotate" in outcome.message


@pytest.mark.parametrize("label", ["RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
def test_secrets_gate_fails_on_a_private_key_block(work_repo, label):
    files = change(work_repo, {"certs/server.key": _pem(label)})

    outcome = outcome_of("secrets", files)

    assert outcome.status == "fail"
    assert any(d.startswith("certs/server.key:1: Private Key (") for d in outcome.details)


@pytest.mark.parametrize(
    "secret", [AWS_DOCUMENTED_EXAMPLE, AWS_GENERATED, GITHUB_CLASSIC, GITHUB_FINE_GRAINED, SLACK, GOOGLE, STRIPE]
)
def test_secrets_gate_never_shows_more_than_the_first_four_characters(work_repo, secret):
    files = change(work_repo, {"config.py": f'KEY = "{secret}"  # {secret}\n'})

    text = shown(outcome_of("secrets", files))

    assert secret[4:8] not in text
    assert secret not in text


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (AWS_DOCUMENTED_EXAMPLE, "AKIA********"),
        ("hunter2", "********"),  # short: its first characters would be most of it
        ("", "********"),
    ],
)
def test_mask_secret_hides_everything_but_a_format_prefix_and_the_length(value, masked):
    assert mask_secret(value) == masked


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("docs/login.md", "Enter your password in the box, then press the key labelled Enter.\n"),
        ("app/auth.py", "# The password is checked against the hash; never log the secret.\n"),
        ("app/auth.py", "password = request.POST['password']\n"),
        ("app/auth.py", 'password = os.environ["DB_PASSWORD"]\n'),
        (
            "app/models.py",
            'ID = "6f1c2a7e-4b8d-4e2f-9a3c-1d5e7f9b0c2a"\nOTHER = "e3b0c442-98fc-1c14-9afb-f4c8996fb924"\n',
        ),
        ("app/templates.py", 'password = "{password}"\n'),
        ("docs/tokens.md", "Your token looks like ghp_" + "x" * 36 + " or sk_" + "live_" + "0" * 24 + ".\n"),
        ("README.md", "Keys start with AKIA; secrets are rotated every 90 days.\n"),
    ],
)
def test_secrets_gate_passes_prose_references_uuids_and_placeholders(work_repo, path, content):
    files = change(work_repo, {path: content})

    outcome = outcome_of("secrets", files)

    assert (outcome.status, outcome.details) == ("pass", ())


def test_secrets_gate_skips_hashes_in_a_generated_lock_file(work_repo):
    digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    lock = (
        "[[package]]\n"
        'name = "django"\n'
        'version = "5.2"\n'
        f'files = [{{file = "Django-5.2.tar.gz", hash = "sha256:{digest}"}}]\n'
        f'integrity = "sha512-{base64.b64encode(_rng.randbytes(64)).decode()}"\n'
    )
    files = change(
        work_repo, {"poetry.lock": lock, "pyproject.toml": "[project]\nname = 'x'\n"}, generated=("poetry.lock",)
    )

    assert outcome_of("secrets", files).status == "pass"


def test_secrets_gate_looks_only_for_certain_formats_in_a_lock_file_not_marked_generated(work_repo):
    digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    files = change(
        work_repo,
        {"web/yarn.lock": f'  resolved "https://r.example/x.tgz#{digest[:40]}"\n  integrity "sha256-{digest}"\n'},
    )

    assert outcome_of("secrets", files).status == "pass"


def test_secrets_gate_skips_generated_files_even_with_a_credential(work_repo):
    files = change(work_repo, {"vendor/lib.js": f'var k = "{AWS_GENERATED}";\n'}, generated=("vendor/lib.js",))

    assert outcome_of("secrets", files).status == "pass"


@pytest.mark.parametrize(
    ("path", "content", "kind"),
    [
        ("app/settings.py", 'DB_PASSWORD = "correct-horse-battery"\n', "Secret Keyword"),
        ("config/app.yaml", "api_key: 9fQz2LrT7wXk\n", "Secret Keyword"),
        (
            "app/cache.py",
            'SIGNING = "c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0aW5nLW9ubHktcGxlYXNl"\n',
            "Base64 High Entropy String",
        ),
        (".env.example", "DATABASE_URL=postgres://app:s3cr3tPassw0rd@db.internal:5432/app\n", "Basic Auth Credentials"),
    ],
)
def test_secrets_gate_warns_on_heuristic_hits_and_hides_them_entirely(work_repo, path, content, kind):
    files = change(work_repo, {path: content})

    outcome = outcome_of("secrets", files)

    assert outcome.status == "warn"
    assert outcome.details == (f"{path}:1: {kind} (********), possibly",)
    assert "correct-horse" not in shown(outcome)
    assert "s3cr3t" not in shown(outcome)


def test_allowlist_pragma_silences_a_heuristic_but_never_a_certain_format(work_repo):
    files = change(
        work_repo,
        {
            "tests/fixtures.py": 'PASSWORD = "correct-horse-battery"  # pragma: allowlist secret\n'
            f'KEY = "{AWS_GENERATED}"  # pragma: allowlist secret\n'
        },
    )

    outcome = outcome_of("secrets", files)

    assert outcome.status == "fail"
    assert outcome.details == ("tests/fixtures.py:2: AWS Access Key (AKIA********)",)


def test_secrets_gate_reports_one_finding_per_secret_even_when_several_detectors_match(work_repo):
    files = change(work_repo, {"app/aws.py": f'aws_secret_key = "{AWS_GENERATED}"\n'})

    assert outcome_of("secrets", files).details == ("app/aws.py:1: AWS Access Key (AKIA********)",)


def test_secrets_gate_warns_when_lines_were_left_unscanned_and_still_fails_on_what_it_saw(work_repo):
    files = change(
        work_repo,
        {
            "a.py": f'K = "{AWS_GENERATED}"\n' + "x = 1\n" * 9,
            "b.py": "y = 2\n" * 5 + f'K = "{AWS_SESSION}"\n',
        },
    )
    config = GateConfig(secrets_max_lines=12)

    outcome = outcome_of("secrets", files, config)

    assert outcome.status == "fail"
    assert outcome.details == (
        "a.py:1: AWS Access Key (AKIA********)",
        "4 added lines were not scanned (limit: 12 lines)",
    )

    clean = outcome_of("secrets", change(work_repo, {"c.py": "z = 3\n" * 30}), config)
    assert clean.status == "warn"
    assert "18 more were not scanned" in clean.message


@pytest.mark.parametrize("path", ["a.py", "a.yaml", "a.go", "a.c", "a.cpp", "a.txt"])
@pytest.mark.parametrize(
    "unit", ["password", 'password="', "password: ", '"x"==password ', "://a:", "'a' ", "aws key "]
)
def test_find_secrets_copes_with_hostile_long_lines(path, unit):
    line = unit * (5000 // len(unit))

    assert isinstance(find_secrets(path, line), list)


# --- size ------------------------------------------------------------------------------------------------------


def test_size_gate_fails_a_2000_line_change_and_names_the_three_largest_files(work_repo):
    files = change(
        work_repo,
        {
            "app/big.py": "".join(f"value_{i} = {i}\n" for i in range(1200)),
            "app/medium.py": "".join(f"other_{i} = {i}\n" for i in range(500)),
            "app/small.py": "".join(f"small_{i} = {i}\n" for i in range(250)),
            "app/tiny.py": "".join(f"tiny_{i} = {i}\n" for i in range(50)),
            "package-lock.json": "{\n" + '  "x": 1,\n' * 3000 + "}\n",
        },
        generated=("package-lock.json",),
    )

    outcome = outcome_of("size", files)

    assert outcome.status == "fail"
    assert outcome.message.startswith("2000 changed lines, above the limit of 1000 (3002 generated lines not counted)")
    assert "split" in outcome.message
    assert "app/big.py (1200), app/medium.py (500), app/small.py (250)" in outcome.message
    assert outcome.details == ("app/big.py: +1200 -0", "app/medium.py: +500 -0", "app/small.py: +250 -0")


@pytest.mark.parametrize(
    ("added", "removed", "status"),
    [(0, 0, "pass"), (600, 400, "pass"), (601, 400, "fail"), (0, 1001, "fail")],
)
def test_size_gate_counts_added_and_removed_lines_against_the_limit(added, removed, status):
    files = [FileFacts("app/x.py", "", "modified", added, removed, False)]

    assert outcome_of("size", files).status == status


# --- migrations and infrastructure -----------------------------------------------------------------------------


def test_migrations_gate_warns_on_a_django_migration_from_a_real_diff(work_repo):
    migration = (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        '    dependencies = [("shop", "0001_initial")]\n'
        '    operations = [migrations.AddField("order", "note", models.TextField(default=""))]\n'
    )
    files = change(work_repo, {"shop/migrations/0002_order_note.py": migration, "shop/models.py": "x = 1\n"})

    outcome = outcome_of("migrations", files)

    assert outcome.status == "warn"
    assert outcome.details == ("shop/migrations/0002_order_note.py (added)",)


@pytest.mark.parametrize(
    ("path", "is_migration"),
    [
        ("shop/migrations/0002_order_note.py", True),
        ("migrations/versions/abc.py", True),
        ("services/api/alembic/versions/1a2b_add_index.py", True),
        ("db/migrate/20260101_create_users.rb", True),
        ("db/schema.rb", True),
        ("sql/reporting/views.sql", True),
        ("prisma/schema.prisma", True),
        ("shop/models.py", False),
        ("docs/migrations.md", False),
        ("app/migrator.py", False),
    ],
)
def test_migration_globs(path, is_migration):
    files = [FileFacts(path, "", "modified", 1, 0, False)]

    assert (outcome_of("migrations", files).status == "warn") is is_migration


@pytest.mark.parametrize(
    ("path", "is_iac"),
    [
        ("infra/network/main.tf", True),
        ("prod.tfvars", True),
        ("terraform/modules/vpc/variables.tf", True),
        ("helm/api/values.yaml", True),
        ("k8s/deployment.yaml", True),
        ("deploy/api.yaml", True),
        ("deploy/prod/eu/api.yml", True),
        ("services/api/Dockerfile", True),
        ("Dockerfile", True),
        ("docker-compose.override.yml", True),
        ("infra/main.bicep", True),
        ("cloudformation/stack.json", True),
        ("deploy/README.md", False),
        ("docs/dockerfile-tips.md", False),
        ("app/terraform_client.py", False),
    ],
)
def test_infrastructure_globs(path, is_iac):
    files = [FileFacts(path, "", "modified", 1, 0, False)]

    assert (outcome_of("infrastructure", files).status == "warn") is is_iac


def test_infrastructure_gate_lists_what_changed_from_a_real_diff(work_repo):
    files = change(
        work_repo,
        {"infra/main.tf": 'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n}\n', "app.py": "print(1)\n"},
    )

    outcome = outcome_of("infrastructure", files)

    assert (outcome.status, outcome.details) == ("warn", ("infra/main.tf (added)",))


# --- lock files ------------------------------------------------------------------------------------------------


def test_lockfiles_gate_fails_on_a_lock_file_changed_without_its_manifest(work_repo):
    files = change(
        work_repo,
        {"web/package-lock.json": '{\n  "lockfileVersion": 3,\n  "packages": {"x": "2.0.0"}\n}\n'},
        before={"web/package.json": '{"name": "web"}\n', "web/package-lock.json": '{\n  "packages": {}\n}\n'},
        generated=("web/package-lock.json",),
    )

    outcome = outcome_of("lockfiles", files)

    assert outcome.status == "fail"
    assert outcome.details == ("web/package-lock.json changed without web/package.json",)


@pytest.mark.parametrize(
    ("changed", "status"),
    [
        ({"package-lock.json": "modified", "package.json": "modified"}, "pass"),
        ({"web/yarn.lock": "modified", "web/package.json": "modified"}, "pass"),
        ({"web/yarn.lock": "modified", "package.json": "modified"}, "fail"),  # not the same directory
        ({"poetry.lock": "modified", "pyproject.toml": "modified"}, "pass"),
        ({"uv.lock": "added", "pyproject.toml": "added"}, "pass"),
        ({"uv.lock": "modified"}, "fail"),
        ({"go.sum": "modified", "go.mod": "modified"}, "pass"),
        ({"svc/go.sum": "modified"}, "fail"),
        ({"Gemfile.lock": "modified", "Gemfile": "modified"}, "pass"),
        ({"Cargo.lock": "modified", "Cargo.toml": "modified"}, "pass"),
        ({"Pipfile.lock": "modified"}, "fail"),
        ({"composer.lock": "deleted"}, "pass"),  # removing a lock file is not a dependency change to explain
        ({"app/main.py": "modified"}, "pass"),
    ],
)
def test_lockfiles_gate_wants_the_manifest_in_the_same_directory(changed, status):
    files = [FileFacts(path, "", s, 1, 1, False) for path, s in changed.items()]

    assert outcome_of("lockfiles", files).status == status


# --- tests -----------------------------------------------------------------------------------------------------


def test_tests_gate_warns_on_source_changed_without_tests_from_a_real_diff(work_repo):
    files = change(work_repo, {"shop/pricing.py": "def price(x):\n    return x * 2\n", "README.md": "docs\n"})

    outcome = outcome_of("tests", files)

    assert outcome.status == "warn"
    assert outcome.details == ("shop/pricing.py",)


@pytest.mark.parametrize(
    ("changed", "status"),
    [
        ({"shop/pricing.py": "modified", "tests/shop/test_pricing.py": "modified"}, "pass"),
        ({"shop/pricing.py": "modified", "shop/pricing_test.py": "added"}, "pass"),
        ({"api/handler.go": "modified", "api/handler_test.go": "modified"}, "pass"),
        ({"web/cart.ts": "modified", "web/cart.spec.ts": "modified"}, "pass"),
        ({"web/cart.tsx": "modified", "web/__tests__/cart.tsx": "modified"}, "pass"),
        ({"lib/util.js": "modified", "lib/util.test.js": "modified"}, "pass"),
        ({"README.md": "modified", "docs/guide.md": "added"}, "pass"),
        ({"shop/old.py": "deleted"}, "pass"),
        ({"shop/pricing.py": "modified", "tests/shop/test_old.py": "deleted"}, "warn"),
        ({"shop/pricing.py": "modified"}, "warn"),
        ({"service/App.java": "modified"}, "warn"),
        ({"tests/test_only.py": "modified"}, "pass"),
    ],
)
def test_tests_gate(changed, status):
    files = [FileFacts(path, "", s, 3, 1, False) for path, s in changed.items()]

    assert outcome_of("tests", files).status == status


def test_tests_gate_ignores_generated_source_and_pure_renames():
    files = [
        FileFacts("gen/api_pb2.py", "", "modified", 400, 10, True),
        FileFacts("shop/new_name.py", "shop/old_name.py", "renamed", 0, 0, False),
    ]

    assert outcome_of("tests", files).status == "pass"


# --- glob semantics --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "glob", "matches"),
    [
        ("app/x.py", "*.py", True),
        ("x.py", "*.py", True),
        ("tests/a/b.py", "tests/**", True),
        ("src/tests/a.py", "tests/**", False),
        ("src/tests/a.py", "**/tests/**", True),
        ("deploy/a.yaml", "deploy/**/*.yaml", True),
        ("deploy/x/y/a.yaml", "deploy/**/*.yaml", True),
        ("other/deploy/a.yaml", "deploy/**/*.yaml", False),
        ("Dockerfile", "**/Dockerfile", True),
        ("a/b/Dockerfile", "**/Dockerfile", True),
        ("a/Dockerfile.dev", "**/Dockerfile", False),
        ("/tests/x.py", "tests/**", True),
    ],
)
def test_matches_any_follows_gitignore_rules(path, glob, matches):
    assert matches_any(path, (glob,)) is matches


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"size_limit": -1}, "size_limit"),
        ({"secrets_max_lines": -5}, "secrets_max_lines"),
        ({"test_globs": ("tests/[",)}, "test_globs"),
        ({"iac_globs": ("",)}, "iac_globs"),
        ({"source_globs": "*.py"}, "source_globs"),
        ({"migration_globs": (None,)}, "migration_globs"),
    ],
)
def test_gate_config_refuses_bad_knobs(overrides, message):
    with pytest.raises(ValueError, match=message):
        GateConfig(**overrides)


def test_gate_config_reads_a_lone_manifest_name_as_one_name():
    config = GateConfig(lock_manifests={"deps.lock": "deps.json"})
    files = [FileFacts("deps.lock", "", "modified", 1, 1, False), FileFacts("deps.json", "", "modified", 1, 0, False)]

    assert config.lock_manifests["deps.lock"] == ("deps.json",)
    assert outcome_of("lockfiles", files, config).status == "pass"


# --- running gates ---------------------------------------------------------------------------------------------


class CrashingGate:
    name = "crashes"

    def run(self, files, config):
        raise RuntimeError("the linter is down")


class NonsenseGate:
    name = "nonsense"

    def run(self, files, config):
        return {"status": "pass"}


class BadStatusGate:
    name = "bad-status"

    def run(self, files, config):
        return GateOutcome("bad-status", "ok", "fine")


class BrokenDetailsGate:
    name = "broken-details"

    def run(self, files, config):
        def details():
            yield "first"
            raise KeyError("second")

        return GateOutcome("broken-details", "pass", "fine", details())


class AlwaysWarnGate:
    name = "org-warn"

    def run(self, files, config):
        return GateOutcome("whatever", "warn", "organisation check", ["one", "two"])


class NamelessGate:
    def run(self, files, config):
        return GateOutcome("x", "pass", "")


class RunlessGate:
    name = "runless"


class NeedsArgumentsGate:
    name = "args"

    def __init__(self, required):
        self.required = required

    def run(self, files, config):
        return GateOutcome("args", "pass", "")


def test_run_gates_runs_the_builtins_in_order_then_the_extras():
    outcomes = run_gates([], CONFIG, extra=[AlwaysWarnGate()])

    assert [o.name for o in outcomes] == [
        "size",
        "secrets",
        "migrations",
        "infrastructure",
        "lockfiles",
        "tests",
        "org-warn",
    ]
    assert outcomes[-1] == GateOutcome("org-warn", "warn", "organisation check", ("one", "two"))
    assert overall(outcomes) == "warn"


def test_a_crashing_gate_becomes_a_failure_and_the_others_still_run():
    outcomes = run_gates(
        [FileFacts("a.py", "", "modified", 1, 0, False)], CONFIG, extra=[CrashingGate(), AlwaysWarnGate()]
    )

    crashed = next(o for o in outcomes if o.name == "crashes")
    assert crashed.status == "fail"
    assert crashed.message == "gate crashed: RuntimeError: the linter is down"
    assert outcomes[-1].name == "org-warn"


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        (NonsenseGate(), "returned dict"),
        (BadStatusGate(), "status 'ok'"),
        (BrokenDetailsGate(), "gate crashed: KeyError: 'second'"),
    ],
)
def test_a_gate_answering_nonsense_becomes_a_failure(gate, message):
    outcome = run_gates([], CONFIG, extra=[gate])[-1]

    assert (outcome.name, outcome.status) == (gate.name, "fail")
    assert message in outcome.message


def test_a_gate_reusing_a_taken_name_fails_instead_of_running():
    class Impostor(AlwaysWarnGate):
        name = "secrets"

    outcomes = run_gates([], CONFIG, extra=[Impostor()])

    assert [o.name for o in outcomes].count("secrets") == 1
    assert outcomes[-1].name == "secrets (duplicate)"
    assert outcomes[-1].status == "fail"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((), "pass"),
        (("pass", "pass"), "pass"),
        (("pass", "warn"), "warn"),
        (("warn", "fail", "pass"), "fail"),
        (("fail",), "fail"),
    ],
)
def test_overall_is_the_worst_status(statuses, expected):
    assert overall(GateOutcome(f"g{i}", s, "") for i, s in enumerate(statuses)) == expected


_status = st.sampled_from(["added", "modified", "deleted", "renamed", "binary", "copied", ""])
_facts = st.builds(
    FileFacts,
    path=st.text(max_size=60),
    old_path=st.text(max_size=20),
    status=_status,
    lines_added=st.integers(-(10**6), 10**6),
    lines_removed=st.integers(-(10**6), 10**6),
    is_generated=st.booleans(),
    added_lines=st.text(max_size=400).map(added_lines_from_patch)
    | st.lists(st.tuples(st.integers(-5, 10**9), st.text(max_size=300)), max_size=8).map(tuple),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_facts, max_size=6))
def test_run_gates_never_raises_on_arbitrary_files(files):
    outcomes = run_gates(files, CONFIG)

    assert [o.name for o in outcomes] == [g.name for g in BUILTIN_GATES]
    assert all(o.status in STATUSES for o in outcomes)
    assert not any(o.message.startswith("gate crashed") for o in outcomes)
    assert overall(outcomes) in STATUSES


# --- load_gate -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["tests.policy.test_gates:AlwaysWarnGate", "tests.policy.test_gates.AlwaysWarnGate"])
def test_load_gate_imports_and_builds_a_gate(path):
    gate = load_gate(path)

    assert isinstance(gate, AlwaysWarnGate)
    assert run_gates([], CONFIG, extra=[gate])[-1].status == "warn"


def test_load_gate_accepts_a_module_level_instance():
    module = types.ModuleType("countersign_test_gates_instance")
    module.GATE = AlwaysWarnGate()
    sys.modules[module.__name__] = module
    try:
        assert load_gate(f"{module.__name__}:GATE") is module.GATE
    finally:
        del sys.modules[module.__name__]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "is not 'package.module:ClassName'"),
        ("NoModule", "is not 'package.module:ClassName'"),
        ("tests.policy.test_gates:", "is not 'package.module:ClassName'"),
        ("tests/policy/test_gates.py:AlwaysWarnGate", "is not 'package.module:ClassName'"),
        ("countersign_no_such_module:Gate", "cannot import 'countersign_no_such_module'"),
        ("tests.policy.test_gates:NoSuchGate", "has no 'NoSuchGate'"),
        ("tests.policy.test_gates:NamelessGate", "has no name"),
        ("tests.policy.test_gates:RunlessGate", "has no run(files, config) method"),
        ("tests.policy.test_gates:NeedsArgumentsGate", "NeedsArgumentsGate() failed: TypeError"),
        ("tests.policy.test_gates:CONFIG", "has no name"),
    ],
)
def test_load_gate_says_what_is_wrong(path, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_gate(path)


# --- from parse_diff -------------------------------------------------------------------------------------------


def test_facts_from_a_parsed_multi_file_diff_feed_the_gates(work_repo):
    base = work_repo.commit(
        {"shop/pricing.py": "a = 1\n", "yarn.lock": "old\n", "logo.png": b"\x89PNG\x00\x01"}, "base"
    )
    head = work_repo.commit(
        {
            "shop/pricing.py": f'a = 1\nb = 2\nKEY = "{AWS_GENERATED}"\n',
            "yarn.lock": "new\n",
            "logo.png": b"\x89PNG\x00\x02\x03",
        },
        "change",
    )
    raw = subprocess.run(
        ["git", "diff", "--no-color", "--no-ext-diff", "--find-renames", base, head],
        cwd=work_repo.path,
        env={**_GIT_ENV, "HOME": str(work_repo.path)},
        check=True,
        capture_output=True,
    ).stdout

    facts = {f.path: f for f in map(facts_from_file_diff, parse_diff(raw).files)}

    assert facts["shop/pricing.py"].added_lines == ((2, "b = 2"), (3, f'KEY = "{AWS_GENERATED}"'))
    assert facts["yarn.lock"].is_generated is True
    assert (facts["logo.png"].status, facts["logo.png"].added_lines) == ("binary", ())
    outcomes = {o.name: o.status for o in run_gates(list(facts.values()), CONFIG)}
    assert outcomes == {
        "size": "pass",
        "secrets": "fail",
        "migrations": "pass",
        "infrastructure": "pass",
        "lockfiles": "fail",
        "tests": "warn",
    }
