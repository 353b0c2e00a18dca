"""LaTeX validation by the real KaTeX (node + the npm package pinned in tests/katex/).

`rejected(strings)` renders every string in one node process and returns those KaTeX
refuses, with its message.  `recording_latex()` notes every LaTeX string matcalc produces
while it is active: every `latex` property or field and `_repr_latex_` of matcalc's
classes (wrapped by the test harness, never in the library).
Where node or the npm package is missing the checks skip, saying how to install them,
unless MATCALC_REQUIRE_KATEX is set (as in .ci/run): then they fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

KATEX_DIR = Path(__file__).resolve().parent / "katex"
CHECK = KATEX_DIR / "check.js"


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (KATEX_DIR / "node_modules" / "katex").is_dir():
        return "the katex npm package is not installed (npm ci --prefix tests/katex)"
    return None


def require_katex() -> None:
    """Skip (locally) or fail (MATCALC_REQUIRE_KATEX set) when KaTeX cannot run."""
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("MATCALC_REQUIRE_KATEX"):
        pytest.fail(f"KaTeX is required (MATCALC_REQUIRE_KATEX is set) but {reason}")
    pytest.skip(f"KaTeX check skipped: {reason}; set MATCALC_REQUIRE_KATEX=1 to fail instead")


def rejected(strings: Iterable[str]) -> list[dict[str, str]]:
    """The strings KaTeX cannot render, as {"latex": ..., "error": ...}, in input order."""
    require_katex()
    unique = list(dict.fromkeys(strings))
    run = subprocess.run(["node", "--expose-gc", str(CHECK)], input="".join(json.dumps(s) + "\n" for s in unique),
                         capture_output=True, check=False, text=True, encoding="utf-8")
    if run.returncode not in (0, 1):
        pytest.fail(f"the KaTeX checker failed (exit {run.returncode}): {run.stderr}")
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def _has_latex_field(cls: type) -> bool:
    return dataclasses.is_dataclass(cls) and any(f.name == "latex" for f in dataclasses.fields(cls))


def _latex_classes() -> list[type]:
    """matcalc's classes that hand out LaTeX (a `latex` property or dataclass field, or
    `_repr_latex_`)."""
    found: dict[type, None] = {}
    for name, module in list(sys.modules.items()):
        if name == "matcalc" or name.startswith("matcalc."):
            for value in list(vars(module).values()):
                if isinstance(value, type) and value.__module__ == name and (
                        isinstance(value.__dict__.get("latex"), property) or "_repr_latex_" in value.__dict__
                        or _has_latex_field(value)):
                    found[value] = None
    return list(found)


@contextlib.contextmanager
def recording_latex() -> Iterator[dict[str, None]]:
    """Notes (in insertion order, once each) every LaTeX string produced inside the block."""
    import matcalc  # noqa: F401  (loads the modules whose classes are wrapped)

    seen: dict[str, None] = {}

    def note(text: Any) -> Any:
        if isinstance(text, str):
            seen[text] = None
        return text

    def wrap_property(prop: property) -> property:
        getter = prop.fget
        assert getter is not None
        return property(lambda self: note(getter(self)), doc=prop.__doc__)

    def wrap_repr_latex(method: Any) -> Any:
        def _repr_latex_(self: Any) -> Any:
            text = method(self)
            if isinstance(text, str):
                note(text.strip().strip("$"))
            return text
        return _repr_latex_

    def wrap_init(init: Any) -> Any:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            note(self.latex)
        return __init__

    with pytest.MonkeyPatch.context() as patch:
        for cls in _latex_classes():
            if isinstance(cls.__dict__.get("latex"), property):
                patch.setattr(cls, "latex", wrap_property(cls.__dict__["latex"]))
            if _has_latex_field(cls):
                patch.setattr(cls, "__init__", wrap_init(cls.__init__))
            if "_repr_latex_" in cls.__dict__:
                patch.setattr(cls, "_repr_latex_", wrap_repr_latex(cls.__dict__["_repr_latex_"]))
        yield seen


def report(bad: list[dict[str, str]]) -> str:
    return "KaTeX rejects:\n" + "\n".join(f"  {b['latex']!r}: {b['error']}" for b in bad)
