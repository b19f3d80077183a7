"""The documents a newcomer reads stay true to the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_compatibility_table_matches_the_routes():
    result = subprocess.run([sys.executable, "scripts/coverage.py", "--check"], cwd=ROOT)
    assert result.returncode == 0, "docs/compatibility.md is stale: run scripts/coverage.py"


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make serve" in readme and "make test" in readme
