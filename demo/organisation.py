"""The demo organisation: its people, teams and repositories, as plain data (pure, no ORM)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

SEED = 20261125
WEEKS = 24  # length of the generated history: longer than the 90-day activity window of the metrics


@dataclass(frozen=True)
class Person:
    """A demo engineer; `joined` and `left` are the weeks of the history when they start and stop committing."""

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
    joined: int = 0
    left: int | None = None
    away_days: int = 0  # away from today for this many days (holiday, leave)

    @property
    def email(self) -> str:
        return f"{self.username}@countersign.example"

    def is_active_in(self, week: int) -> bool:
        """Committing in that week of the history (0 is the first)."""
        return week >= self.joined and (self.left is None or week < self.left)


TEAMS = ("Payments", "Storefront", "Platform")

PEOPLE: tuple[Person, ...] = (
    # Payments: shop repository, payments and checkout.
    Person("maya", "Maya Okafor", 6, "Payments", "shop", ("services/payments", "lib/auth"), 1.2, capacity=600),
    Person("tomas", "Tomás Silva", 7, "Payments", "shop", ("services/payments", "migrations"), 1.6),
    Person("priya", "Priya Raman", 6, "Payments", "shop", ("services/checkout", "services/payments"), 1.0, away_days=6),
    Person("leo", "Leo Park", 4, "Payments", "shop", ("services/checkout", "services/payments"), 1.4),
    Person("hana", "Hana Kim", 3, "Payments", "shop", ("services/checkout",), 0.8, joined=5),
    Person("omar", "Omar Haddad", 5, "Payments", "shop", ("services/payments", "services/checkout"), 1.3),
    Person("julia", "Julia Weber", 5, "Payments", "shop", ("lib/auth", "services/checkout"), 0.9),
    Person("sven", "Sven Larsen", 4, "Payments", "shop", ("services/checkout",), 1.1, left=9),
    Person("aiko", "Aiko Tanaka", 4, "Payments", "shop", ("services/payments",), 1.2, left=7),
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
        capacity=30,  # incidents take most of her week: little time left for reviews
        incident_reviewer=True,
    ),
    Person("daniel", "Daniel Cohen", 8, "Storefront", "shop", ("services/catalog", "services/search"), 1.0, left=10),
    Person("chloe", "Chloe Martin", 6, "Storefront", "shop", ("web/storefront",), 1.3),
    Person("ravi", "Ravi Patel", 5, "Storefront", "shop", ("services/search", "services/catalog"), 1.2),
    Person("emma", "Emma Johansson", 5, "Storefront", "shop", ("web/storefront",), 1.1),
    Person("lucas", "Lucas Rossi", 4, "Storefront", "shop", ("web/storefront", "services/catalog"), 1.5),
    Person("fatima", "Fatima Zahra", 3, "Storefront", "shop", ("services/catalog",), 0.9, joined=8),
    Person("noah", "Noah Brown", 4, "Storefront", "shop", ("services/search",), 0.8, joined=6),
    Person("mei", "Mei Chen", 5, "Storefront", "shop", ("services/catalog", "web/storefront"), 1.0),
    Person("victor", "Victor Nowak", 6, "Storefront", "shop", ("services/search",), 0.8, away_days=10),
    # Platform: platform repository.
    Person("ada", "Ada Nwosu", 8, "Platform", "platform", ("lib/concurrency", "services/gateway"), 0.8),
    Person("karl", "Karl Schmidt", 7, "Platform", "platform", ("terraform", "deploy"), 1.4),
    Person("sofia", "Sofia Greco", 6, "Platform", "platform", ("services/gateway", "lib/observability"), 1.2),
    Person("mateo", "Mateo Diaz", 6, "Platform", "platform", ("terraform",), 0.9, incident_reviewer=True),
    Person("yusuf", "Yusuf Demir", 5, "Platform", "platform", ("services/gateway",), 1.3),
    Person("elena", "Elena Popescu", 5, "Platform", "platform", ("lib/observability", "deploy"), 1.0),
    Person("jonas", "Jonas Berg", 4, "Platform", "platform", ("deploy", "terraform"), 1.1),
    Person("nadia", "Nadia Ivanova", 3, "Platform", "platform", ("services/gateway",), 0.8, joined=6),
    Person("ben", "Ben Carter", 4, "Platform", "platform", ("lib/observability",), 1.1, left=8),
    Person("zoe", "Zoe Adams", 5, "Platform", "platform", ("lib/concurrency", "services/gateway"), 1.0, left=11),
)

REPOSITORIES: dict[str, dict] = {
    "shop": {
        "files": {
            "services/payments": (
                "charge.py",
                "refunds.py",
                "ledger.py",
                "api.py",
                "fx_rates.py",
                "payouts.py",
                "tests/test_charge.py",
                "tests/test_refunds.py",
            ),
            "services/checkout": (
                "cart.py",
                "pricing.py",
                "api.py",
                "promotions.py",
                "gift_cards.py",
                "tests/test_cart.py",
                "tests/test_pricing.py",
            ),
            "services/catalog": ("products.py", "inventory.py", "api.py", "feeds.py", "tests/test_products.py"),
            "services/search": ("index.py", "ranking.py", "query.py", "synonyms.py", "tests/test_ranking.py"),
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
        # Files that only one person ever changes: knowledge held by one person (lost when they leave).
        "owned": {
            "services/payments/fx_rates.py": "tomas",
            "services/payments/ledger.py": "aiko",
            "services/payments/payouts.py": "aiko",
            "services/checkout/gift_cards.py": "sven",
            "services/catalog/feeds.py": "daniel",
            "services/checkout/promotions.py": "sven",
            "services/search/ranking.py": "victor",
            "services/search/synonyms.py": "daniel",
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
        "commits": 430,
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
            "lib/concurrency": ("pool.go", "semaphore.go", "backoff.go", "pool_test.go"),
            "lib/observability": ("metrics.go", "tracing.go", "sampling.go", "logging.go", "metrics_test.go"),
            "terraform": ("network.tf", "database.tf", "cluster.tf", "variables.tf"),
            "deploy": ("gateway.yaml", "workers.yaml", "pipeline.yaml"),
        },
        "owned": {
            "lib/concurrency/semaphore.go": "ada",
            "lib/observability/tracing.go": "ben",
            "lib/observability/sampling.go": "ben",
            "lib/concurrency/backoff.go": "zoe",
            "terraform/database.tf": "karl",
        },
        "sensitive": ["terraform/**", "lib/concurrency/**", "services/gateway/auth.go"],
        "services": {
            "gateway": ("Platform", ["services/gateway/", "lib/concurrency/"]),
            "observability": ("Platform", ["lib/observability/"]),
            "infrastructure": ("Platform", ["terraform/", "deploy/"]),
        },
        "commits": 270,
    },
}


def services_of(repo: str, paths: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The services of a demo repository whose code holds any of the paths."""
    spec = REPOSITORIES[repo]["services"]
    return tuple(name for name, (_, prefixes) in spec.items() if any(p.startswith(tuple(prefixes)) for p in paths))


def history_span(today: date) -> tuple[datetime, datetime]:
    """Start and end of the generated history: WEEKS whole ISO weeks (UTC), the last one the week of `today`.

    Aligned on weeks and not on the day, so that the same history comes out whichever day of the week the demo is
    seeded (the part of the current week after today is left out), and only moves by whole weeks after that.
    """
    monday = datetime.combine(today - timedelta(days=today.weekday()), time.min, tzinfo=UTC)
    end = monday + timedelta(weeks=1)
    return end - timedelta(weeks=WEEKS), end


def deploy_time(merged_at: datetime) -> datetime:
    """The demo's deployment train: what merged in a four-hour window ships 20 minutes after the window closes."""
    window = merged_at.replace(minute=0, second=0, microsecond=0)
    return window - timedelta(hours=window.hour % 4) + timedelta(hours=4, minutes=20)


def ai_rate(person: Person, progress: float) -> float:
    """Juniors lean on AI most, seniors least; everyone more as the half year goes on."""
    base = 0.5 if person.level <= 4 else 0.4 if person.level == 5 else 0.2
    return min(0.9, base * (0.7 + 0.6 * progress))


def commit_times(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """Working hours of working days mostly; busy and quiet weeks; a little growth over the period."""
    days = (end - start).days
    week_factor = [max(0.35, rng.gauss(1.0, 0.25)) for _ in range(days // 7 + 1)]
    week_factor[max(0, days // 7 - 9)] = 0.55  # a holiday week, inside the last quarter
    weights = []
    for d in range(days):
        day = start + timedelta(days=d)
        weight = 0.06 if day.weekday() >= 5 else 1.0
        weights.append(weight * week_factor[d // 7] * (0.8 + 0.4 * d / max(1, days)))
    picked = rng.choices(range(days), weights=weights, k=count)
    times = []
    for d in picked:
        hour = rng.triangular(8.5, 19.0, 11.0)
        times.append(start + timedelta(days=d, seconds=int(hour * 3600) + rng.randint(0, 59)))
    return sorted(times)
