"""Every Python example in README.md and docs/ runs, and prints what it shows.

In a block, lines starting with `# ` after the code are its expected output."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [(path.name, i, block) for path in FILES
          for i, block in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL))]


@pytest.mark.parametrize("name, index, block", BLOCKS, ids=[f"{n}#{i}" for n, i, _ in BLOCKS])
def test_example_runs_and_prints_what_it_shows(name, index, block):
    lines = block.splitlines()
    code = "\n".join(line for line in lines if not line.startswith("# "))
    expected = [line[2:] for line in lines if line.startswith("# ")]
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, text=True, cwd=ROOT,
                         encoding="utf-8")
    assert run.returncode == 0, run.stderr
    if expected:
        assert run.stdout.rstrip("\n").splitlines() == expected


def test_there_are_examples():
    assert len(BLOCKS) >= 6
