import sys
from pathlib import Path

# The numeric helpers (fd.py) live beside the tests, not in the package.
sys.path.insert(0, str(Path(__file__).parent))
