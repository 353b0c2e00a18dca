"""The LaTeX matcalc prints renders: KaTeX (node, tests/katex/) parses every string.

Checked here: every identity-table result and input, the LaTeX the README and docs
examples produce (and the LaTeX they show as command output), and — last in the run —
every LaTeX string produced anywhere in the test session (collected by conftest.py).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import matcalc
from identities_table import ROWS
from katex_check import rejected, report

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_checker_rejects_what_katex_cannot_render():
    bad = [r"\frac{1}", r"\left( X", r"X^{\top", r"\operatorname{tr}\left(X\right", r"\notacommand X"]
    good = [r"2 X^{\top} \left(X w - y\right)", r"\frac{1}{2} \left\| x \right\|^{2}"]
    assert [r["latex"] for r in rejected(good + bad)] == bad


def test_identity_table_results_and_inputs_render():
    strings = []
    for row in ROWS:
        shapes = row.shapes if row.declare else None
        strings += [matcalc.derive(row.expr, wrt=row.wrt, shapes=shapes).latex,
                    matcalc.parse(row.expr, shapes=shapes).latex]
    assert len(strings) == 2 * len(ROWS)
    bad = rejected(strings)
    assert not bad, report(bad)


def test_derivation_steps_render():
    strings = []
    for row in ROWS:
        d = matcalc.derive(row.expr, wrt=row.wrt, shapes=row.shapes if row.declare else None)
        for step in d.steps:
            strings += [step.latex, step.equation_latex, step.rule_latex]
    bad = rejected(strings)
    assert not bad, report(bad)


def test_mlp_equations_render():
    nets = [matcalc.mlp([784, 500, 10]),
            matcalc.mlp([3, 4, 5, 2], hidden=["tanh", "sigmoid"], loss="mse", output="sigmoid"),
            matcalc.mlp([3, 4, 2], hidden="identity", loss="mse", layout="rows", bias=False),
            matcalc.mlp([6, 5, 1], hidden="relu", loss="sigmoid_bce")]
    bad = rejected(net.latex for net in nets)
    assert not bad, report(bad)


# Runs every ```python block of the docs (each with fresh globals, output discarded) while
# recording LaTeX, and prints what was recorded as one JSON list.
RUN_BLOCKS = """
import contextlib, io, json, sys
sys.path.insert(0, sys.argv[1])
from katex_check import recording_latex
blocks = json.load(sys.stdin)
with recording_latex() as seen:
    for name, code in blocks:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, name, "exec"), {"__name__": "__main__"})
print(json.dumps(list(seen)))
"""


def _blocks(kind):
    return [(f"{path.name}#{i}", block) for path in DOCS for i, block in
            enumerate(re.findall(rf"```{kind}\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL))]


def _shown_cli_latex():
    """LaTeX shown as the output of `matcalc derive` in console blocks (latex or json format)."""
    shown = []
    for _, block in _blocks("console"):
        command = None
        for line in block.splitlines():
            if line.startswith("$ "):
                command = line
            elif command and "matcalc derive" in command and line.strip():
                if "--format json" in command:
                    shown.append(json.loads(line)["latex"])
                elif "--format" not in command or "--format latex" in command:
                    shown.append(line)
    return shown


def test_docs_examples_latex_renders():
    blocks = [(name, "\n".join(line for line in block.splitlines() if not line.startswith("# ")))
              for name, block in _blocks("python")]
    run = subprocess.run([sys.executable, "-c", RUN_BLOCKS, str(Path(__file__).parent)],
                         input=json.dumps(blocks), capture_output=True, check=False, text=True,
                         encoding="utf-8", cwd=ROOT)
    assert run.returncode == 0, run.stderr
    produced = json.loads(run.stdout)
    shown = _shown_cli_latex()
    assert produced and shown, "the docs should produce and show LaTeX"
    bad = rejected(produced + shown)
    assert not bad, report(bad)


@pytest.mark.katex_last
def test_all_latex_produced_in_this_session_renders(latex_seen):
    strings = list(latex_seen)
    if not strings:
        pytest.skip("no LaTeX was produced in this run")
    bad = rejected(strings)
    assert not bad, report(bad)
