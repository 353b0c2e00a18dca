"""Every Python example in README.md and docs/ runs, and prints what it shows.

In a block, lines starting with `# ` after the code are its expected output (a lone `#`
stands for an empty line of output)."""

import importlib.util
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
    # Examples on real data need scikit-learn (in the test extra, so CI always has it).
    if "sklearn" in block and importlib.util.find_spec("sklearn") is None:
        pytest.skip("scikit-learn is not installed: pip install -e '.[test]'")
    lines = block.splitlines()
    shown = [line.startswith("# ") or line == "#" for line in lines]
    code = "\n".join(line for line, out in zip(lines, shown) if not out)
    expected = [line[2:] for line, out in zip(lines, shown) if out]
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, text=True, cwd=ROOT,
                         encoding="utf-8")
    assert run.returncode == 0, run.stderr
    if expected:
        assert run.stdout.rstrip("\n").splitlines() == expected


def test_there_are_examples():
    assert len(BLOCKS) >= 6
