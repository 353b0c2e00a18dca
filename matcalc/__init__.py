"""matcalc: symbolic matrix calculus that prints textbook results.

    >>> import matcalc
    >>> print(matcalc.derive("(Xw - y)^T(Xw - y)", wrt="w"))
    2Xᵀ(Xw − y)
"""

from .version import __version__
from .api import Derivative, Expression, derive, from_sympy, mlp, parse
from .errors import (EvaluationError, LimitError, MatcalcError, MatcalcWarning, ParseError, ShapeError, UndefinedValueError,
                     UnsupportedError)

__all__ = ["Derivative", "EvaluationError", "Expression", "LimitError", "MatcalcError", "MatcalcWarning", "ParseError",
           "ShapeError", "UndefinedValueError", "UnsupportedError", "__version__", "derive", "from_sympy", "mlp", "parse"]
