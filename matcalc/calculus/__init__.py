"""The calculus: derivatives of any order, simplified, in the layout S + V.

    derivative.py    derive(f, wrt): the one entry — each step a gradient or a Jacobian
    domain.py        parts defined nowhere (1/(a − a)), refused before deriving
    gradient.py      reverse-mode gradient of a scalar expression (adjoint rules)
    jacobian.py      derivatives of anything else, by index notation
    matrix_form.py   index notation read back as matrices where it has a matrix form
    limits.py        the bounds on a derivative's size, checked before the work
"""

from .derivative import derive

__all__ = ["derive"]
