"""Check that each peer script computes the LIF its "match" sentence claims, on a small seeded case.

Runs in the project venv (numpy, JAX, snnir; no peers): writes x [T, B, n] and W [n, n] to a temporary
IN.npz, runs every peer script with ``--check`` in ``.venv-peers``, and compares its spikes and its
gradient d sum(spikes) / dW with a plain numpy simulation written from the equations below (forward and
hand-derived backpropagation through time), then with the protocol itself. The numpy references are
first checked against snnir's compiled programs (the same LIF options, JAX autodiff) where snnir has the
variant.

Notation: I_t = x_t @ W.T, β = 0.9, θ = 1, H strict (H(0) = 0), σ'(z) = 1/(1 + k|z|)^2 the surrogate of
H(z), sg = stop_gradient. Every variant starts from a zero membrane and returns s_0 .. s_{T-1}.

  protocol         u_t = β·v_{t-1} + I_t;  s_t = H(u_t - θ);  v_t = u_t - θ·sg(s_t)              (k = 10)
  norse            as protocol, reset not detached (v_t = u_t - θ·s_t), k = 1                       (LIFBox)
  snntorch_nodelay r = sg(H(m_{t-1} - θ));  p = β·m_{t-1} + I_t - θ·r;  s_t = H(p - θ);
                   m_t = p - θ·(s_t - r)                                        (Leaky, reset_delay=False)
  snntorch_delay   m_t = β·m_{t-1} + I_t - θ·sg(H(m_{t-1} - θ));  s_t = H(m_t - θ)   (Leaky, default)
  spyx_lif         s_t = H(V_{t-1} - θ);  V_t = β·V_{t-1} + I_t - θ·s_t                       (spyx.nn.LIF)
  spyx_cubalif     s_t = H(V_{t-1} - θ);  V_t = β·(V_{t-1} - θ·s_t) + I_t            (CuBaLIF, alpha = 0)

    .venv/bin/python examples/benchmarks/peers/check_peers.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
PEER_PY = ROOT / ".venv-peers" / "bin" / "python"
BETA, THETA = 0.9, 1.0
N, B, T = 32, 4, 64


# ---------------------------------------------------------------------- numpy references
def heaviside(z):
    return (z > 0).astype(np.float64)


def dsurrogate(z, k):
    return 1.0 / (1.0 + k * np.abs(z)) ** 2


def reference(variant: str, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(spikes [T,B,n], d sum(spikes) / dW [n,n]) of ``variant``, in float64."""
    cur = np.einsum("tbi,oi->tbo", x.astype(np.float64), w.astype(np.float64))
    steps = cur.shape[0]
    k = 1.0 if variant == "norse" else 10.0
    z = np.zeros_like(cur)      # the argument of the spike's H at each step (for the surrogate)
    s = np.zeros_like(cur)
    m = np.zeros_like(cur)      # the membrane each variant carries, after step t
    r = np.zeros_like(cur)      # snnTorch's carried reset
    prev = np.zeros_like(cur[0])
    for t in range(steps):
        if variant in ("protocol", "norse"):
            u = BETA * prev + cur[t]
            z[t] = u - THETA
            s[t] = heaviside(z[t])
            m[t] = u - THETA * s[t]
        elif variant == "snntorch_nodelay":
            r[t] = heaviside(prev - THETA)
            p = BETA * prev + cur[t] - THETA * r[t]
            z[t] = p - THETA
            s[t] = heaviside(z[t])
            m[t] = p - THETA * (s[t] - r[t])
        elif variant == "snntorch_delay":
            m[t] = BETA * prev + cur[t] - THETA * heaviside(prev - THETA)
            z[t] = m[t] - THETA
            s[t] = heaviside(z[t])
        elif variant in ("spyx_lif", "spyx_cubalif"):
            z[t] = prev - THETA
            s[t] = heaviside(z[t])
            if variant == "spyx_lif":
                m[t] = BETA * prev + cur[t] - THETA * s[t]
            else:
                m[t] = BETA * (prev - THETA * s[t]) + cur[t]
        else:
            raise ValueError(variant)
        prev = m[t]

    # Backward: L = sum(s). g_m = dL/dm_t (total, from later steps), g_i = dL/dI_t.
    g_cur = np.zeros_like(cur)
    g_m = np.zeros_like(cur[0])
    for t in reversed(range(steps)):
        d = dsurrogate(z[t], k)
        if variant == "protocol":         # v_t = u - θ·sg(s): the reset carries no gradient
            g_u = d + g_m
            g_cur[t], g_m = g_u, BETA * g_u
        elif variant == "norse":          # v_t = u - θ·s: dL/du = σ'·(1 - θ·g_v) + g_v
            g_u = d * (1.0 - THETA * g_m) + g_m
            g_cur[t], g_m = g_u, BETA * g_u
        elif variant == "snntorch_nodelay":  # m_t = p - θ·(s - r), r detached
            g_p = d * (1.0 - THETA * g_m) + g_m
            g_cur[t], g_m = g_p, BETA * g_p
        elif variant == "snntorch_delay":    # s_t and m_{t+1} read m_t; the reset term is detached
            g_mt = d + g_m
            g_cur[t], g_m = g_mt, BETA * g_mt
        else:
            # Spyx: s_t reads V_{t-1}, so V_t feeds s_{t+1} and V_{t+1}; V_{T-1} feeds nothing.
            # g_m on entry is dL/dV_t (0 for t = T-1); s_t = H(V_{t-1} - θ) enters L and V_t.
            g_cur[t] = g_m                  # V_t = ... + I_t
            if variant == "spyx_lif":       # V_t = β·V_{t-1} + I_t - θ·s_t
                g_m = d * (1.0 - THETA * g_m) + BETA * g_m
            else:                           # V_t = β·(V_{t-1} - θ·s_t) + I_t
                g_m = d * (1.0 - BETA * THETA * g_m) + BETA * g_m
    grad = np.einsum("tbo,tbi->oi", g_cur, x.astype(np.float64))
    return s, grad


# ---------------------------------------------------------------------- snnir cross-check of the references
SNNIR_OPTIONS = {
    "protocol": {},
    "norse": {"detach_reset": False, "surrogate_beta": 1.0},
    "snntorch_delay": {"reset_at": "next"},
    "spyx_lif": {"spike_from": "pre", "detach_reset": False},
    "spyx_cubalif": {"spike_from": "pre", "detach_reset": False, "reset_before_leak": True},
}


def snnir_reference(variant: str, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    import snnir

    opts = dict(SNNIR_OPTIONS[variant])
    surrogate = snnir.Surrogate(name="superspike", params={"beta": opts.pop("surrogate_beta", 10.0)})
    b = snnir.GraphBuilder(key=0)
    fc = b.add(snnir.Linear(id="fc", weight=w, bias=None), b.input("x", w.shape[1]))
    b.output(b.lif(fc, decay=BETA, threshold=THETA, surrogate=surrogate, id="lif", **opts), id="y")
    prog = snnir.compile(b.build(), mode="straight")
    params, static = eqx.partition(prog, eqx.is_array)
    state = prog.init_state(batch_shape=(x.shape[1],))

    def forward(weight, xs):
        p = eqx.tree_at(lambda p: p.kernels["fc"].weight, eqx.combine(params, static), weight)
        return p(state, xs)[1]["y"]

    xs, weight = jnp.asarray(x), jnp.asarray(w)
    spikes = jax.jit(forward)(weight, xs)
    grad = jax.jit(jax.grad(lambda wt: jnp.sum(forward(wt, xs))))(weight)
    return np.asarray(spikes), np.asarray(grad)


# ---------------------------------------------------------------------- comparison
def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def compare(label: str, spikes, grad, ref_spikes, ref_grad) -> tuple[int, float]:
    diff = int(np.sum(np.asarray(spikes) != np.asarray(ref_spikes)))
    err = rel_err(np.asarray(grad, np.float64), ref_grad)
    print(f"    {label:44s} spikes differing: {diff:5d} / {ref_spikes.size}   grad max|diff| "
          f"{np.max(np.abs(np.asarray(grad, np.float64) - ref_grad)):.3g}  rel {err:.2e}")
    return diff, err


def make_case() -> tuple[np.ndarray, np.ndarray]:
    """x uniform in [0, 1); W uniform around a small positive mean so that most neurons spike at varied rates."""
    rng = np.random.default_rng(7)
    x = rng.random((T, B, N), dtype=np.float32)
    w = (rng.uniform(-1.5, 1.5, (N, N)) / np.sqrt(N) + 1.2 / N).astype(np.float32)
    return x, w


PEERS = [  # (script, extra args, its own variant, how its spikes line up with the protocol's)
    ("snntorch_lif.py", [], "snntorch_nodelay", "same step"),
    ("snntorch_lif.py", ["--reset-delay", "on"], "snntorch_delay", "same step"),
    ("norse_lif.py", [], "norse", "same step"),
    ("spyx_lif.py", [], "spyx_lif", "one step late"),
    ("spyx_lif.py", ["--neuron", "cubalif"], "spyx_cubalif", "one step late"),
]


def main() -> int:
    x, w = make_case()
    refs = {v: reference(v, x, w) for v in
            ("protocol", "norse", "snntorch_nodelay", "snntorch_delay", "spyx_lif", "spyx_cubalif")}
    ps, _ = refs["protocol"]
    print(f"case: n={N}, B={B}, T={T}; protocol spike rate {ps.mean():.3f}, fraction of neurons that spike "
          f"{np.mean(ps.any(axis=0)):.2f}; snnTorch reset_delay=False differs from the protocol in "
          f"{int(np.sum(refs['snntorch_nodelay'][0] != ps))} spike entries (a post-reset membrane above θ)")

    ok = True
    print("numpy references vs snnir (same options, JAX autodiff):")
    for variant in SNNIR_OPTIONS:
        diff, err = compare(variant, *snnir_reference(variant, x, w), *refs[variant])
        ok &= diff == 0 and err < 1e-4

    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "IN.npz"
        np.savez(inp, x=x, W=w)
        for script, extra, variant, lag in PEERS:
            out = Path(tmp) / f"{variant}.npz"
            cmd = [str(PEER_PY), str(HERE / script), "--check", str(inp), str(out), *extra]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            print(f"{script} {' '.join(extra)}".rstrip() + f"  (its variant: {variant})")
            if proc.returncode != 0:
                print("    FAILED:\n" + proc.stderr[-2000:])
                ok = False
                continue
            with np.load(out) as got:
                spikes, grad = got["spikes"], got["grad"]
            diff, err = compare(f"vs its own equations ({variant})", spikes, grad, *refs[variant])
            ok &= diff == 0 and err < 1e-4
            if lag == "one step late":
                compare("vs protocol, its spikes shifted back a step", spikes[1:], grad, ps[:-1], refs["protocol"][1])
                print(f"    (s_0 is always 0: {int(spikes[0].sum())} spikes at t=0)")
                if variant == "spyx_lif":
                    delayed = refs["snntorch_delay"]
                    compare("vs snnTorch's default Leaky, shifted back", spikes[1:], grad, delayed[0][:-1], delayed[1])
            else:
                compare("vs protocol", spikes, grad, *refs["protocol"])
    print("ALL MATCH their stated equations" if ok else "MISMATCH: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
