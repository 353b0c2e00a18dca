"""The MLP generator: generated modules against an independent NumPy network.

The reference below is written from the textbook definitions (zˡ = Wˡaˡ⁻¹ + bˡ, the three
losses averaged over the batch), not from matcalc's formulas; the generated `forward` must
equal it and the generated `backward` must equal its central differences in float64.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcalc
from generated import assert_ruff_clean, needs_ruff, run_without_matcalc
from matcalc.cli import main as cli_main

ACT = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
}


def load(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<mlp>", "exec"), namespace)  # noqa: S102 — our own output
    return namespace


def reference_forward(params, x, layers, hidden, output, layout, bias):
    """Samples as columns internally; the rows layout is transposed in and out."""
    a = x.T if layout == "rows" else x
    depth = len(layers) - 1
    for l in range(1, depth + 1):
        W = params[f"W{l}"].T if layout == "rows" else params[f"W{l}"]
        z = W @ a
        if bias:
            z = z + (params[f"b{l}"].T if layout == "rows" else params[f"b{l}"])
        if l < depth:
            a = ACT[hidden[l - 1]](z)
        elif output == "softmax":
            e = np.exp(z - z.max(axis=0))
            a = e / e.sum(axis=0)
        else:
            a = ACT[output](z)
    return a.T if layout == "rows" else a


def make_case(layers, hidden, loss, output, layout, bias, batch, seed):
    rng = np.random.default_rng(seed)
    net = matcalc.mlp(layers, hidden=hidden, loss=loss, output=output, layout=layout, bias=bias)
    module = load(net.source)
    params = module["init_params"](rng)
    for k in params:  # nonzero biases, so a wrong bias gradient shows
        params[k] = params[k] + 0.1 * rng.standard_normal(params[k].shape)
    n0, nL = layers[0], layers[-1]
    x = rng.standard_normal((n0, batch))
    if loss == "softmax_cross_entropy":
        y = np.eye(nL)[:, rng.integers(0, nL, batch)]
    elif loss == "sigmoid_bce":
        y = rng.uniform(0, 1, (nL, batch))
    else:
        y = rng.standard_normal((nL, batch))
    if layout == "rows":
        x, y = x.T.copy(), y.T.copy()
    return net, module, params, x, y


def central_differences(f, params, h=1e-6):
    grads = {}
    for name, value in params.items():
        g = np.zeros_like(value)
        for idx in np.ndindex(*value.shape):
            plus = {**params, name: value.copy()}
            minus = {**params, name: value.copy()}
            plus[name][idx] += h
            minus[name][idx] -= h
            g[idx] = (f(plus) - f(minus)) / (2 * h)
        grads[name] = g
    return grads


def check(layers, hidden, loss, output, layout, bias, batch, seed):
    net, module, params, x, y = make_case(layers, hidden, loss, output, layout, bias, batch, seed)
    spec = net.spec
    ref = (spec.layers, spec.hidden, spec.output, spec.layout, spec.bias)
    out = module["forward"](params, x)
    expected = reference_forward(params, x, *ref)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)

    def loss_of(p):
        a = reference_forward(p, x, *ref)
        a_, y_ = (a.T, y.T) if layout == "rows" else (a, y)
        n = a_.shape[1]
        if loss == "mse":
            return 0.5 * np.sum((y_ - a_) ** 2) / n
        if loss == "softmax_cross_entropy":
            return -np.sum(y_ * np.log(a_)) / n
        return -np.sum(y_ * np.log(a_) + (1 - y_) * np.log(1 - a_)) / n

    grads = module["backward"](params, x, y)
    assert set(grads) == set(params)
    fd = central_differences(loss_of, params)
    for name in params:
        assert grads[name].shape == params[name].shape, name
        scale = max(1.0, float(np.abs(fd[name]).max()))
        np.testing.assert_allclose(grads[name], fd[name], rtol=1e-5, atol=1e-6 * scale,
                                   err_msg=f"{name} of {net!r}\n{net.source}")


# ── random networks ───────────────────────────────────────────────────────────────────────
@st.composite
def networks(draw):
    depth = draw(st.integers(1, 4))
    layers = draw(st.lists(st.integers(1, 5), min_size=depth + 1, max_size=depth + 1))
    hidden = draw(st.lists(st.sampled_from(list(ACT)), min_size=depth - 1, max_size=depth - 1))
    loss = draw(st.sampled_from(["mse", "softmax_cross_entropy", "sigmoid_bce"]))
    output = draw(st.sampled_from(["identity", "sigmoid", "tanh"])) if loss == "mse" else None
    if loss == "softmax_cross_entropy":
        layers[-1] = max(layers[-1], 2)
    return {"layers": layers, "hidden": hidden, "loss": loss, "output": output,
                "layout": draw(st.sampled_from(["columns", "rows"])), "bias": draw(st.booleans()),
                "batch": draw(st.integers(1, 4)), "seed": draw(st.integers(0, 2**16))}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=networks())
def test_random_networks_match_finite_differences(case):
    check(**case)


@pytest.mark.parametrize("loss, output", [("mse", "identity"), ("mse", "sigmoid"), ("mse", "tanh"),
                                          ("softmax_cross_entropy", None), ("sigmoid_bce", None)])
@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_each_loss_and_layout(loss, output, layout):
    for seed, (layers, hidden) in enumerate([([4, 3, 2], ["relu"]), ([3, 5, 4, 2], ["tanh", "sigmoid"])]):
        check(layers, hidden, loss, output, layout, True, batch=3, seed=seed)


# ── the seed network: equations and code ─────────────────────────────────────────────────
def test_seed_network_has_the_textbook_recursion():
    net = matcalc.mlp([784, 500, 10], hidden="relu", loss="softmax_cross_entropy")
    src = net.source
    assert "delta2 = (a2 - y) / n_batch" in src  # softmax + cross-entropy fused to a − y
    # relu′(z₁) read from a₁, so z₁ is not kept: the activation overwrites it; δ₁ takes over
    # a₁'s array once ∂C/∂W₂ has read a₁, and relu′ is a mask applied in place
    assert "a1 = np.maximum(z1, 0.0, out=z1)" in src and "return a1, a2" in src
    assert ("grad_W2 = delta2 @ a1.T\n    active1 = a1 > 0\n"
            "    delta1 = np.matmul(W2.T, delta2, out=a1)\n    delta1 *= active1\n") in src
    assert '"W1": grad_W1' in src and "grad_W1 = delta1 @ x.T" in src
    assert '"b1": np.sum(delta1, axis=1, keepdims=True)' in src
    for piece in [r"\delta_{2} &= \frac{a_{2} - y}{N}",
                  r"\delta_{1} &= W_{2}^{\top} \delta_{2} \odot \operatorname{step}\left(z_{1}\right)",
                  r"\frac{\partial C}{\partial W_{1}} &= \delta_{1} x^{\top}"]:
        assert piece in net.latex


def test_sigmoid_derivative_reuses_the_forward_activation():
    net = matcalc.mlp([3, 4, 2], hidden="sigmoid", loss="mse", output="sigmoid")
    assert "a1 * (1.0 - a1)" in net.source and "a2 * (1.0 - a2)" in net.source


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_dtype_in_is_dtype_out(dtype, layout):
    module = load(matcalc.mlp([5, 4, 3], hidden="tanh", layout=layout).source)
    rng = np.random.default_rng(0)
    params = module["init_params"](rng, dtype=dtype)
    x = rng.standard_normal((5, 6) if layout == "columns" else (6, 5)).astype(dtype)
    y = np.eye(3, dtype=dtype)[:, rng.integers(0, 3, 6)]
    y = y if layout == "columns" else y.T
    assert module["forward"](params, x).dtype == dtype
    assert all(g.dtype == dtype for g in module["backward"](params, x, y).values())
    module["sgd_step"](params, x, y, 0.1)
    assert all(p.dtype == dtype for p in params.values())


def test_sgd_step_lowers_the_loss():
    module = load(matcalc.mlp([4, 8, 3], hidden="relu").source)
    rng = np.random.default_rng(2)
    params = module["init_params"](rng)
    x = rng.standard_normal((4, 32))
    y = np.eye(3)[:, rng.integers(0, 3, 32)]

    def loss():
        return -np.sum(y * np.log(module["forward"](params, x))) / 32

    before = loss()
    for _ in range(20):
        module["sgd_step"](params, x, y, 0.5)
    assert loss() < before


# ── settings ──────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("kwargs, message", [
    ({"layers": [3]}, "at least two sizes"),
    ({"layers": [3, 0]}, "integer from 1"),
    ({"layers": "3,4"}, "at least two sizes"),
    ({"layers": [3, 4, 2], "hidden": "tahn"}, "did you mean 'tanh'"),
    ({"layers": [3, 4, 2], "hidden": ["relu", "relu"]}, "2 activations but the network has 1"),
    ({"layers": [3, 2], "loss": "mse", "output": "relu"}, "takes the output activation"),
    ({"layers": [3, 2], "loss": "cross_entropy"}, "unknown loss"),
    ({"layers": [3, 2], "layout": "cols"}, "unknown layout"),
])
def test_bad_settings_are_clear_errors(kwargs, message):
    with pytest.raises(matcalc.MatcalcError, match=message):
        matcalc.mlp(**kwargs)


def test_same_settings_give_identical_source():
    a = matcalc.mlp([6, 5, 4, 3], hidden=["tanh", "relu"], loss="sigmoid_bce", layout="rows")
    b = matcalc.mlp([6, 5, 4, 3], hidden=["tanh", "relu"], loss="sigmoid_bce", layout="rows")
    assert a.source == b.source and a.latex == b.latex


# ── command line ──────────────────────────────────────────────────────────────────────────
def test_cli_writes_the_module(tmp_path, capsys):
    out = tmp_path / "net.py"
    assert cli_main(["mlp", "--layers", "4,3,2", "--hidden", "tanh", "--loss", "mse",
                     "--output", "sigmoid", "--layout", "rows", "--no-bias", "-o", str(out)]) == 0
    source = out.read_text(encoding="utf-8")
    assert source == matcalc.mlp([4, 3, 2], hidden="tanh", loss="mse", output="sigmoid",
                                 layout="rows", bias=False).source
    assert cli_main(["mlp", "--layers", "4,3,2", "--format", "latex"]) == 0
    assert capsys.readouterr().out.startswith("\\begin{aligned}")


@pytest.mark.parametrize("argv, code", [
    (["mlp", "--layers", "4"], 2),
    (["mlp", "--layers", "4,x"], 2),
    (["mlp", "--layers", "4,3", "--loss", "hinge"], 2),
    (["mlp", "--layers", "4,3,2", "--hidden", "relu,relu"], 1),
])
def test_cli_errors(argv, code, capsys):
    if code == 2:
        with pytest.raises(SystemExit) as exc:
            cli_main(argv)
        assert exc.value.code == 2
    else:
        assert cli_main(argv) == 1
        assert "matcalc: error:" in capsys.readouterr().err


# ── embedding ─────────────────────────────────────────────────────────────────────────────
def test_module_runs_where_matcalc_cannot_be_imported(tmp_path):
    (tmp_path / "net.py").write_text(matcalc.mlp([5, 4, 3], hidden="tanh").source, encoding="utf-8")
    script = textwrap.dedent("""
        import numpy as np
        import net
        rng = np.random.default_rng(0)
        params = net.init_params(rng)
        x = rng.standard_normal((5, 7))
        y = np.eye(3)[:, rng.integers(0, 3, 7)]
        def loss(p):
            return -np.sum(y * np.log(net.forward(p, x))) / 7
        grads = net.backward(params, x, y)
        h = 1e-6
        for name, value in params.items():
            for idx in np.ndindex(*value.shape):
                plus = {**params, name: value.copy()}
                minus = {**params, name: value.copy()}
                plus[name][idx] += h
                minus[name][idx] -= h
                fd = (loss(plus) - loss(minus)) / (2 * h)
                assert abs(grads[name][idx] - fd) < 1e-6 + 1e-5 * abs(fd), (name, idx)
        print("ok")
    """)
    assert run_without_matcalc(script, tmp_path).strip() == "ok"


@needs_ruff
def test_generated_modules_pass_ruff(tmp_path):
    settings_list = [{"layers": [784, 500, 10]},
                     {"layers": [3, 4, 5, 2], "hidden": ["tanh", "sigmoid"], "loss": "mse", "output": "sigmoid",
                          "layout": "rows"},
                     {"layers": [3, 2], "loss": "sigmoid_bce", "bias": False}]
    for i, kwargs in enumerate(settings_list):
        (tmp_path / f"net{i}.py").write_text(matcalc.mlp(**kwargs).source, encoding="utf-8")
    assert_ruff_clean(tmp_path)
