"""The release number, in a module of its own: generated code records it, and importing it
from here (not from the package's `__init__`) keeps the import graph free of cycles."""

__version__ = "0.1.0"
