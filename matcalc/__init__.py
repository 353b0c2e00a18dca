"""matcalc: symbolic matrix calculus that prints textbook results.

    >>> import matcalc
    >>> print(matcalc.derive("(Xw - y)^T(Xw - y)", wrt="w"))
    2Xᵀ(Xw − y)
"""

from .api import Derivative, Expression, derive, from_sympy, parse
from .errors import EvaluationError, MatcalcError, ParseError, ShapeError, UnsupportedError

__version__ = "0.1.0"
__all__ = ["derive", "parse", "from_sympy", "Derivative", "Expression", "MatcalcError", "ParseError",
           "ShapeError", "UnsupportedError", "EvaluationError", "__version__"]
