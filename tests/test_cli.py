"""The command line: LaTeX by default, text and JSON, shapes, stdin, exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import matcalc
from matcalc.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_default_is_latex_of_the_seed_example(capsys):
    assert run(capsys, "derive", "(Xw-y)^T(Xw-y)", "--wrt", "w") == \
        (0, r"2 X^{\top} \left(X w - y\right)", "")


def test_text_format_is_the_str_of_the_derivative(capsys):
    code, out, _ = run(capsys, "derive", "tr(AXB)", "--wrt", "X", "--format", "text")
    assert (code, out) == (0, str(matcalc.derive("tr(AXB)", wrt="X")))


def test_json_format_carries_shape_text_and_latex(capsys):
    code, out, _ = run(capsys, "derive", "tr(AXB)", "--wrt", "X", "--format", "json",
                       "--shape", "A=n,m", "--shape", "X=m,3", "--shape", "B=3,n")
    data = json.loads(out)
    assert code == 0
    assert data == {"expression": "tr(AXB)", "wrt": ["X"], "shape": ["m", 3],
                    "shapes": {"A": ["n", "m"], "X": ["m", 3], "B": [3, "n"]},
                    "text": "AᵀBᵀ", "latex": r"A^{\top} B^{\top}"}


@pytest.mark.parametrize("spec, dims", [("X=m,n", ["m", "n"]), ("x=n", ["n"]), ("x=(4)", [4])])
def test_shape_declarations(capsys, spec, dims):
    name = spec.split("=")[0]
    code, out, _ = run(capsys, "derive", f"sum({name})", "--wrt", name, "--shape", spec, "--format", "json")
    assert code == 0 and json.loads(out)["shape"] == dims


def test_scalar_shape_declaration(capsys):
    code, out, _ = run(capsys, "derive", "a*x'x", "--wrt", "a", "--shape", "a=", "--format", "text")
    assert (code, out) == (0, "xᵀx")


def test_parse_error_is_one_line_with_position_and_exit_1(capsys):
    code, out, err = run(capsys, "derive", "(Xw - y", "--wrt", "w")
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and "line 1, column 8" in err


def test_shape_error_exit_1(capsys):
    code, _, err = run(capsys, "derive", "X*y", "--wrt", "y", "--shape", "X=m,n", "--shape", "y=m")
    assert code == 1 and "cannot multiply X (m×n) by y (m)" in err


@pytest.mark.parametrize("argv", [["derive", "x"], ["derive", "x", "--wrt", "x", "--shape", "bad"],
                                  ["derive", "x", "--wrt", "x", "--format", "pdf"], []])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_expression_from_stdin_and_no_traceback_in_a_subprocess():
    ok = subprocess.run([sys.executable, "-m", "matcalc", "derive", "-", "--wrt", "x", "--format", "text"],
                        input="x'Ax", capture_output=True, check=False, text=True)
    assert (ok.returncode, ok.stdout.strip()) == (0, "(A + Aᵀ)x")
    bad = subprocess.run([sys.executable, "-m", "matcalc", "derive", "-", "--wrt", "x"],
                         input=b"\xff\xfe x", capture_output=True, check=False)
    assert bad.returncode == 1 and b"Traceback" not in bad.stderr and b"UTF-8" in bad.stderr


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"matcalc {matcalc.__version__}"


def test_version_is_the_installed_distribution_version():
    from importlib.metadata import version
    assert version("matcalc-symbolic") == matcalc.__version__


MAIN_CASES = [(["derive", "x'Ax", "--wrt", "x"], 0), (["derive", "(Xw - y", "--wrt", "w"], 1),
              (["--version"], 0), (["derive", "x"], 2)]


@pytest.mark.parametrize("argv, code", MAIN_CASES, ids=["ok", "parse-error", "version", "usage-error"])
def test_python_dash_m_matcalc_is_the_matcalc_command(argv, code):
    script = Path(sys.executable).with_name("matcalc")
    if not script.exists():
        pytest.skip(f"the console script is not installed next to {sys.executable}")
    command, module = (subprocess.run(cmd + argv, capture_output=True, check=False, text=True)
                       for cmd in ([str(script)], [sys.executable, "-m", "matcalc"]))
    assert command.returncode == code and (command.stdout or command.stderr)
    assert (module.returncode, module.stdout, module.stderr) == \
        (command.returncode, command.stdout, command.stderr)


def test_a_wrt_name_not_in_the_expression_is_a_note_with_the_nearest_name(capsys):
    """`--wrt W` of an expression in w: zeros, as the contract says, exit 0, and a note."""
    code, out, err = run(capsys, "derive", "(Xw-y)^T(Xw-y)", "--wrt", "W", "--format", "text")
    assert code == 0 and out.startswith("0")
    assert err == "matcalc: note: 'W' does not occur in the expression, so the derivative is zero; did you mean 'w'?"
    assert run(capsys, "derive", "(Xw-y)^T(Xw-y)", "--wrt", "w", "--format", "text")[2] == ""
