"""Same input, byte-identical output (text, LaTeX, steps, generated code): nothing in the
output may depend on hash order."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = r"""
import matcalc
for text, wrt in [("(Xw-y)^T(Xw-y)", "X"), ("x'Ax + u'x", "x"), ("sum(log(1 + exp(-y .* (X*w))))", "w"),
                  ("½‖y − W₂σ(W₁x + b₁) − b₂‖²", "W1"), ("logdet(X) - tr(S inv(X))", "X"),
                  ("‖Xw − y‖² + λ norm1(w)", "w"), ("-y'log(softmax(Wx))", "W")]:
    d = matcalc.derive(text, wrt=wrt)
    print(d, d.latex, d.shape, d.numpy_source(value=True), sep="\n")
    print(*(f"{s.rule}: {s.text} | {s.latex}" for s in d.steps), sep="\n")
net = matcalc.mlp([5, 4, 3, 2], hidden=["tanh", "relu"], loss="sigmoid_bce", layout="rows")
print(net.source, net.latex)
"""


def test_output_is_identical_across_hash_seeds():
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, check=False, env=env, cwd=ROOT)
        assert run.returncode == 0, run.stderr.decode()
        outputs.add(run.stdout)
    assert len(outputs) == 1
