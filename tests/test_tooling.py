"""The package type-checks under `mypy --strict` and passes `ruff check` (the `dev` extra).

Each linter runs when it is installed and skips, saying so, when it is not; `.ci/run`
installs the `dev` extra, so CI always runs both.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_module(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, check=False,
                          text=True, cwd=ROOT)


@pytest.mark.slow
def test_mypy_strict_is_clean():
    run = _run_module("mypy", "--strict", "matcalc")
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_check_is_clean():
    run = _run_module("ruff", "check", "matcalc", "tests")
    assert run.returncode == 0, run.stdout + run.stderr


def test_package_is_marked_typed():
    assert (ROOT / "matcalc" / "py.typed").is_file()


def test_readme_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    (command,) = [line for line in ci if line.startswith("python3 -m venv")]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```sh\n{command}\n```" in readme
