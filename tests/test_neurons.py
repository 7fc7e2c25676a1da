"""Every SNNAX and Spyx neuron, reproduced by snnir nodes and options, against the peer's own equations.

Each ``peer_*`` function below is a plain-numpy transcription of what the peer's code computes, in the
peer's own form (SNNAX's state lists such as [U, I, S] with the reset first in LIF, Spyx's
``s = H(V − θ)`` from the pre-update membrane, recurrent ``s @ W``), written from the tables in the
peers' notes, not from snnir. All branches live in one graph (one input per branch, so each gets input
that makes it spike often), compiled once per mode in float64:

* straight mode: every branch's Output equals its peer function, in both strategies (and so does the
  reference simulator);
* delayed mode: the program equals the reference simulator (which implements the timing on its own).

Per-neuron parameter arrays are used throughout, including decays outside the clamp range (clipped in
the forward pass).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from reference_sim import simulate_ports

T, B, N = 64, 3, 6
RNG = np.random.default_rng(1234)
# per-neuron decays; the SNNAX ones include values below SNNAX's clamp range [0.5, 1] (clipped to it)
SNNAX_DECAY_A = np.array([0.3, 0.55, 0.7, 0.8, 0.9, 0.6])
SNNAX_DECAY_B = np.array([0.9, 0.6, 0.4, 0.75, 0.2, 0.85])
SPYX_BETA = np.array([0.0, 0.25, 0.5, 0.8, 0.95, 1.3])  # 1.3 is clipped to 1 by Spyx's clip(0, 1)
SPYX_ALPHA = np.array([0.5, 0.9, -0.2, 0.6, 0.7, 0.3])  # -0.2 is clipped to 0
THETA = np.array([1.0, 0.75, 1.25, 1.0, 0.5, 1.5])


def H1(z):  # SNNAX: jnp.heaviside(z, 1.), so H(0) = 1
    return np.heaviside(z, 1.0)


def H0(z):  # Spyx: z > 0
    return (z > 0).astype(np.float64)


def clamp(lo, p, hi):  # lax.clamp / jnp.clip in the forward pass
    return np.clip(p, lo, hi)


def softplus(x):
    return np.log1p(np.exp(x))


def zeros():
    return np.zeros((B, N))


# ---------------------------------------------------------------------- SNNAX, as its code computes
def peer_snnax_simple_iaf(xs, leak, reset_val=None):
    U, S, out = zeros(), zeros(), []
    for x in xs:
        U = (U - leak) + x
        S = H1(U - THETA)
        R = U * S if reset_val is None else reset_val * S
        U = U - R
        out.append(S)
    return np.stack(out)


def peer_snnax_iaf(xs, dc, leak, reset_val=None):
    U, I, S, out = zeros(), zeros(), zeros(), []
    for x in xs:
        beta = clamp(0.5, dc, 1.0)
        U = (U - leak) + I  # the old current, no (1 - a) factor
        I = beta * I + (1 - beta) * x
        S = H1(U - THETA)
        R = U * S if reset_val is None else reset_val * S
        U = U - R
        out.append(S)
    return np.stack(out)


def peer_snnax_simple_li(xs, dc):
    U, out = zeros(), []
    for x in xs:
        alpha = clamp(0.5, dc, 1.0)
        U = alpha * U + (1 - alpha) * x
        out.append(U)
    return np.stack(out)


def peer_snnax_simple_lif(xs, dc, reset_val=None):
    U, S, out = zeros(), zeros(), []
    for x in xs:
        alpha = clamp(0.5, dc, 1.0)
        U = alpha * U + (1 - alpha) * x
        S = H1(U - THETA)
        R = U * S if reset_val is None else softplus(reset_val) * S
        U = U - R
        out.append(S)
    return np.stack(out)


def peer_snnax_lif(xs, dc0, dc1, reset_val=None, soft=False):
    """LIF (soft=False) and LIFSoftReset (soft=True): the reset comes first, with the previous spike."""
    U, I, S, out = zeros(), zeros(), zeros(), []
    for x in xs:
        if soft:
            R = S if reset_val is None else reset_val * S
        else:
            R = U * S if reset_val is None else (U - reset_val) * S
        U = U - R
        alpha, beta = clamp(0.5, dc0, 1.0), clamp(0.5, dc1, 1.0)
        U = alpha * U + (1 - alpha) * I
        I = beta * I + (1 - beta) * x
        S = H1(U - THETA)
        out.append(S)
    return np.stack(out)


def peer_snnax_adaptive_lif(xs, dc, ada_decay, ada_step, ada_coupling, reset_val=None):
    U, A, S, out = zeros(), zeros(), zeros(), []
    for x in xs:
        alpha, beta = clamp(0.5, dc, 1.0), clamp(0.5, ada_decay, 1.0)
        a, b = clamp(-1.0, ada_coupling, 1.0), clamp(0.0, ada_step, 2.0)
        U = alpha * U + (1 - alpha) * (x + A)
        S = H1(U - THETA)
        A = (1 - beta) * a * U + beta * A - b * S
        R = U * S if reset_val is None else reset_val * S
        U = U - R
        out.append(S)
    return np.stack(out)


def peer_snnax_sigma_delta(xs, in_decay, mem_decay, fb_decay):
    d_in, d_mem, d_fb = in_decay, mem_decay, fb_decay
    i, e, i_mem, s, spike, out = zeros(), zeros(), zeros(), zeros(), zeros(), []
    for x in xs:
        i = i * d_in + x
        e = i - s
        i_mem = i_mem * d_mem + e
        spike = H1(i_mem - THETA)
        s = s * d_fb + spike
        out.append(spike)
    return np.stack(out)


def peer_snnax_srm(xs, dc0, dc1, r_dc, reset_val, W, b):
    """SRM(layer): the input filters run before the layer (y = q W^T + b), the refractory term after."""
    p, q = zeros(), zeros()
    r = s = np.zeros((B, W.shape[0]))
    out = []
    for x in xs:
        alpha, beta = clamp(0.5, dc0, 1.0), clamp(0.5, dc1, 1.0)
        gamma, rv = clamp(0.5, r_dc, 1.0), clamp(0.0, reset_val, 2.0)
        p = alpha * p + (1 - alpha) * x
        q = beta * q + (1 - beta) * p
        r = gamma * r + rv * s
        V = (q @ W.T + b) - rv * r
        s = H1(V - THETA[: W.shape[0]])
        out.append(s)
    return np.stack(out)


def peer_snnax_spike_counter(xs):
    count, out = zeros(), []
    for x in xs:
        count = count + x
        out.append(count)
    return np.stack(out)


# ---------------------------------------------------------------------- Spyx, as its code computes
def peer_spyx_if(xs, W=None):
    V, out = zeros(), []
    for x in xs:
        s = H0(V - THETA)
        rec = 0.0 if W is None else s @ W  # RIF: rows of W are presynaptic
        V = V + x + rec - s * THETA
        out.append(s)
    return np.stack(out)


def peer_spyx_lif(xs, beta, W=None):
    V, out = zeros(), []
    for x in xs:
        b = np.clip(beta, 0, 1)
        s = H0(V - THETA)
        rec = 0.0 if W is None else s @ W  # RLIF
        V = b * V + x + rec - s * THETA
        out.append(s)
    return np.stack(out)


def peer_spyx_li(xs, beta):
    V, out = zeros(), []
    for x in xs:
        V = np.clip(beta, 0, 1) * V + x
        out.append(V)
    return np.stack(out)


def peer_spyx_alif(xs, beta, gamma):
    V, Tad, out = zeros(), zeros(), []
    for x in xs:
        b, g = np.clip(beta, 0, 1), np.clip(gamma, 0, 1)
        thresh = THETA + Tad
        s = H0(V - thresh)
        V = b * V + x - s * thresh
        Tad = g * Tad + (1 - g) * s
        out.append(s)
    return np.stack(out)


def peer_spyx_cubalif(xs, alpha, beta, W=None):
    """Spyx 1.0's CuBaLIF (a single reset); with W, RCuBaLIF (feedback into the current)."""
    V, I, out = zeros(), zeros(), []
    for x in xs:
        a, b = np.clip(alpha, 0, 1), np.clip(beta, 0, 1)
        s = H0(V - THETA)
        V = V - s * THETA
        I = a * I + x + (0.0 if W is None else s @ W)
        V = b * V + I
        out.append(s)
    return np.stack(out)


def peer_spyx_activity_regularization(xs):
    return peer_snnax_spike_counter(xs)


def peer_spyx_population_code(xs, C):
    out = []
    for x in xs:  # Spyx: reshape(x, (-1, C)).sum(-1) flattens the batch; one sample at a time here
        out.append(np.stack([np.sum(np.reshape(sample, (-1, C)), axis=-1) for sample in x]))
    return np.stack(out)


# ---------------------------------------------------------------------- the branches
@dataclasses.dataclass(frozen=True)
class Branch:
    """Input ``x_<name>`` -> nodes (the first is the entry) -> Output ``<name>`` from (exit, port)."""

    name: str
    nodes: tuple
    peer: Callable
    amplitude: tuple[float, float]  # input range: uniform in [lo, hi]
    edges: tuple = ()
    exit: tuple[str, str] | None = None
    spiking: bool = True


W_REC = RNG.normal(0, 0.4, size=(N, N))  # Spyx's W: rows presynaptic
W_SRM = np.random.default_rng(3).uniform(-0.1, 0.5, size=(4, N))
B_SRM = np.full(4, 0.2)
ADA = dict(ada_decay=np.array([0.8, 0.3, 0.9, 1.1, 0.6, 0.7]), ada_step=np.array([1.0, 2.5, -0.5, 0.5, 1.5, 0.0]),
           ada_coupling=np.array([0.5, -1.5, 0.2, 1.5, -0.3, 0.9]))
SIGMA = dict(in_decay=np.array([0.5, 0.9, 1.0, 0.7, 0.2, 0.8]), mem_decay=np.array([0.6, 0.3, 0.8, 1.0, 0.5, 0.9]),
             fb_decay=np.array([0.4, 0.9, 0.5, 0.1, 0.8, 1.0]))
SNNAX = dict(fire_at_threshold=True, surrogate={"name": "superspike_unsquared", "params": {"beta": 10.0}})
SNNAX_CLAMP = dict(SNNAX, decay_clamp=(0.5, 1.0))
SPYX = dict(spike_from="pre", detach_reset=False, surrogate={"name": "superspike", "params": {"beta": 25.0}})
S = (N,)


def _branches() -> list[Branch]:
    n = lambda cls, **kw: cls(id="n", shape=S, threshold=THETA, **kw)  # noqa: E731  (every branch's neuron is "n")
    lif = functools.partial(n, snnir.LIF)
    cuba = functools.partial(n, snnir.CubaLIF)
    iaf = functools.partial(n, snnir.IF)
    snnax_lif = dict(SNNAX_CLAMP, syn_decay=SNNAX_DECAY_B, mem_decay=SNNAX_DECAY_A, input_scale="one_minus_decay",
                     current_lag=True, reset_before_leak=True, reset_at="next")
    snnax_iaf = dict(SNNAX_CLAMP, syn_decay=SNNAX_DECAY_A, mem_decay=None, input_scale="one_minus_decay",
                     current_lag=True, leak=0.125)
    return [
        # SNNAX
        Branch("snnax_simple_iaf", (iaf(leak=0.25, reset="zero", **SNNAX),),
               lambda xs: peer_snnax_simple_iaf(xs, 0.25), (-0.5, 1.5)),
        Branch("snnax_simple_iaf_val", (iaf(leak=0.125, reset="subtract_value", reset_value=0.75, **SNNAX),),
               lambda xs: peer_snnax_simple_iaf(xs, 0.125, reset_val=0.75), (-0.5, 1.5)),
        Branch("snnax_iaf", (cuba(reset="zero", **snnax_iaf),),
               lambda xs: peer_snnax_iaf(xs, SNNAX_DECAY_A, 0.125), (-1.0, 4.0)),
        Branch("snnax_iaf_val", (cuba(reset="subtract_value", reset_value=0.5, **snnax_iaf),),
               lambda xs: peer_snnax_iaf(xs, SNNAX_DECAY_A, 0.125, reset_val=0.5), (-1.5, 2.5)),
        Branch("snnax_simple_li", (snnir.LI(id="n", shape=S, decay=SNNAX_DECAY_A, input_scale="one_minus_decay",
                                            decay_clamp=(0.5, 1.0)),),
               lambda xs: peer_snnax_simple_li(xs, SNNAX_DECAY_A), (-2.0, 2.0), spiking=False),
        Branch("snnax_simple_lif", (lif(decay=SNNAX_DECAY_A, input_scale="one_minus_decay", reset="zero",
                                        **SNNAX_CLAMP),),
               lambda xs: peer_snnax_simple_lif(xs, SNNAX_DECAY_A), (-2.0, 8.0)),
        Branch("snnax_simple_lif_val", (lif(decay=SNNAX_DECAY_A, input_scale="one_minus_decay",
                                            reset="subtract_value", reset_value=softplus(-0.5), **SNNAX_CLAMP),),
               lambda xs: peer_snnax_simple_lif(xs, SNNAX_DECAY_A, reset_val=-0.5), (-2.0, 8.0)),
        Branch("snnax_lif", (cuba(reset="zero", **snnax_lif),),
               lambda xs: peer_snnax_lif(xs, SNNAX_DECAY_A, SNNAX_DECAY_B), (-2.0, 8.0)),
        Branch("snnax_lif_val", (cuba(reset="to_value", reset_value=-0.25, **snnax_lif),),
               lambda xs: peer_snnax_lif(xs, SNNAX_DECAY_A, SNNAX_DECAY_B, reset_val=-0.25), (-2.0, 8.0)),
        Branch("snnax_lif_soft", (cuba(reset="subtract_value", reset_value=1.0, **snnax_lif),),
               lambda xs: peer_snnax_lif(xs, SNNAX_DECAY_A, SNNAX_DECAY_B, soft=True), (-2.0, 8.0)),
        Branch("snnax_lif_soft_val", (cuba(reset="subtract_value", reset_value=0.5, **snnax_lif),),
               lambda xs: peer_snnax_lif(xs, SNNAX_DECAY_A, SNNAX_DECAY_B, reset_val=0.5, soft=True), (-2.0, 8.0)),
        Branch("snnax_adaptive_lif", (n(snnir.AdaptiveLIF, decay=SNNAX_DECAY_A, input_scale="one_minus_decay",
                                        reset="zero", coupling_clamp=(-1.0, 1.0), step_clamp=(0.0, 2.0),
                                        **ADA, **SNNAX_CLAMP),),
               lambda xs: peer_snnax_adaptive_lif(xs, SNNAX_DECAY_A, **ADA), (-2.0, 8.0)),
        Branch("snnax_adaptive_lif_val", (n(snnir.AdaptiveLIF, decay=SNNAX_DECAY_A, input_scale="one_minus_decay",
                                            reset="subtract_value", reset_value=0.5, coupling_clamp=(-1.0, 1.0),
                                            step_clamp=(0.0, 2.0), **ADA, **SNNAX_CLAMP),),
               lambda xs: peer_snnax_adaptive_lif(xs, SNNAX_DECAY_A, **ADA, reset_val=0.5), (-2.0, 8.0)),
        Branch("snnax_sigma_delta", (n(snnir.SigmaDelta, **SIGMA, **SNNAX),),
               lambda xs: peer_snnax_sigma_delta(xs, **SIGMA), (-1.0, 1.5)),
        Branch("snnax_srm", (
            snnir.LI(id="p", shape=S, decay=SNNAX_DECAY_A, input_scale="one_minus_decay", decay_clamp=(0.5, 1.0)),
            snnir.LI(id="q", shape=S, decay=SNNAX_DECAY_B, input_scale="one_minus_decay", decay_clamp=(0.5, 1.0)),
            snnir.Linear(id="w", weight=W_SRM, bias=B_SRM),
            snnir.SRM(id="n", shape=(4,), threshold=THETA[:4], r_decay=np.array([0.3, 0.7, 0.9, 1.0]),
                      refractory=np.array([0.5, 1.0, 2.5, -1.0]), refractory_clamp=(0.0, 2.0), **SNNAX_CLAMP)),
               lambda xs: peer_snnax_srm(xs, SNNAX_DECAY_A, SNNAX_DECAY_B, np.array([0.3, 0.7, 0.9, 1.0]),
                                         np.array([0.5, 1.0, 2.5, -1.0]), W_SRM, B_SRM),
               (-1.0, 3.0), edges=(("p", "q"), ("q", "w"), ("w", "n"))),
        Branch("snnax_spike_counter", (snnir.SpikeCounter(id="n", shape=S),), peer_snnax_spike_counter,
               (0.0, 1.0), exit=("n", "count"), spiking=False),
        # Spyx
        Branch("spyx_if", (iaf(**SPYX),), peer_spyx_if, (-0.5, 1.0)),
        Branch("spyx_lif", (lif(decay=SPYX_BETA, decay_clamp=(0.0, 1.0), **SPYX),),
               lambda xs: peer_spyx_lif(xs, SPYX_BETA), (-0.5, 1.5)),
        Branch("spyx_li", (snnir.LI(id="n", shape=S, decay=SPYX_BETA, decay_clamp=(0.0, 1.0)),),
               lambda xs: peer_spyx_li(xs, SPYX_BETA), (-1.0, 1.0), spiking=False),
        Branch("spyx_alif", (n(snnir.ALIF, decay=SPYX_BETA, adapt_decay=SPYX_ALPHA, decay_clamp=(0.0, 1.0), **SPYX),),
               lambda xs: peer_spyx_alif(xs, SPYX_BETA, SPYX_ALPHA), (-0.5, 2.0)),
        Branch("spyx_cubalif", (cuba(syn_decay=SPYX_ALPHA, mem_decay=SPYX_BETA, reset_before_leak=True,
                                     decay_clamp=(0.0, 1.0), **SPYX),),
               lambda xs: peer_spyx_cubalif(xs, SPYX_ALPHA, SPYX_BETA), (-0.5, 1.0)),
        Branch("spyx_rif", (iaf(**SPYX), snnir.Linear(id="rec", weight=W_REC.T)),
               lambda xs: peer_spyx_if(xs, W=W_REC), (-0.5, 1.0), edges=(("n", "rec"), ("rec", "n")), exit=("n", "out")),
        Branch("spyx_rlif", (lif(decay=SPYX_BETA, decay_clamp=(0.0, 1.0), **SPYX),
                             snnir.Linear(id="rec", weight=W_REC.T)),
               lambda xs: peer_spyx_lif(xs, SPYX_BETA, W=W_REC), (-0.5, 1.5), edges=(("n", "rec"), ("rec", "n")), exit=("n", "out")),
        Branch("spyx_rcubalif", (cuba(syn_decay=SPYX_ALPHA, mem_decay=SPYX_BETA, reset_before_leak=True,
                                      decay_clamp=(0.0, 1.0), **SPYX), snnir.Linear(id="rec", weight=W_REC.T)),
               lambda xs: peer_spyx_cubalif(xs, SPYX_ALPHA, SPYX_BETA, W=W_REC), (-0.5, 1.0),
               edges=(("n", "rec"), ("rec", "n")), exit=("n", "out")),
        Branch("spyx_activity_regularization", (snnir.ActivityRegularization(id="n", shape=S),),
               peer_spyx_activity_regularization, (0.0, 1.0), exit=("n", "count"), spiking=False),
        Branch("spyx_population_code", (snnir.PopulationCode(id="n", group_size=3),),
               lambda xs: peer_spyx_population_code(xs, 3), (0.0, 1.0), spiking=False),
    ]


BRANCHES = {b.name: b for b in _branches()}


def _graph_and_inputs() -> tuple[snnir.Graph, dict[str, np.ndarray]]:
    """All branches in one graph; node ids are prefixed with the branch name."""
    nodes, edges, xs = [], [], {}
    rng = np.random.default_rng(7)
    for b in BRANCHES.values():
        pid = lambda i: f"{b.name}.{i}"  # noqa: E731
        nodes.append(snnir.Input(id=f"x_{b.name}", shape=S))
        nodes.extend(node.replace(id=pid(node.id)) for node in b.nodes)
        nodes.append(snnir.Output(id=b.name))
        edges.append(snnir.Edge(f"x_{b.name}", pid(b.nodes[0].id)))
        edges.extend(snnir.Edge(pid(src), pid(dst)) for src, dst in b.edges)
        exit_id, port = b.exit or (b.nodes[-1].id, "out")
        edges.append(snnir.Edge(pid(exit_id), b.name, src_port=port))
        lo, hi = b.amplitude
        xs[f"x_{b.name}"] = rng.uniform(lo, hi, size=(T, B, N))
    return snnir.Graph(nodes=nodes, edges=edges).astype("float64"), xs


@functools.lru_cache(maxsize=None)
def _results():
    graph, xs = _graph_and_inputs()
    out = {"graph": graph, "xs": xs}
    with jax.enable_x64(True):
        for mode in ("straight", "delayed"):
            prog = snnir.compile(graph, mode=mode)
            _, ys = prog(prog.init_state((B,)), {k: jnp.asarray(v) for k, v in xs.items()})
            out[mode] = {k: np.asarray(v) for k, v in ys.items()}
            ref = simulate_ports(graph, xs, mode=mode)
            out[f"ref_{mode}"] = {b: ref[(b, "out")] for b in BRANCHES}
            out[f"feedback_{mode}"] = prog.feedback_edges
        # the graph holds Linears, so "auto" runs the layered strategy; the fused scan must agree
        prog = snnir.compile(graph, strategy="fused-scan")
        _, ys = prog(prog.init_state((B,)), {k: jnp.asarray(v) for k, v in xs.items()})
        out["fused"] = {k: np.asarray(v) for k, v in ys.items()}
    return out


@pytest.mark.parametrize("name", list(BRANCHES))
def test_straight_mode_reproduces_the_peer(name):
    branch, res = BRANCHES[name], _results()
    expected = branch.peer(res["xs"][f"x_{name}"])
    got, ref = res["straight"][name], res["ref_straight"][name]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref, expected, rtol=1e-12, atol=1e-12)  # the reference simulator agrees
    np.testing.assert_allclose(res["fused"][name], expected, rtol=1e-12, atol=1e-12)
    if branch.spiking:  # the comparison means something only if the neurons spike often, and not always
        assert 0.1 < expected.mean() < 0.9, expected.mean()
        assert expected.any(axis=(0, 1)).all(), "every neuron spikes at least once"


@pytest.mark.parametrize("name", list(BRANCHES))
def test_delayed_mode_matches_the_reference_simulator(name):
    res = _results()
    np.testing.assert_allclose(res["delayed"][name], res["ref_delayed"][name], rtol=1e-12, atol=1e-12)


def test_recurrence_through_a_pre_spiking_neuron_needs_no_feedback_mark():
    """RLIF = pre-spiking LIF + Linear from its spikes back to its input, same step: the spikes do not
    depend on this step's input, so the cycle needs no delay."""
    assert _results()["feedback_straight"] == ()


def test_current_lag_spikes_do_not_feed_through():
    lagged = snnir.CubaLIF(id="c", shape=S, syn_decay=0.5, mem_decay=0.5, current_lag=True)
    assert not lagged.feedthrough("out") and lagged.feedthrough("i")
    assert snnir.CubaLIF(id="c", shape=S, syn_decay=0.5, mem_decay=0.5).feedthrough("out")
    assert not snnir.ALIF(id="a", shape=S, decay=0.5, adapt_decay=0.5, spike_from="pre").feedthrough("out")
    # a zero-delay cycle through a lagged CubaLIF is a recurrence without any feedback mark
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=S), lagged, snnir.Scale(id="s", scale=0.5), snnir.Output(id="y")],
                    edges=[snnir.Edge("x", "c"), snnir.Edge("c", "s"), snnir.Edge("s", "c"), snnir.Edge("c", "y")])
    assert snnir.analyze(g).feedback_edges == ()


# ---------------------------------------------------------------------- gradients
def _sg_superspike(z, beta):
    return 1 / (1 + beta * abs(z)) ** 2


def _sg_unsquared(z, beta):
    return 1 / (1 + beta * abs(z))


def _sg_arctan(z, beta):
    return 1 / (np.pi * (1 + (beta * np.pi * z) ** 2))


def _sg_tanh(z, beta):
    return 1 / np.cosh(beta * z) ** 2


def _sg_triangular(z, beta):
    return np.maximum(0.0, 1 - abs(beta * z))


def _sg_boxcar(z, width, height):
    return np.where(abs(z) < width / 2, height, 0.0)


def _sg_sigmoid(z, beta):
    sig = 1 / (1 + np.exp(-beta * z))
    return beta * sig * (1 - sig)


# (node, d out_0 / d x_0 as a function of x_0): one step from the zero state, θ = 0.75
GRADIENT_CASES = {
    "lif": (snnir.LIF(id="lif", shape=S, decay=0.5, input_scale="one_minus_decay", threshold=0.75),
            lambda x: 0.5 * _sg_superspike(0.5 * x - 0.75, 10.0)),
    "if": (snnir.IF(id="if", shape=S, leak=0.25, threshold=0.75, surrogate={"name": "superspike_unsquared"}),
           lambda x: _sg_unsquared(x - 0.25 - 0.75, 10.0)),
    "cuba": (snnir.CubaLIF(id="cuba", shape=S, syn_decay=0.5, mem_decay=0.75, input_scale="one_minus_decay",
                           threshold=0.75, surrogate={"name": "arctan", "params": {"beta": 2.0}}),
             lambda x: 0.125 * _sg_arctan(0.125 * x - 0.75, 2.0)),
    "ada": (snnir.AdaptiveLIF(id="ada", shape=S, decay=0.5, input_scale="one_minus_decay", threshold=0.75,
                              surrogate="tanh"),
            lambda x: 0.5 * _sg_tanh(0.5 * x - 0.75, 1.0)),
    "alif": (snnir.ALIF(id="alif", shape=S, decay=0.5, adapt_decay=0.5, threshold=0.75, surrogate="triangular"),
             lambda x: _sg_triangular(x - 0.75, 2.0)),
    "sd": (snnir.SigmaDelta(id="sd", shape=S, in_decay=0.5, mem_decay=0.5, fb_decay=0.5, threshold=0.75,
                            surrogate={"name": "boxcar", "params": {"width": 2.0, "height": 0.5}}),
           lambda x: _sg_boxcar(x - 0.75, 2.0, 0.5)),
    "srm": (snnir.SRM(id="srm", shape=S, r_decay=0.5, refractory=1.0, threshold=0.75, surrogate="sigmoid"),
            lambda x: _sg_sigmoid(x - 0.75, 1.0)),
    "li": (snnir.LI(id="li", shape=S, decay=0.25, input_scale="one_minus_decay"), lambda x: np.full_like(x, 0.75)),
    "count": (snnir.SpikeCounter(id="count", shape=S), lambda x: np.ones_like(x)),
    "pop": (snnir.PopulationCode(id="pop", group_size=2), lambda x: np.ones_like(x)),
}


def _gradient_graph() -> snnir.Graph:
    nodes, edges = [], []
    for name, (node, _) in GRADIENT_CASES.items():
        nodes += [snnir.Input(id=f"x_{name}", shape=S), node, snnir.Output(id=f"y_{name}")]
        edges += [snnir.Edge(f"x_{name}", node.id), snnir.Edge(node.id, f"y_{name}")]
    return snnir.Graph(nodes=nodes, edges=edges)


def test_gradients_follow_the_surrogate_formulas_and_stay_finite():
    prog = snnir.compile(_gradient_graph())
    diff, static = eqx.partition(prog, prog.trainable())
    rng = np.random.default_rng(5)
    xs = {f"x_{name}": jnp.asarray(rng.uniform(-1.0, 4.0, size=(16, 2, N)), jnp.float32) for name in GRADIENT_CASES}

    def loss(diff, xs, first_step):
        p = eqx.combine(diff, static)
        _, ys = p(p.init_state((2,)), xs)
        return sum(jnp.sum(y[0] if first_step else y) for y in ys.values())

    @eqx.filter_jit
    def grads(diff, xs):
        return jax.grad(loss, (0, 1))(diff, xs, True), jax.grad(loss, (0, 1))(diff, xs, False)

    (_, first), (params, every) = grads(diff, xs)
    for name, (node, formula) in GRADIENT_CASES.items():
        x0 = np.asarray(xs[f"x_{name}"][0], np.float64)
        np.testing.assert_allclose(np.asarray(first[f"x_{name}"][0]), formula(x0), rtol=1e-5, atol=1e-7,
                                   err_msg=name)
        assert np.isfinite(np.asarray(every[f"x_{name}"])).all(), name
    leaves = jax.tree_util.tree_leaves(params)
    assert leaves and all(np.isfinite(np.asarray(leaf)).all() for leaf in leaves)
    decay_grads = [params.kernels[nid].decay for nid in ("lif", "ada", "alif", "li")]
    assert all(np.asarray(g).any() for g in decay_grads), "decays get gradients through the membrane"


def test_decay_clamp_gradient_is_zero_outside_the_range():
    """Like lax.clamp: a decay stored outside [lo, hi] acts as the bound and gets no gradient."""
    graph = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,)),
               snnir.LI(id="li", shape=(2,), decay=[0.25, 0.75], decay_clamp=(0.5, 1.0)), snnir.Output(id="y")],
        edges=[snnir.Edge("x", "li"), snnir.Edge("li", "y")])
    prog = snnir.compile(graph)
    xs = jnp.ones((3, 1, 2), jnp.float32)

    def loss(p):
        return jnp.sum(p(p.init_state((1,)), xs)[1]["y"][-1])

    g = eqx.filter_grad(loss)(prog).kernels["li"].decay
    _, ys = prog(prog.init_state((1,)), xs)
    np.testing.assert_allclose(np.asarray(ys["y"][:, 0, 0]), [1.0, 1.5, 1.75])  # decay 0.25 acts as 0.5
    assert float(g[0]) == 0.0 and float(g[1]) == pytest.approx(1.0 + 2 * 0.75)  # d(1 + d + d²)/dd


# ---------------------------------------------------------------------- checks
def _lone(node, shape=S) -> snnir.Graph:
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=shape), node, snnir.Output(id="y")],
                       edges=[snnir.Edge("x", node.id), snnir.Edge(node.id, "y")])


BAD = {
    "reset_before_leak with post+same": (
        snnir.LIF(id="n", shape=S, decay=0.5, reset_before_leak=True), "reset_at='next'"),
    "subtract_value without reset_value": (
        snnir.IF(id="n", shape=S, reset="subtract_value"), "needs reset_value"),
    "reset_value without a value reset": (
        snnir.CubaLIF(id="n", shape=S, syn_decay=0.5, mem_decay=0.5, reset_value=0.5), "ignores it"),
    "decay_clamp upside down": (
        snnir.LIF(id="n", shape=S, decay=0.5, decay_clamp=(1.0, 0.5)), "lo <= hi"),
    "decay_clamp outside [0, 1]": (
        snnir.LI(id="n", shape=S, decay=0.5, decay_clamp=(-0.5, 1.0)), "within [0, 1]"),
    "decay out of range without a clamp": (
        snnir.LIF(id="n", shape=S, decay=1.5), "must lie in [0, 1]"),
    "decay_clamp on IF": (
        snnir.IF(id="n", shape=S, decay_clamp=(0.5, 1.0)), "has no decay"),
    "coupling_clamp upside down": (
        snnir.AdaptiveLIF(id="n", shape=S, decay=0.5, coupling_clamp=(1.0, -1.0)), "coupling_clamp"),
    "AdaptiveLIF to_value without reset_value": (
        snnir.AdaptiveLIF(id="n", shape=S, decay=0.5, reset="to_value"), "needs reset_value"),
    "refractory_clamp upside down": (
        snnir.SRM(id="n", shape=S, refractory_clamp=(2.0, 0.0)), "refractory_clamp"),
    "ALIF decay out of range": (
        snnir.ALIF(id="n", shape=S, decay=0.5, adapt_decay=-0.5), "adapt_decay must lie in [0, 1]"),
    "SigmaDelta per-neuron decay of the wrong shape": (
        snnir.SigmaDelta(id="n", shape=S, in_decay=[0.5, 0.5], mem_decay=0.5, fb_decay=0.5), "does not broadcast"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_option_combinations_are_reported_with_a_hint(case):
    node, words = BAD[case]
    found = [d for d in snnir.check(_lone(node)) if d.severity == "error"]
    assert len(found) == 1, found
    (d,) = found
    assert d.code == "bad-parameter" and d.nodes == ("n",) and words in d.message + d.hint and d.hint


def test_verify_collects_every_neuron_problem_at_once():
    nodes = [snnir.Input(id="x", shape=S)]
    edges = []
    for i, (node, _) in enumerate(BAD.values()):
        nodes.append(node.replace(id=f"n{i}"))
        edges.append(snnir.Edge("x", f"n{i}"))
        nodes.append(snnir.Output(id=f"y{i}"))
        edges.append(snnir.Edge(f"n{i}", f"y{i}"))
    with pytest.raises(snnir.VerifyError) as err:
        snnir.verify(snnir.Graph(nodes=nodes, edges=edges))
    assert {d.nodes for d in err.value.diagnostics if d.severity == "error"} == {(f"n{i}",) for i in range(len(BAD))}


def test_clamped_decays_may_be_stored_outside_the_unit_interval():
    assert not snnir.check(_lone(snnir.LIF(id="n", shape=S, decay=[1.5, 0.2, 0.9, 1, 1, 1], decay_clamp=(0.5, 1))))


def test_unknown_option_values_are_typed_errors():
    with pytest.raises(snnir.InvalidIRError, match="reset"):
        snnir.LIF(id="n", shape=S, decay=0.5, reset="subtract_twice")
    with pytest.raises(snnir.InvalidIRError, match="group_size"):
        snnir.PopulationCode(id="p", group_size=0)
    with pytest.raises(snnir.InvalidIRError, match="current_lag"):
        snnir.LIF(id="n", shape=S, decay=0.5, current_lag=True)  # a CubaLIF option only


def test_population_code_needs_a_multiple_of_its_group_size():
    with pytest.raises(snnir.VerifyError, match="multiple of 4"):
        snnir.verify(_lone(snnir.PopulationCode(id="n", group_size=4)))
    graph = _lone(snnir.PopulationCode(id="n", group_size=3), shape=(2, 3))
    assert snnir.analyze(graph) is not None and not snnir.check(graph)


# ---------------------------------------------------------------------- counters and extra ports
def test_counters_are_sinks_and_expose_their_count():
    graph = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=S), snnir.LIF(id="lif", shape=S, decay=0.5),
               snnir.SpikeCounter(id="sc", shape=S), snnir.ActivityRegularization(id="ar", shape=S),
               snnir.ALIF(id="alif", shape=S, decay=0.5, adapt_decay=0.5), snnir.Output(id="y"),
               snnir.Output(id="threshold")],
        edges=[snnir.Edge("x", "lif"), snnir.Edge("lif", "y"), snnir.Edge("lif", "sc"), snnir.Edge("lif", "ar"),
               snnir.Edge("x", "alif"), snnir.Edge("alif", "threshold", src_port="t")])
    assert [d for d in snnir.check(graph) if d.nodes in (("sc",), ("ar",))] == []
    counted_only = snnir.Graph(nodes=list(graph.nodes) + [snnir.Scale(id="scale_to_sc", scale=2.0)],
                               edges=list(graph.edges) + [snnir.Edge("x", "scale_to_sc"), snnir.Edge("scale_to_sc", "sc")])
    assert not [d for d in snnir.check(counted_only) if "scale_to_sc" in d.nodes]  # feeding a counter is a use
    prog = snnir.compile(graph)
    xs = np.random.default_rng(0).uniform(0.0, 2.0, size=(8, 2, N)).astype(np.float32)
    state, traces = prog.trace(prog.init_state((2,)), jnp.asarray(xs), state_vars=True)
    spikes = np.asarray(traces["lif"])
    np.testing.assert_array_equal(np.asarray(traces["sc:count"]), np.cumsum(spikes, axis=0))
    np.testing.assert_array_equal(np.asarray(state["ar"]["count"]), spikes.sum(axis=0))
    np.testing.assert_array_equal(np.asarray(traces["sc"]), spikes)  # the output passes the input through
    ref = simulate_ports(graph, {"x": xs})
    np.testing.assert_allclose(np.asarray(traces["threshold"]), ref[("alif", "t")], rtol=1e-6)


def test_builder_makes_every_neuron_kind_in_its_dtype():
    b = snnir.GraphBuilder(dtype="float64")
    x = b.input("x", 4)
    c = b.cuba_lif(x, syn_decay=0.5, mem_decay=None, current_lag=True, leak=0.125, input_scale="one_minus_decay")
    nodes = [c, b.adaptive_lif(x, decay=0.5, ada_step=[1.0, 0.5, 0.25, 0.0]), b.alif(x, decay=0.5, adapt_decay=0.75),
             b.sigma_delta(x, in_decay=1.0, mem_decay=0.5, fb_decay=0.5), b.srm(x, r_decay=0.5, refractory=0.5)]
    b.spike_counter(c, id="count")
    b.activity_regularization(nodes[1])
    for i, n in enumerate(nodes):
        b.output(b.population_code(n, 2), id=f"y{i}")
    graph = b.build()
    assert graph.node("count").shape == (4,) and graph.node("popcode1").group_size == 2
    assert graph.node(c).mem_decay is None and graph.node(c).leak.dtype == np.float64
    assert graph.node(nodes[1]).ada_step.dtype == np.float64
    assert not [d for d in snnir.check(graph) if d.severity == "error"]


def test_reset_before_the_leak_uses_the_spike_as_emitted_not_the_membrane():
    """SNNAX's LIF resets with the spike it emitted at the step before, which the state carries as "s"
    (0 at first): a membrane set above threshold before step 0 is not reset at step 0, and the threshold
    gets no gradient from the reset at step 0 even when the reset is not detached."""
    b = snnir.GraphBuilder(key=0)
    x = b.input("x", shape=(1,))
    lif = b.cuba_lif(x, mem_decay=0.5, syn_decay=0.5, current_lag=True, reset_at="next", reset_before_leak=True,
                     reset="zero", fire_at_threshold=True, detach_reset=False, threshold=1.0, id="lif")
    b.output(lif, id="y")
    prog = snnir.compile(b.build())
    state = prog.init_state((1,))
    assert set(state["lif"]) >= {"v", "i", "s"}
    state["lif"]["v"] = jnp.full((1, 1), 3.0)  # above threshold, as a user's init_fn may start it
    _, ys = prog(state, jnp.zeros((3, 1, 1)))
    # hand-derived: v = 0.5*3 = 1.5 -> spike; then the reset with that spike: v = 0.5*(1.5 - 1.5) = 0 -> none
    np.testing.assert_array_equal(np.asarray(ys["y"])[:, 0, 0], [1.0, 0.0, 0.0])

    def membrane_after_step_0(theta):
        p = eqx.tree_at(lambda q: q.kernels["lif"].threshold, prog, theta)
        s0 = p.init_state((1,))
        s0["lif"]["v"] = jnp.full((1, 1), 0.25)  # below threshold; a spike recomputed from it would be 0
        return jnp.sum(p.step(s0, jnp.zeros((1, 1)))[0]["lif"]["v"])  # but carry a surrogate gradient

    assert float(jax.grad(membrane_after_step_0)(jnp.asarray(1.0))) == 0.0

