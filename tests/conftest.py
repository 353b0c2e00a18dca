import os
import sys
from pathlib import Path

# Every simplification in the suite checks its invariants after each rewrite (shape kept,
# no new variable; matcalc/simplifier.py).  Set before matcalc is imported, and inherited
# by the subprocesses the tests start.  MATCALC_CHECK_REWRITES=0 turns it off.
os.environ.setdefault("MATCALC_CHECK_REWRITES", "1")

import pytest
from hypothesis import settings

# The numeric helpers (fd.py) live beside the tests, not in the package.
sys.path.insert(0, str(Path(__file__).parent))

from katex_check import recording_latex  # found through the path above

# CI replays a fixed set of examples, so whether a submission lands never depends on the
# draw; local runs keep exploring (and remember failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


# Every LaTeX string the session produces is noted (the printer and the `latex`
# properties are wrapped here, in the harness), and the test marked `katex_last`, moved
# to the end of the run, renders them all with KaTeX in one node process.
@pytest.fixture(scope="session", autouse=True)
def latex_seen():
    with recording_latex() as seen:
        yield seen


def pytest_collection_modifyitems(items):
    last = [item for item in items if item.get_closest_marker("katex_last")]
    items[:] = [item for item in items if not item.get_closest_marker("katex_last")] + last
