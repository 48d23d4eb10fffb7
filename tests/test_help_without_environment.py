"""Every management command's --help works with no environment at all (no SECRET_KEY, no database)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = sorted(p.stem for p in ROOT.glob("*/management/commands/*.py") if not p.stem.startswith("_"))


@pytest.mark.parametrize("command", COMMANDS)
def test_help_without_environment(command, tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "PORTAL_DATA_DIR": str(tmp_path)}
    result = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, str(ROOT / "manage.py"), command, "--help"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"usage: manage.py {command}" in result.stdout
    assert "Traceback" not in result.stderr
    # The description is printed as written (argparse formats only arguments' help): "%%" would show doubled.
    assert "%%" not in result.stdout
