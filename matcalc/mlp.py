"""The MLP generator: backpropagation for a fully connected network, derived, then emitted.

The network is zˡ = Wˡaˡ⁻¹ + bˡ, aˡ = fˡ(zˡ), a⁰ = x, with a loss C(zᴸ, y) per sample.
matcalc's own engine derives every piece of the δ recursion from that specification:

    δᴸ = ∂C/∂zᴸ                          the loss's gradient (softmax + cross-entropy: a − y)
    δˡ = ∂⟨δˡ⁺¹, zˡ⁺¹⟩/∂zˡ                 one layer's adjoint: (Wˡ⁺¹)ᵀδˡ⁺¹ ⊙ f′(zˡ)
    ∂C/∂Wˡ = ∂⟨δˡ, zˡ⟩/∂Wˡ = δˡ(aˡ⁻¹)ᵀ     ∂C/∂bˡ = δˡ

and codegen writes them for a batch.  With samples as columns (the layout of the blog posts this method comes from) a batch of
vectors is a matrix, so δˡ(aˡ⁻¹)ᵀ sums the per-sample gradients by itself; ∂C/∂bˡ is summed
explicitly.  The `rows` layout is the transpose of every formula.  Activations computed in
the forward pass are reused: σ′(z) = σ(z) ⊙ (1 − σ(z)) becomes a ⊙ (1 − a).
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from collections.abc import Callable, Sequence

from .version import __version__
from .algebra import add, apply, const, hadamard, hpow, inner, mul, neg, transpose
from .codegen import HELPERS, IN_PLACE_CODE, statements
from .calculus import derive
from .errors import LimitError, MatcalcError
from .expr import (
    ONE, Add, Apply, Const, Expr, Hadamard, HPow, LogSumExp, MatMul, Softmax, Sum, Transpose, Var,
    substitute,
)
from .printing import to_latex, to_text

ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu")
# Weight layers (sizes − 1) a network may have: the generator is linear in them (about
# 0.5 ms a layer), so this bounds its work and the module's length, not a cost that grows.
MAX_LAYERS = 1000
LAYOUTS = ("columns", "rows")
BATCH = Var("N", (ONE, ONE))


@dataclass(frozen=True)
class Loss:
    outputs: tuple[str, ...]                     # allowed output activations, default first
    per_sample: Callable[[Expr, Expr, str], Expr]  # C(zᴸ, y, output activation)
    description: str


def _activate(fn: str, z: Expr) -> Expr:
    if fn == "identity":
        return z
    if fn == "softmax":
        return Softmax(z)
    return apply(fn, z)


def _mse(z: Expr, y: Expr, output: str) -> Expr:
    r = add(y, neg(_activate(output, z)))
    return mul(const(Fraction(1, 2)), inner(r, r))


LOSSES: dict[str, Loss] = {
    "mse": Loss(("identity", "sigmoid", "tanh"), _mse, "½‖y − a‖²"),
    # −yᵀlog softmax(z) = logsumexp(z) − yᵀz when the targets sum to 1 (one-hot labels):
    # the fused form whose gradient is softmax(z) − y.
    "softmax_cross_entropy": Loss(
        ("softmax",), lambda z, y, _: add(LogSumExp(z), neg(inner(y, z))),
        "−yᵀ log softmax(z), written logsumexp(z) − yᵀz (targets sum to 1)"),
    # −yᵀlog σ(z) − (1 − y)ᵀlog(1 − σ(z)) = 𝟙ᵀ(softplus(z) − y ⊙ z): no log of 0, no overflow.
    "sigmoid_bce": Loss(
        ("sigmoid",), lambda z, y, _: Sum(add(apply("softplus", z), neg(hadamard(y, z)))),
        "−yᵀlog σ(z) − (1 − y)ᵀlog(1 − σ(z)), written sum(softplus(z) − y ⊙ z)"),
}


@dataclass(frozen=True)
class Spec:
    layers: tuple[int, ...]
    hidden: tuple[str, ...]   # one activation per hidden layer
    loss: str
    output: str
    layout: str
    bias: bool

    @property
    def depth(self) -> int:
        return len(self.layers) - 1

    def activation(self, layer: int) -> str:
        return self.output if layer == self.depth else self.hidden[layer - 1]


def _choice(kind: str, value: object, allowed: Sequence[str]) -> str:
    if isinstance(value, str) and value in allowed:
        return value
    close = difflib.get_close_matches(str(value), allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise MatcalcError(f"unknown {kind} {value!r} (choose from {', '.join(allowed)}){hint}")


def make_spec(layers: Sequence[int], hidden: str | Sequence[str], loss: str, output: str | None,
              layout: str, bias: bool) -> Spec:
    """Validated settings, with errors a person can act on."""
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) or len(layers) < 2:
        raise MatcalcError(f"layers must list at least two sizes (input and output), got {layers!r}")
    depth = len(layers) - 1
    if depth > MAX_LAYERS:
        raise LimitError(f"a network of {depth} layers is more than matcalc generates (at most "
                         f"{MAX_LAYERS} layers, {MAX_LAYERS + 1} sizes; docs/limits.md)")
    for n in layers:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1_000_000:
            raise MatcalcError(f"every layer size must be an integer from 1 to 1000000, got {n!r}")
    if isinstance(hidden, str):
        given: list[object] = [hidden] * (depth - 1)
    elif isinstance(hidden, Sequence):
        given = list(hidden)
    else:
        raise MatcalcError(f"hidden must be an activation ({', '.join(ACTIVATIONS)}) or a list of "
                           f"one per hidden layer, got {hidden!r}")
    if len(given) != depth - 1:
        raise MatcalcError(f"hidden lists {len(given)} activations but the network has "
                           f"{depth - 1} hidden layers")
    names = [_choice("activation", h, ACTIVATIONS) for h in given]
    loss = _choice("loss", loss, tuple(LOSSES))
    outputs = LOSSES[loss].outputs
    if output is None:
        output = outputs[0]
    elif output not in outputs:
        raise MatcalcError(f"loss {loss!r} takes the output activation "
                           f"{' or '.join(repr(o) for o in outputs)}, not {output!r}")
    layout = _choice("layout", layout, LAYOUTS)
    return Spec(tuple(layers), tuple(names), loss, output, layout, bool(bias))


# -- derivation -------------------------------------------------------------------------
@dataclass(frozen=True)
class Network:
    """The forward formulas and the derived backward ones, per sample, samples as columns."""
    z: tuple[Expr, ...]        # zˡ in terms of Wˡ, aˡ⁻¹, bˡ      (index l − 1)
    a: tuple[Expr, ...]        # aˡ in terms of zˡ
    delta: tuple[Expr, ...]    # δˡ in terms of δˡ⁺¹, W, z, a, y, N
    grads: tuple[tuple[str, Expr], ...]   # (parameter name, ∂C/∂parameter)
    names: dict[str, Var]      # every variable by name


def derive_network(spec: Spec) -> Network:
    n = spec.layers
    var: dict[str, Var] = {"x": Var("x", (n[0], ONE)), "y": Var("y", (n[-1], ONE)), "N": BATCH}
    for l in range(1, spec.depth + 1):
        var[f"W{l}"] = Var(f"W{l}", (n[l], n[l - 1]))
        var[f"b{l}"] = Var(f"b{l}", (n[l], ONE))
        var[f"z{l}"] = Var(f"z{l}", (n[l], ONE))
        var[f"a{l}"] = Var(f"a{l}", (n[l], ONE))
        var[f"δ{l}"] = Var(f"δ{l}", (n[l], ONE))

    def a_of(l: int) -> Expr:  # the variable holding aˡ (zˡ itself when f is the identity)
        return var["x"] if l == 0 else var[f"z{l}"] if spec.activation(l) == "identity" else var[f"a{l}"]

    def z_formula(l: int, previous: Expr) -> Expr:
        product = mul(var[f"W{l}"], previous)
        return add(product, var[f"b{l}"]) if spec.bias else product

    z = tuple(z_formula(l, a_of(l - 1)) for l in range(1, spec.depth + 1))
    a = tuple(_activate(spec.activation(l), var[f"z{l}"]) for l in range(1, spec.depth + 1))
    # Reuse what the forward pass computed: f(zˡ) is aˡ.
    known = {a[l - 1]: var[f"a{l}"] for l in range(1, spec.depth + 1)
             if spec.activation(l) != "identity"}

    def derived(f: Expr, x: Var) -> Expr:
        g = derive(f, (x,))
        assert isinstance(g, Expr), "a scalar's gradient is a matrix expression"
        return substitute(g, known)

    L = spec.depth
    loss = LOSSES[spec.loss].per_sample(var[f"z{L}"], var["y"], spec.output)
    deltas: dict[int, Expr] = {L: mul(hpow(BATCH, -1), derived(loss, var[f"z{L}"]))}
    for l in range(L - 1, 0, -1):
        through = z_formula(l + 1, _activate(spec.activation(l), var[f"z{l}"]))
        deltas[l] = derived(inner(var[f"δ{l + 1}"], through), var[f"z{l}"])
    grads: list[tuple[str, Expr]] = []
    for l in range(1, L + 1):
        adjoint = inner(var[f"δ{l}"], z[l - 1])
        grads.append((f"W{l}", derived(adjoint, var[f"W{l}"])))
        if spec.bias:
            grads.append((f"b{l}", derived(adjoint, var[f"b{l}"])))
    return Network(z, a, tuple(deltas[l] for l in range(1, L + 1)), tuple(grads), var)


# -- the rows layout: every formula transposed -------------------------------------------
def _rows(e: Expr, memo: dict[Expr, Expr] | None = None) -> Expr:
    """eᵀ written in variables that hold transposes (a batch of row vectors, Wᵀ, bᵀ)."""
    memo = {} if memo is None else memo
    for node in e.walk():
        if node in memo:
            continue
        kids = [memo[c] for c in node.children]
        if isinstance(node, Var):
            out: Expr = Var(node.name, (node.cols, node.rows))
        elif node.is_scalar and not node.children:
            out = node
        elif isinstance(node, MatMul):
            out = mul(*reversed(kids))
        elif isinstance(node, (Add, Hadamard, Apply, HPow, Const)):  # commute with ᵀ
            out = node.with_children(tuple(kids))
        elif isinstance(node, Transpose):
            out = transpose(kids[0])
        else:  # eᵀ = f(c)ᵀ with c = (cᵀ)ᵀ
            out = transpose(node.with_children(tuple(transpose(k) for k in kids)))
        memo[node] = out
    return memo[e]


# -- the module ----------------------------------------------------------------------------
def _same(e: Expr) -> Expr:
    return e


def _python(name: str) -> str:
    return {"N": "n_batch"}.get(name, name.replace("δ", "delta"))


@dataclass(frozen=True)
class MLP:
    """A generated network: `.source` (a module importing only numpy) and `.latex`."""
    spec: Spec
    network: Network
    source: str
    latex: str

    def __repr__(self) -> str:
        s = self.spec
        return (f"MLP(layers={list(s.layers)}, hidden={list(s.hidden)}, loss={s.loss!r}, "
                f"output={s.output!r}, layout={s.layout!r}, bias={s.bias})")


def mlp(layers: Sequence[int], hidden: str | Sequence[str] = "relu",
        loss: str = "softmax_cross_entropy", output: str | None = None,
        layout: str = "columns", bias: bool = True) -> MLP:
    spec = make_spec(layers, hidden, loss, output, layout, bias)
    network = derive_network(spec)
    return MLP(spec, network, _module(spec, network), _latex(spec, network))


def _module(spec: Spec, net: Network) -> str:
    L = spec.depth
    rows = spec.layout == "rows"
    batch_axis = 0 if rows else 1
    orient: Callable[[Expr], Expr] = _rows if rows else _same
    names = {name: _python(name) for name in net.names}
    params = [p for l in range(1, L + 1) for p in ((f"W{l}", f"b{l}") if spec.bias else (f"W{l}",))]

    def unpack(used: set[str]) -> str:
        wanted = [p for p in params if p in used]
        return ", ".join(wanted) + " = " + ", ".join(f'params["{p}"]' for p in wanted)

    # forward pass: zˡ, aˡ
    forward: list[tuple[str, Expr]] = []
    for l in range(1, L + 1):
        forward.append((f"z{l}", orient(net.z[l - 1])))
        if spec.activation(l) != "identity":
            forward.append((f"a{l}", orient(net.a[l - 1])))
    out_name = forward[-1][0]
    # backward pass: δˡ from L down, then the gradients.  relu′(zˡ) = step(zˡ) is step(aˡ)
    # (aˡ = relu(zˡ) is positive exactly where zˡ is), so no layer's zˡ outlives the
    # forward pass: every activation is then a function of aˡ alone.
    step_of_a = {apply("step", net.names[f"z{l}"]): apply("step", net.names[f"a{l}"])
                 for l in range(1, L + 1) if spec.activation(l) == "relu"}
    backward = [(names[f"δ{l}"], orient(substitute(net.delta[l - 1], step_of_a)))
                for l in range(L, 0, -1)]
    grads = [(f"grad_{p}", orient(g)) for p, g in net.grads]
    used_back = {v.name for _, e in backward + grads for v in e.walk() if isinstance(v, Var)}
    cached = [t for t, _ in forward if t in used_back or t == out_name]
    forward_lines = statements(_reusing_z(_in_place(forward), set(cached)), names)
    used_fwd = {v.name for _, e in forward for v in e.walk() if isinstance(v, Var)}

    def shape(r: int, c: int) -> tuple[int, int]:
        return (c, r) if rows else (r, c)

    n = spec.layers
    init = []
    for l in range(1, L + 1):
        gain = 2 if spec.activation(l) == "relu" else 1  # He for relu, else LeCun
        w = shape(n[l], n[l - 1])
        init.append(f'"W{l}": (rng.standard_normal({w}) * np.sqrt({gain} / {n[l - 1]})).astype(dtype),')
        if spec.bias:
            init.append(f'"b{l}": np.zeros({shape(n[l], 1)}, dtype=dtype),')
    # A gradient that is already a variable (∂C/∂bˡ = δˡ) needs no statement of its own.
    # Layer by layer from the output: δˡ, then the gradients of layer l, which read aˡ⁻¹ for
    # the last time, so that δˡ⁻¹ may take over aˡ⁻¹'s array (_reusing_a).
    computed = {p: (t, e) for (p, _), (t, e) in zip(net.grads, grads) if not isinstance(e, Var)}
    ordered = []
    for l in range(L, 0, -1):
        ordered.append(backward[L - l])
        ordered += [computed[p] for p in (f"W{l}", f"b{l}") if p in computed]
    backward_lines = statements(_reusing_a(_in_place(ordered), names), names)
    returns = []
    for (p, _), (t, e) in zip(net.grads, grads):
        value = names[e.name] if isinstance(e, Var) else t
        if p.startswith("b"):  # per sample δˡ: the batch's gradient is its sum
            value = f"np.sum({value}, axis={batch_axis}, keepdims=True)"
        returns.append(f'"{p}": {value},')

    doc = _module_doc(spec, net)
    x_shape = f"(N, {n[0]})" if rows else f"({n[0]}, N)"
    y_shape = f"(N, {n[-1]})" if rows else f"({n[-1]}, N)"
    lines = [
        f'"""{doc}"""',
        "",
        "import numpy as np",
        "",
        f"LAYERS = {tuple(n)}",
        "",
        "",
        "def init_params(rng, dtype=np.float64):",
        '    """Random weights (He for relu layers, LeCun otherwise) and zero biases."""',
        "    return {",
        *[f"        {line}" for line in init],
        "    }",
        "",
        "",
        "def _layers(params, x):",
        f'    """The forward pass: {", ".join(cached)}."""',
        f"    {unpack(used_fwd)}",
        *[f"    {line}" for line in forward_lines],
        f"    return {_tuple(cached)}",
        "",
        "",
        "def forward(params, x):",
        f'    """The network\'s output for a batch x of shape {x_shape}."""',
        "    return _layers(params, x)[-1]",
        "",
        "",
        "def backward(params, x, y):",
        f'    """Gradients of the mean loss over the batch (x {x_shape}, y {y_shape}), keyed like params."""',
        *([f"    {unpack(used_back)}"] if used_back & set(params) else []),
        f"    {_tuple(cached)} = _layers(params, x)",
        f"    n_batch = x.shape[{batch_axis}]",
        *[f"    {line}" for line in backward_lines],
        "    return {",
        *[f"        {line}" for line in returns],
        "    }",
        "",
        "",
        "def sgd_step(params, x, y, lr):",
        '    """One step of gradient descent on the batch; updates params in place and returns it."""',
        "    for name, gradient in backward(params, x, y).items():",
        "        gradient *= lr  # a fresh array: scaling it in place saves a temporary",
        "        params[name] -= gradient",
        "    return params",
    ]
    helpers = _helpers("\n".join(lines))
    if helpers:
        at = lines.index("def init_params(rng, dtype=np.float64):")
        lines[at:at] = [*helpers, "", ""]
    return "\n".join(lines) + "\n"


def _in_place(assignments: list[tuple[str, Expr]]) -> list[tuple[str, str, Expr]]:
    """Assignments, with the two elementwise steps that follow a matrix product done in
    place on its fresh result: `z = W @ a` then `z += b`, and `δ = Wᵀ @ δ′` then
    `δ *= z > 0` (each saves a temporary the size of the batch's activations)."""
    out: list[tuple[str, str, Expr]] = []
    for target, e in assignments:
        if isinstance(e, Add) and len(e.terms) == 2 and isinstance(e.terms[0], MatMul) \
                and isinstance(e.terms[1], Var):
            out += [(target, "=", e.terms[0]), (target, "+=", e.terms[1])]
        elif isinstance(e, Hadamard) and len(e.factors) == 2 and isinstance(e.factors[0], MatMul) \
                and isinstance(e.factors[1], Apply) and e.factors[1].fn == "step":
            out += [(target, "=", e.factors[0]), (target, "*=", e.factors[1])]
        else:
            out.append((target, "=", e))
    return out


def _reusing_z(assignments: list[tuple[str, str, Expr]], kept: set[str]) -> list[tuple[str, str, Expr]]:
    """`aˡ = relu(zˡ)` and `aˡ = tanh(zˡ)` computed into zˡ's own array when nothing after
    needs zˡ: one array the size of the batch's activations fewer per layer and step."""
    # How many assignments read each variable: counted once, so the pass is linear in the
    # number of layers (asking every other assignment, per assignment, was quadratic).
    readers = Counter(v for _, _, e in assignments for v in _variables(e))
    out = []
    for target, op, e in assignments:
        z = e.arg if isinstance(e, Apply) and e.fn in IN_PLACE_CODE else None
        if op == "=" and isinstance(z, Var) and z.name not in kept and readers[z] == 1:
            op = "=out"
        out.append((target, op, e))
    return out


def _variables(e: Expr) -> set[Var]:
    return {v for v in e.walk() if isinstance(v, Var)}


def _reusing_a(assignments: list[tuple[str, str, Expr]], names: dict[str, str]) -> list[tuple[str, str, Expr]]:
    """`δ = Wᵀ @ δ′` then `δ *= a > 0`, where nothing after reads a, as
    `active = a > 0`, `δ = np.matmul(Wᵀ, δ′, out=a)`, `δ *= active`: δ takes over the
    array of a, one fewer batch-sized array alive at the step's peak.  `names` gains the
    masks' names."""
    out = list(assignments)
    # The variables read by out[seen:], grown as i walks down, so each assignment is
    # walked once: linear in the number of layers.
    read_later: set[Var] = set()
    seen = len(out)
    for i in range(len(out) - 2, -1, -1):
        while seen > i + 2:
            seen -= 1
            read_later |= _variables(out[seen][2])
        (target, op, e), (target2, op2, e2) = out[i], out[i + 1]
        a = e2.arg if op2 == "*=" and isinstance(e2, Apply) and e2.fn == "step" else None
        if not (op == "=" and target2 == target and isinstance(e, MatMul) and len(e.factors) == 2
                and isinstance(a, Var) and a.name.startswith("a")):
            continue
        if a in read_later:
            continue
        mask = Var("active" + a.name[1:], (a.rows, a.cols))
        names[mask.name] = mask.name
        out[i:i + 2] = [(mask.name, "=mask", e2), (target, f"=out {names[a.name]}", e),
                        (target, "*=", mask)]
        seen += 1  # what followed the pair moved one place on
    return out


def _tuple(names: list[str]) -> str:
    return f"({names[0]},)" if len(names) == 1 else ", ".join(names)


def _helpers(text: str) -> list[str]:
    out: list[str] = []
    for name in sorted(HELPERS):
        if f"{name}(" in text:
            out += [*HELPERS[name].splitlines(), "", ""]
    return out[:-2]


def _module_doc(spec: Spec, net: Network) -> str:
    n = spec.layers
    arrangement = ("samples are rows: x is (N, {0}), y is (N, {1}), Wˡ is (nˡ⁻¹, nˡ), bˡ is (1, nˡ)"
                   if spec.layout == "rows" else
                   "samples are columns: x is ({0}, N), y is ({1}, N), Wˡ is (nˡ, nˡ⁻¹), bˡ is (nˡ, 1)")
    lines = [
        (f"A {'-'.join(map(str, n))} multilayer perceptron and its gradients, generated by "
         f"matcalc {__version__}."),
        "",
        f"Layout: {arrangement.format(n[0], n[-1])}.",
        f"Hidden activations: {', '.join(spec.hidden) or 'none'}; output: {spec.output}.",
        f"Loss: {LOSSES[spec.loss].description}, averaged over the N samples of a batch.",
        "",
        "Backpropagation as matcalc derived it (per sample, samples as columns):",
        *[f"    {eq}" for eq in _equations(spec, net, to_text)],
    ]
    return "\n".join(lines) + "\n"


def _equations(spec: Spec, net: Network, show: Callable[[Expr], str]) -> list[str]:
    latex = show is to_latex
    out = []
    for l in range(1, spec.depth + 1):
        z, a = net.names[f"z{l}"], net.names[f"a{l}"]
        out.append(f"{show(z)} = {show(net.z[l - 1])}")
        if spec.activation(l) != "identity":
            out.append(f"{show(a)} = {show(net.a[l - 1])}")
    for l in range(spec.depth, 0, -1):
        out.append(f"{show(net.names[f'δ{l}'])} = {show(net.delta[l - 1])}")
    for p, g in net.grads:
        lhs = (rf"\frac{{\partial C}}{{\partial {show(net.names[p])}}}" if latex
               else f"∂C/∂{show(net.names[p])}")
        out.append(f"{lhs} = {show(g)}" + ("" if p.startswith("W") else
                                           (r"\quad\text{(summed over the batch)}" if latex
                                            else "   (summed over the batch)")))
    return out


def _latex(spec: Spec, net: Network) -> str:
    rows = [eq.replace(" = ", " &= ", 1) for eq in _equations(spec, net, to_latex)]
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
