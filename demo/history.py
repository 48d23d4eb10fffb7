"""Deterministic generation of the demo organisation's people and git histories (pure, no ORM)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

AI_TRAILERS = (
    "Co-authored-by: Claude <noreply@anthropic.com>",
    "Co-authored-by: Copilot <198982749+Copilot@users.noreply.github.com>",
    "Co-authored-by: Cursor Agent <cursoragent@cursor.com>",
    "Assisted-by: GitHub Copilot <copilot@github.com>",
    "Generated-by: OpenAI Codex <codex@openai.com>",
)
# A person who happens to be called Claude: a human co-author, not AI assistance.
HUMAN_TRAILER = "Co-authored-by: Claude Martin <claude.martin@countersign.example>"


@dataclass(frozen=True)
class Person:
    """A demo engineer."""

    username: str
    name: str
    level: int
    team: str
    repo: str
    areas: tuple[str, ...]
    activity: float
    capacity: int = 240
    manager: bool = False
    incident_reviewer: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@countersign.example"


TEAMS = ("Payments", "Storefront", "Platform")

PEOPLE: tuple[Person, ...] = (
    # Payments: shop repository, payments and checkout.
    Person("maya", "Maya Okafor", 6, "Payments", "shop", ("services/payments", "lib/auth"), 1.2, capacity=600),
    Person("tomas", "Tomás Silva", 7, "Payments", "shop", ("services/payments", "migrations"), 1.6),
    Person("priya", "Priya Raman", 6, "Payments", "shop", ("services/checkout", "services/payments"), 1.0),
    Person("leo", "Leo Park", 4, "Payments", "shop", ("services/checkout", "services/payments"), 1.4),
    Person("hana", "Hana Kim", 3, "Payments", "shop", ("services/checkout",), 0.8),
    Person("omar", "Omar Haddad", 5, "Payments", "shop", ("services/payments", "services/checkout"), 1.3),
    Person("julia", "Julia Weber", 5, "Payments", "shop", ("lib/auth", "services/checkout"), 0.9),
    Person("sven", "Sven Larsen", 4, "Payments", "shop", ("services/checkout",), 0.7),
    Person("aiko", "Aiko Tanaka", 4, "Payments", "shop", ("services/payments",), 0.6),
    Person("rosa", "Rosa Alvarez", 7, "Payments", "shop", ("services/checkout",), 0.2, manager=True),
    # Storefront: shop repository, web and catalog.
    Person(
        "ines",
        "Ines Moreau",
        6,
        "Storefront",
        "shop",
        ("web/storefront", "services/catalog"),
        0.9,
        incident_reviewer=True,
    ),
    Person("daniel", "Daniel Cohen", 8, "Storefront", "shop", ("services/catalog", "services/search"), 0.7),
    Person("chloe", "Chloe Martin", 6, "Storefront", "shop", ("web/storefront",), 1.3),
    Person("ravi", "Ravi Patel", 5, "Storefront", "shop", ("services/search", "services/catalog"), 1.2),
    Person("emma", "Emma Johansson", 5, "Storefront", "shop", ("web/storefront",), 1.1),
    Person("lucas", "Lucas Rossi", 4, "Storefront", "shop", ("web/storefront", "services/catalog"), 1.5),
    Person("fatima", "Fatima Zahra", 3, "Storefront", "shop", ("services/catalog",), 0.9),
    Person("noah", "Noah Brown", 4, "Storefront", "shop", ("services/search",), 0.6),
    Person("mei", "Mei Chen", 5, "Storefront", "shop", ("services/catalog", "web/storefront"), 1.0),
    Person("victor", "Victor Nowak", 6, "Storefront", "shop", ("services/search",), 0.8),
    # Platform: platform repository.
    Person("ada", "Ada Nwosu", 8, "Platform", "platform", ("lib/concurrency", "services/gateway"), 0.8),
    Person("karl", "Karl Schmidt", 7, "Platform", "platform", ("terraform", "deploy"), 1.4),
    Person("sofia", "Sofia Greco", 6, "Platform", "platform", ("services/gateway", "lib/observability"), 1.2),
    Person("mateo", "Mateo Diaz", 6, "Platform", "platform", ("terraform",), 0.9, incident_reviewer=True),
    Person("yusuf", "Yusuf Demir", 5, "Platform", "platform", ("services/gateway",), 1.3),
    Person("elena", "Elena Popescu", 5, "Platform", "platform", ("lib/observability", "deploy"), 1.0),
    Person("jonas", "Jonas Berg", 4, "Platform", "platform", ("deploy", "terraform"), 1.1),
    Person("nadia", "Nadia Ivanova", 3, "Platform", "platform", ("services/gateway",), 0.8),
    Person("ben", "Ben Carter", 4, "Platform", "platform", ("lib/observability",), 0.7),
    Person("zoe", "Zoe Adams", 5, "Platform", "platform", ("lib/concurrency", "services/gateway"), 0.6),
)

REPOSITORIES = {
    "shop": {
        "files": {
            "services/payments": (
                "charge.py",
                "refunds.py",
                "ledger.py",
                "api.py",
                "fx_rates.py",
                "tests/test_charge.py",
                "tests/test_refunds.py",
            ),
            "services/checkout": (
                "cart.py",
                "pricing.py",
                "api.py",
                "promotions.py",
                "tests/test_cart.py",
                "tests/test_pricing.py",
            ),
            "services/catalog": ("products.py", "inventory.py", "api.py", "tests/test_products.py"),
            "services/search": ("index.py", "ranking.py", "query.py", "tests/test_ranking.py"),
            "web/storefront": (
                "app.ts",
                "cart_view.ts",
                "product_view.ts",
                "checkout_view.ts",
                "styles.css",
                "tests/cart_view.test.ts",
            ),
            "lib/auth": ("sessions.py", "tokens.py", "permissions.py", "tests/test_tokens.py"),
            "migrations": ("0041_refund_reason.sql", "0042_cart_index.sql", "0043_ledger_partition.sql"),
        },
        # Files that only one person ever touches: knowledge held by one person.
        "owned": {
            "services/payments/fx_rates.py": "tomas",
            "services/search/ranking.py": "victor",
            "lib/auth/tokens.py": "maya",
        },
        "sensitive": ["services/payments/**", "lib/auth/**", "migrations/**"],
        "services": {
            "payments-api": ("Payments", ["services/payments/", "lib/auth/", "migrations/"]),
            "checkout-api": ("Payments", ["services/checkout/"]),
            "catalog": ("Storefront", ["services/catalog/"]),
            "search": ("Storefront", ["services/search/"]),
            "storefront-web": ("Storefront", ["web/storefront/"]),
        },
        "commits": 380,
        "defect_rate": 0.02,
    },
    "platform": {
        "files": {
            "services/gateway": (
                "router.go",
                "ratelimit.go",
                "auth.go",
                "proxy.go",
                "router_test.go",
                "ratelimit_test.go",
            ),
            "lib/concurrency": ("pool.go", "semaphore.go", "pool_test.go"),
            "lib/observability": ("metrics.go", "tracing.go", "logging.go", "metrics_test.go"),
            "terraform": ("network.tf", "database.tf", "cluster.tf", "variables.tf"),
            "deploy": ("gateway.yaml", "workers.yaml", "pipeline.yaml"),
        },
        "owned": {"lib/concurrency/semaphore.go": "ada", "terraform/database.tf": "karl"},
        "sensitive": ["terraform/**", "lib/concurrency/**", "services/gateway/auth.go"],
        "services": {
            "gateway": ("Platform", ["services/gateway/", "lib/concurrency/"]),
            "observability": ("Platform", ["lib/observability/"]),
            "infrastructure": ("Platform", ["terraform/", "deploy/"]),
        },
        "commits": 220,
        "defect_rate": 0.02,
    },
}

VERBS = ("Add", "Fix", "Refactor", "Tidy", "Speed up", "Harden", "Rename", "Document", "Handle", "Validate")
OBJECTS = (
    "retry on timeout",
    "rounding of totals",
    "error messages",
    "input validation",
    "logging of failures",
    "cache invalidation",
    "pagination",
    "currency conversion",
    "null handling",
    "feature flag",
    "batch size",
    "connection reuse",
    "rate limit headers",
    "audit fields",
    "edge case on empty input",
)
WORDS = ("order", "amount", "cart", "item", "user", "token", "price", "stock", "query", "route", "limit", "span")


@dataclass
class CommitSpec:
    """One commit to write: who, when, what message, and the new content of each touched file."""

    author: Person
    at: datetime
    message: str
    files: dict[str, str | None]
    branch: str = "main"
    revert_of: int | None = None  # index of the commit this one reverts
    is_bad: bool = False


@dataclass
class RepoPlan:
    """The full history to write for one demo repository."""

    name: str
    commits: list[CommitSpec] = field(default_factory=list)
    branches: dict[str, list[CommitSpec]] = field(default_factory=dict)


def _line(rng: random.Random, path: str) -> str:
    a, b = rng.choice(WORDS), rng.choice(WORDS)
    n = rng.randint(1, 999)
    if path.endswith(".go"):
        return f"\t{a}{b.title()} := compute{a.title()}(ctx, {n})"
    if path.endswith(".ts"):
        return f"  const {a}{b.title()} = compute{a.title()}(state, {n});"
    if path.endswith(".tf"):
        return f'  {a}_{b} = "{a}-{n}"'
    if path.endswith((".yaml", ".yml")):
        return f"  {a}_{b}: {n}"
    if path.endswith(".sql"):
        return f"ALTER TABLE {a} ADD COLUMN {b}_{n} integer;"
    if path.endswith(".css"):
        return f".{a}-{b} {{ margin: {n % 40}px; }}"
    return f"    {a}_{b} = compute_{a}(context, {n})"


def _edit(rng: random.Random, lines: list[str], path: str, size: int) -> list[str]:
    lines = list(lines)
    remaining = size
    while remaining > 0:
        op = rng.random()
        chunk = max(1, min(remaining, rng.randint(1, 25)))
        pos = rng.randint(0, len(lines))
        if op < 0.55 or len(lines) < 10:
            lines[pos:pos] = [_line(rng, path) for _ in range(chunk)]
        elif op < 0.8:
            del lines[pos : pos + chunk // 2 + 1]
        else:
            end = min(len(lines), pos + chunk)
            lines[pos:end] = [_line(rng, path) for _ in range(end - pos)]
        remaining -= chunk
    return lines


def _size(rng: random.Random) -> int:
    return max(2, min(900, int(rng.lognormvariate(3.4, 0.9))))


def _message(rng: random.Random, person: Person, area: str, ai: bool) -> str:
    subject = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} in {area.split('/')[-1]}"
    body = f"{subject}\n\nKeeps {area} behaving under load; see the linked ticket."
    trailers = []
    if ai:
        trailers.append(rng.choice(AI_TRAILERS))
    if rng.random() < 0.04:
        trailers.append(HUMAN_TRAILER)
    if trailers:
        body += "\n\n" + "\n".join(trailers)
    return body


def _ai_rate(person: Person) -> float:
    return 0.5 if person.level <= 4 else 0.4 if person.level == 5 else 0.2


def plan_repository(name: str, *, seed: int, start: datetime, end: datetime) -> RepoPlan:
    """Plan a realistic history: authors in their own areas, uneven activity, AI trailers, reverts."""
    spec = REPOSITORIES[name]
    rng = random.Random(f"{seed}-{name}")
    people = [p for p in PEOPLE if p.repo == name]
    weights = [p.activity for p in people]
    all_files = [f"{area}/{f}" for area, files in spec["files"].items() for f in files]
    content: dict[str, list[str]] = {
        path: [_line(rng, path) for _ in range(rng.randint(40, 160))] for path in all_files
    }
    owned: dict[str, str] = spec["owned"]
    plan = RepoPlan(name=name)

    # The initial import, by the most senior person of the repository.
    founder = max(people, key=lambda p: (p.level, p.activity))
    plan.commits.append(
        CommitSpec(founder, start, "Initial import", {p: "\n".join(lines) + "\n" for p, lines in content.items()})
    )
    span = (end - start).total_seconds()
    times = sorted(start + timedelta(seconds=rng.uniform(3600, span - 7200)) for _ in range(spec["commits"]))
    times = [t.replace(hour=9 + t.hour % 9) for t in times]
    times.sort()
    pending_reverts: dict[int, int] = {}  # commit index to revert -> index of the commit that reverts it
    before_bad: dict[int, dict[str, list[str]]] = {}
    locked: set[str] = set()  # files of a bad commit not touched again until it is reverted

    for i, at in enumerate(times):
        index = len(plan.commits)
        due = [bad for bad, when in pending_reverts.items() if when <= i]
        if due:
            bad = due[0]
            del pending_reverts[bad]
            bad_commit = plan.commits[bad]
            restored = {}
            for path, old in before_bad[bad].items():
                content[path] = old
                restored[path] = "\n".join(old) + "\n"
                locked.discard(path)
            reverter = rng.choice([p for p in people if p.level >= 5])
            title = bad_commit.message.splitlines()[0]
            plan.commits.append(
                CommitSpec(
                    reverter, at, f'Revert "{title}"\n\nThis reverts commit {{sha:{bad}}}.', restored, revert_of=bad
                )
            )
            continue
        person = rng.choices(people, weights=weights)[0]
        roll = rng.random()
        area = person.areas[0] if roll < 0.7 or len(person.areas) == 1 else person.areas[1]
        if roll > 0.93:
            area = rng.choice(list(spec["files"]))
        candidates = [
            f"{area}/{f}"
            for f in spec["files"][area]
            if owned.get(f"{area}/{f}", person.username) == person.username and f"{area}/{f}" not in locked
        ]
        if not candidates:
            continue
        sources = [c for c in candidates if "test" not in c] or candidates
        tests = [c for c in candidates if "test" in c]
        touched = rng.sample(sources, k=min(len(sources), rng.choice((1, 1, 1, 2, 2, 3))))
        if tests and rng.random() < 0.6:
            touched.append(rng.choice(tests))
        size = _size(rng)
        ai = rng.random() < _ai_rate(person)
        # Defects follow what just-in-time defect prediction finds: size, spread, unfamiliar code, no tests.
        odds = spec["defect_rate"] * min(12.0, (size / 30) ** 1.2)
        odds *= 1.8 if len(touched) > 2 else 1.0
        odds *= 3.0 if area not in person.areas else 1.0
        odds *= 1.5 if person.level <= 4 else 1.0
        odds *= 1.3 if not any("test" in t for t in touched) else 1.0
        odds *= 1.2 if ai else 1.0
        is_bad = 10 <= i < len(times) - 12 and len(pending_reverts) < 3 and rng.random() < odds
        files = {}
        if is_bad:
            before_bad[index] = {p: list(content[p]) for p in touched}
            pending_reverts[index] = i + rng.randint(3, 8)
            locked.update(touched)
        for path in touched:
            content[path] = _edit(rng, content[path], path, max(1, size // len(touched)))
            files[path] = "\n".join(content[path]) + "\n"
        plan.commits.append(CommitSpec(person, at, _message(rng, person, area, ai), files, is_bad=is_bad))

    # Open branches: work in progress, mostly by juniors and mids, many AI-assisted.
    authors = [p for p in people if p.level <= 5] + [p for p in people if p.level >= 6][:2]
    for n in range(26 if name == "shop" else 12):
        person = authors[n % len(authors)]
        ai = rng.random() < (0.75 if person.level <= 5 else 0.3)
        area = person.areas[n % len(person.areas)]
        prefix = rng.choice(("claude", "copilot")) if ai and rng.random() < 0.3 else "feature"
        branch = f"{prefix}/{person.username}-{n + 1}-{rng.choice(WORDS)}-{rng.choice(WORDS)}"
        snapshot = {p: list(lines) for p, lines in content.items()}
        specs = []
        for k in range(rng.choice((1, 1, 2, 3))):
            candidates = [f"{area}/{f}" for f in spec["files"][area] if f"{area}/{f}" not in owned]
            touched = rng.sample(candidates, k=min(len(candidates), rng.choice((1, 2, 2, 3))))
            size = 2600 if (n == 3 and k == 0) else _size(rng)
            files = {}
            for path in touched:
                snapshot[path] = _edit(rng, snapshot[path], path, max(1, size // len(touched)))
                files[path] = "\n".join(snapshot[path]) + "\n"
            if k == 0 and n == 5:
                # A credential pasted into a settings file: the secrets gate sends it back to the author.
                key = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
                files[f"{area}/settings_local.py"] = f'AWS_ACCESS_KEY_ID = "{key}"\nAWS_REGION = "eu-west-1"\n'
            if k == 0 and n == 8:
                # A lock file regenerated without its manifest: the lockfiles gate fails.
                files[f"{area}/package-lock.json"] = '{\n  "name": "storefront",\n  "lockfileVersion": 3\n}\n'
            at = end - timedelta(hours=rng.uniform(2, 120)) + timedelta(minutes=10 * k)
            specs.append(CommitSpec(person, min(at, end), _message(rng, person, area, ai), files, branch=branch))
        plan.branches[branch] = specs
    return plan


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def fast_import_commit(spec: CommitSpec, ref: str, parent: str | None, mark: int) -> bytes:
    """One commit in git fast-import syntax (the message must already have its SHAs filled in)."""
    stamp = f"{int(spec.at.timestamp())} +0000"
    ident = f"{spec.author.name} <{spec.author.email}> {stamp}"
    out = [f"commit {ref}\nmark :{mark}\nauthor {ident}\ncommitter {ident}\n".encode(), _data(spec.message)]
    if parent:
        out.append(f"from {parent}\n".encode())
    for path, text in sorted(spec.files.items()):
        if text is None:
            out.append(f"D {path}\n".encode())
        else:
            out.append(f"M 100644 inline {path}\n".encode() + _data(text))
    out.append(b"\n")
    return b"".join(out)
