"""Helpers for tests of generated code: run it where matcalc cannot be imported, lint it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Prepended to a script: from then on `import matcalc` fails, as in a project that only
# copied the generated module.
BLOCK_MATCALC = """
import sys
sys.modules["matcalc"] = None
try:
    import matcalc
except ImportError:
    pass
else:
    raise SystemExit("matcalc was importable")
"""

needs_ruff = pytest.mark.skipif(importlib.util.find_spec("ruff") is None,
                                reason="ruff is not installed (pip install -e '.[dev]')")


def run_without_matcalc(script: str, cwd: Path) -> str:
    """Run `script` in a fresh interpreter in `cwd` with matcalc blocked; its stdout."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", BLOCK_MATCALC + script], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_ruff_clean(folder: Path) -> None:
    """ruff's default rules, no configuration from the repository, on every file in folder."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
                             str(folder)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
