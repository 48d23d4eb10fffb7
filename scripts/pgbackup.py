"""Back up and restore Countersign's PostgreSQL database with pg_dump -Fc / pg_restore (`make backup`, `make restore`).

    python scripts/pgbackup.py backup [--out FILE]             # DATABASE_URL -> FILE (default var/backups/...)
    python scripts/pgbackup.py restore FILE [--clean]          # FILE -> DATABASE_URL (refuses a non-empty one)

The connection comes from DATABASE_URL (or --database-url); the password goes to the tools in PGPASSWORD, never on
their command line, and the tools run from argument lists (no shell). The ledger's anchors live outside the
database (PORTAL_LEDGER_ANCHOR_DIR): copy that directory alongside, and run `manage.py verify_ledger` after a restore.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
TIMEOUT_SECONDS = 6 * 3600


@dataclass(frozen=True)
class Target:
    """Where the database is: libpq's connection options, password apart."""

    host: str
    port: str
    user: str
    password: str
    name: str

    def argv(self) -> list[str]:
        """The connection options for pg_dump, pg_restore and psql."""
        return ["--host", self.host, "--port", self.port, "--username", self.user, "--dbname", self.name]

    def env(self) -> dict[str, str]:
        """The environment of a tool: the password, if any, in PGPASSWORD."""
        env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
        return {**env, "PGPASSWORD": self.password} if self.password else env


def parse_url(url: str) -> Target:
    """A postgres:// URL's parts; anything else is refused."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit(f"not a PostgreSQL URL (scheme {parts.scheme!r}); backups need PostgreSQL")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise SystemExit("the database URL names no database")
    return Target(
        host=parts.hostname or "127.0.0.1",
        port=str(parts.port or 5432),
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        name=name,
    )


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found on PATH (install the PostgreSQL client tools of the server's version)")
    return found


def backup(target: Target, out: Path) -> Path:
    """Dump the database in pg_dump's custom format (compressed, restorable table by table) to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")  # a dump cut short never takes the final name
    argv = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial)]
    subprocess.run([*argv, *target.argv()], env=target.env(), check=True, timeout=TIMEOUT_SECONDS)  # noqa: S603
    partial.replace(out)
    return out


def _table_count(target: Target) -> int:
    query = "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    argv = [_tool("psql"), "--no-psqlrc", "--tuples-only", "--no-align", "--command", query, *target.argv()]
    done = subprocess.run(  # noqa: S603
        argv, env=target.env(), check=True, timeout=60, capture_output=True, text=True
    )
    return int(done.stdout.strip() or 0)


def restore(target: Target, dump: Path, *, clean: bool = False) -> None:
    """Restore `dump` into the database in one transaction; a database with tables is refused unless `clean`."""
    if not dump.is_file():
        raise SystemExit(f"no backup at {dump}")
    if not clean and _table_count(target):
        raise SystemExit(f"database {target.name} is not empty: restore into a fresh one, or pass --clean")
    argv = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if clean:
        argv += ["--clean", "--if-exists"]
    argv += [*target.argv(), "--", str(dump)]
    subprocess.run(argv, env=target.env(), check=True, timeout=TIMEOUT_SECONDS)  # noqa: S603


def main(args: list[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(description="Back up or restore Countersign's PostgreSQL database.")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), help="default: DATABASE_URL")
    commands = parser.add_subparsers(dest="command", required=True)
    dump = commands.add_parser("backup", help="pg_dump -Fc the database to a file")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dump.add_argument("--out", type=Path, default=BASE_DIR / "var" / "backups" / f"countersign-{stamp}.dump")
    load = commands.add_parser("restore", help="pg_restore a file into the database")
    load.add_argument("file", type=Path)
    load.add_argument("--clean", action="store_true", help="drop the objects in the backup first (a non-empty db)")
    options = parser.parse_args(args)
    if not options.database_url:
        parser.error("set DATABASE_URL (or pass --database-url)")
    target = parse_url(options.database_url)
    try:
        if options.command == "backup":
            print(f"backed up {target.name} to {backup(target, options.out)}")  # noqa: T201
        else:
            restore(target, options.file, clean=options.clean)
            print(f"restored {options.file} into {target.name}; now run: manage.py verify_ledger")  # noqa: T201
    except subprocess.CalledProcessError as exc:
        print(f"{Path(exc.cmd[0]).name} failed with exit status {exc.returncode}", file=sys.stderr)  # noqa: T201
        return exc.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
