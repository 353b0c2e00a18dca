"""A rule as the derivation steps show it: its name, the name in LaTeX, and why it holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Formula:
    name: str
    latex: str  # the name as LaTeX (KaTeX-safe)
    justification: str
