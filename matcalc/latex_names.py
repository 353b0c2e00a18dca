"""The LaTeX spelling of names, shared by the printer (printing.py) and the LaTeX reader
(parser.py with grammars/latex.lark): one table both ways, so what is printed reads back."""

from __future__ import annotations

GREEK_LATEX = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu",
    "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta",
    "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi",
    "Ω": "Omega",
}
# Command → letter; the var- forms are other glyphs of the same letters.
GREEK_LETTERS = {command: letter for letter, command in GREEK_LATEX.items()} | {
    "varepsilon": "ε", "vartheta": "θ", "varphi": "φ", "varrho": "ρ", "varsigma": "σ", "varpi": "π",
}

SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
PLAIN_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def split_label(name: str) -> tuple[str, str]:
    """A name's layer label apart: 'W⁽¹⁾' → ('W', '1'); 'W1' → ('W1', '')."""
    if name.endswith("⁾") and "⁽" in name:
        base, _, label = name[:-1].rpartition("⁽")
        return base, label.translate(PLAIN_SUPERSCRIPTS)
    return name, ""
