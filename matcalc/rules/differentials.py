"""The differential of every node type, as a table: node, d(children) → dF.

`d[i]` is the differential of the i-th child (None where it is zero).  Each rule is the
scalar product/chain rule with the operands kept in their order — the seed's
"treat them as scalars" step — and builds only linear structure in the d's, which
`adjoints.py` knows how to transpose.
"""

from __future__ import annotations

from collections.abc import Callable

from ..algebra import (
    add, hadamard, hpow, identity, inner, inverse, mul, neg, transpose,
)
from ..expr import (
    Add, Apply, Const, Det, DiagMat, DiagVec, Differential, Expr, Hadamard, HPow, Identity,
    Inverse, LogDet, LogSumExp, MatMul, MatPow, Norm1, Norm2, Ones, Softmax, Sum, Trace,
    Transpose, Var, Zero,
)
from ..functions import ELEMENTWISE

D = tuple[Expr | None, ...]


def _sum(terms: list[Expr]) -> Expr | None:
    return add(*terms) if terms else None


def _product_rule(combine: Callable[..., Expr], factors: tuple[Expr, ...], d: D) -> Expr | None:
    """d(A∘B∘C) = dA∘B∘C + A∘dB∘C + A∘B∘dC, each factor kept in its place."""
    return _sum([combine(*factors[:i], di, *factors[i + 1:]) for i, di in enumerate(d) if di is not None])


def _power(a: Expr, k: int) -> Expr:
    return identity(a.rows) if k == 0 else a if k == 1 else MatPow(a, k)


def _matpow(node: MatPow, d: D) -> Expr:
    # d(Aᵏ) = Σᵢ Aⁱ dA Aᵏ⁻¹⁻ⁱ
    (a,), (da,) = node.children, d
    assert da is not None  # differential() calls a unary rule only with a nonzero d
    return add(*(mul(_power(a, i), da, _power(a, node.k - 1 - i)) for i in range(node.k)))


def _scalar_or_elementwise(coefficient: Expr, da: Expr) -> Expr:
    return mul(coefficient, da) if da.is_scalar else hadamard(coefficient, da)


def _softmax(node: Softmax, d: D) -> Expr:
    # d softmax(a) = s ⊙ da − s sᵀ da
    (da,) = d
    assert da is not None  # as in _matpow
    return add(hadamard(node, da), neg(mul(node, transpose(node), da)))


DIFFERENTIALS: dict[type, Callable[..., Expr | None]] = {
    Add: lambda n, d: _sum([x for x in d if x is not None]),
    MatMul: lambda n, d: _product_rule(mul, n.factors, d),
    Hadamard: lambda n, d: _product_rule(hadamard, n.factors, d),
    Transpose: lambda n, d: transpose(d[0]),
    # d(A⁻¹) = −A⁻¹ dA A⁻¹
    Inverse: lambda n, d: neg(mul(n, d[0], n)),
    MatPow: _matpow,
    # d(A.^p) = p A.^(p−1) ⊙ dA
    HPow: lambda n, d: _scalar_or_elementwise(mul(Const(n.p), hpow(n.arg, n.p - 1)), d[0]),
    # d f(A) = f′(A) ⊙ dA
    Apply: lambda n, d: _scalar_or_elementwise(ELEMENTWISE[n.fn].derivative(n.arg), d[0]),
    Trace: lambda n, d: Trace(d[0]),
    # d det A = det(A) tr(A⁻¹ dA)   (Jacobi's formula)
    Det: lambda n, d: mul(n, Trace(mul(inverse(n.arg), d[0]))),
    # d log det A = tr(A⁻¹ dA)
    LogDet: lambda n, d: Trace(mul(inverse(n.arg), d[0])),
    Sum: lambda n, d: Sum(d[0]),
    # d‖A‖ = ⟨A, dA⟩ / ‖A‖
    Norm2: lambda n, d: mul(hpow(n, -1), inner(n.arg, d[0])),
    # d‖A‖₁ = ⟨sign(A), dA⟩   (0 at 0, as numpy.sign)
    Norm1: lambda n, d: inner(Apply("sign", n.arg), d[0]),
    DiagMat: lambda n, d: DiagMat(d[0]),
    DiagVec: lambda n, d: DiagVec(d[0]),
    Softmax: _softmax,
    # d logsumexp(a) = softmax(a)ᵀ da
    LogSumExp: lambda n, d: mul(transpose(Softmax(n.arg)), d[0]),
}

CONSTANT_LEAVES = (Var, Const, Identity, Ones, Zero, Differential)


def differential(node: Expr, d: D) -> Expr | None:
    """dF for F = `node`, given its children's differentials."""
    for x in d:
        if x is not None:
            return DIFFERENTIALS[type(node)](node, d)
    return None
