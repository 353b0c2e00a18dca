"""Each case reported in the reliability issue (#14), reproduced: generated code, printed
results, input reading, evaluation, internal errors and bounded work.  Sections follow the
issue's numbering."""

from __future__ import annotations

import matcalc  # noqa: F401


# --- 1. Generated code parenthesizes by Python's precedence --------------------------------




# --- 2, 3. Printed results read back; 𝟙 in input -------------------------------------------




# --- 4. Derivatives of functions defined nowhere -------------------------------------------




# --- 5. Silent misreads ---------------------------------------------------------------------




# --- 6, 7, 9. Evaluation, internal errors, code names ---------------------------------------




# --- 8. Bounded work ------------------------------------------------------------------------
