import os
import sys
from pathlib import Path

from hypothesis import settings

# The numeric helpers (fd.py) live beside the tests, not in the package.
sys.path.insert(0, str(Path(__file__).parent))

# CI replays a fixed set of examples, so whether a submission lands never depends on the
# draw; local runs keep exploring (and remember failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
