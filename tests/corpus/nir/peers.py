"""Runs inside a throwaway peer environment (torch CPU, snnTorch, Norse, nirtorch, nir): never imports snnir.

    python peers.py FIXTURES_DIR                      # snnTorch 1.0 + Norse 1.1 environment
    python peers.py FIXTURES_DIR --import-only PEER   # another environment: only import snnir's files

1. Builds reference models in snnTorch and Norse with dyadic parameters, runs them on fixed dyadic
   inputs (their own numbers), exports them with the peers' own NIR exporters and writes
   ``<name>.nir`` and ``<name>.npz`` (``xs``, ``native``, ``nir_reference``).
2. Imports every ``snnir_*.nir`` that generate.py wrote with each peer configuration's NIR importer
   (:data:`IMPORTERS`), runs them on the ``xs`` of its ``.npz`` and adds that configuration's outputs
   (or the error) to it.

``nir_reference`` comes from :func:`nir_simulate`, a float64 numpy reading of NIR's own equations
(forward Euler, spike when v > θ, reset to v_reset in the same step, a Delay of τ_d = k·dt emits its
input of k steps before, one step per remaining loop on the edge back towards the input in breadth-first
order of names), written from the NIR spec, not from either peer.
Prints one JSON line per model for generate.py.
"""

from __future__ import annotations

import copy
import json
import sys
import traceback
from collections import deque
from pathlib import Path

import nir
import numpy as np
import torch

torch.set_default_dtype(torch.float32)
T, B = 16, 2


def dyadic(rng, shape, scale=8, spread=1.0):
    return np.round(rng.normal(size=shape) * spread * scale) / scale


def spikes_in(rng, shape, rate=0.5):
    return (rng.random(shape) < rate).astype(np.float32)


# ---------------------------------------------------------------------- NIR's equations, independently
def _order(graph):
    succ = {n: sorted(b for a, b in graph.edges if a == n) for n in graph.nodes}
    roots = sorted(n for n, v in graph.nodes.items() if isinstance(v, nir.Input)) + sorted(graph.nodes)
    seen, order = set(), []
    for r in roots:
        if r in seen:
            continue
        seen.add(r)
        q = deque([r])
        while q:
            n = q.popleft()
            order.append(n)
            for m in succ[n]:
                if m not in seen:
                    seen.add(m)
                    q.append(m)
    return order


def _evaluation_order(graph):
    """The order a step computes its nodes in, and the edges that read the previous step.

    A Delay's output at t depends on its input before t only, so it is known when the step starts and
    its out-edges constrain nothing. A loop that passes no Delay is broken once, on its edges back
    towards the input (into a node no later than their source in breadth-first order of names); every
    other edge is computed within the step (a topological order, ties in breadth-first order)."""
    bfs = {n: i for i, n in enumerate(_order(graph))}
    is_delay = {n: isinstance(v, nir.Delay) for n, v in graph.nodes.items()}
    deps = [(a, b) for a, b in graph.edges if not is_delay[a]]

    def reaches(src, dst, edges):
        seen, stack = set(), [src]
        while stack:
            n = stack.pop()
            if n == dst:
                return True
            if n not in seen:
                seen.add(n)
                stack.extend(b for a, b in edges if a == n)
        return False

    back = {(a, b) for a, b in deps if bfs[b] <= bfs[a] and reaches(b, a, deps)}
    forward = [e for e in deps if e not in back]
    indeg = {n: sum(1 for _, b in forward if b == n) for n in graph.nodes}
    order, ready = [], sorted((n for n, d in indeg.items() if d == 0), key=bfs.get)
    while ready:
        n = ready.pop(0)
        order.append(n)
        for a, b in forward:
            if a == n:
                indeg[b] -= 1
                if indeg[b] == 0:
                    ready.append(b)
        ready.sort(key=bfs.get)
    assert len(order) == len(graph.nodes), "a loop left unbroken"
    return order, back


def nir_simulate(graph, xs, dt):
    """Float64 NIR semantics of a flat graph (one Input, one Output). An edge that reads the previous
    step (see :func:`_evaluation_order`) gives its source's previous output; before t = 0 every node is at
    rest (a neuron emits 0, a stateless node or a Delay its response to its sources' rest values)."""
    order, back = _evaluation_order(graph)
    state, prev = {}, {}
    delays = {n: int(round(float(np.max(v.delay)) / dt)) for n, v in graph.nodes.items() if isinstance(v, nir.Delay)}
    for n, k in delays.items():
        steps = np.asarray(graph.nodes[n].delay, np.float64) / dt
        assert k >= 1 and np.allclose(steps, k), f"{n}: delays must be one whole number of steps here"
    history = {}

    def stateless(node, x):
        if isinstance(node, (nir.Input, nir.Output, nir.Delay)):
            return x
        if isinstance(node, nir.Affine):
            return x @ np.asarray(node.weight, np.float64).T + np.asarray(node.bias, np.float64)
        if isinstance(node, nir.Linear):
            return x @ np.asarray(node.weight, np.float64).T
        if isinstance(node, nir.Scale):
            return x * np.asarray(node.scale, np.float64)
        if isinstance(node, nir.Flatten):
            return x.reshape(x.shape[0], -1)
        if isinstance(node, nir.Conv2d):
            y = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(np.asarray(node.weight, np.float64)),
                                           torch.tensor(np.asarray(node.bias, np.float64)), tuple(node.stride),
                                           tuple(node.padding), tuple(node.dilation), node.groups)
            return y.numpy()
        if isinstance(node, nir.AvgPool2d):
            return torch.nn.functional.avg_pool2d(torch.tensor(x), tuple(node.kernel_size), tuple(node.stride)).numpy()
        raise NotImplementedError(type(node).__name__)

    def neuron(name, node, x):
        f = lambda a: np.asarray(a, np.float64)  # noqa: E731
        if isinstance(node, nir.LIF):
            v = state.get(name, np.zeros_like(x))
            v = v + dt / f(node.tau) * ((f(node.v_leak) - v) + f(node.r) * x)
            z = (v > f(node.v_threshold)).astype(np.float64)
            state[name] = np.where(z > 0, f(node.v_reset), v)
            return z
        if isinstance(node, nir.CubaLIF):
            i, v = state.get(name, (np.zeros_like(x), np.zeros_like(x)))
            i = i + dt / f(node.tau_syn) * (-i + f(node.w_in) * x)
            v = v + dt / f(node.tau_mem) * ((f(node.v_leak) - v) + f(node.r) * i)
            z = (v > f(node.v_threshold)).astype(np.float64)
            state[name] = (i, np.where(z > 0, f(node.v_reset), v))
            return z
        if isinstance(node, nir.LI):
            v = state.get(name, np.zeros_like(x))
            state[name] = v + dt / f(node.tau) * ((f(node.v_leak) - v) + f(node.r) * x)
            return state[name]
        return None

    def inputs_of(n, out):
        parts = [prev.get(a) if (a, n) in back else out.get(a) for a, b in graph.edges if b == n]
        parts = [p for p in parts if p is not None]
        return sum(parts) if parts else None

    def rest_step(x_in):
        # rest values: neurons emit 0, every other node its response to its sources' rest values (a fixed
        # point; loops pass a neuron or a Delay, so len(nodes) sweeps reach it)
        out = {}
        for _ in range(len(graph.nodes)):
            for n in order:
                node = graph.nodes[n]
                parts = [out[a] for a, b in graph.edges if b == n and a in out]
                x = x_in if isinstance(node, nir.Input) else (sum(parts) if parts else None)
                if x is not None:
                    is_neuron = isinstance(node, (nir.LIF, nir.CubaLIF, nir.LI))
                    out[n] = np.zeros_like(x) if is_neuron else stateless(node, x)
        return out

    def step(x_in):
        out = {n: history[n][0] for n in delays}   # a Delay's output is known when the step starts
        for n in order:
            node = graph.nodes[n]
            if isinstance(node, nir.Delay):
                continue
            x = x_in if isinstance(node, nir.Input) else inputs_of(n, out)
            is_neuron = isinstance(node, (nir.LIF, nir.CubaLIF, nir.LI))
            out[n] = neuron(n, node, x) if is_neuron else stateless(node, x)
        for n in delays:                              # then it takes this step's input
            history[n] = history[n][1:] + [inputs_of(n, out)]
        return out

    rest = rest_step(np.zeros_like(xs[0], dtype=np.float64))
    prev.update(rest)
    for n, k in delays.items():
        history[n] = [rest[n]] * k
    ys = []
    outputs = [n for n, v in graph.nodes.items() if isinstance(v, nir.Output)]
    for x in xs.astype(np.float64):
        out = step(x)
        prev.clear()
        prev.update(out)
        ys.append(out[outputs[0]])
    return np.array(ys)


# ---------------------------------------------------------------------- running imported modules
def run_module(module, xs):
    state, ys = None, []
    with torch.no_grad():
        for x in torch.tensor(xs):
            r = module(x) if state is None else module(x, state)
            if isinstance(r, tuple):
                y, state = r
            else:
                y = r
            if isinstance(y, tuple):
                y = y[0]
            ys.append(np.asarray(y.detach().numpy(), np.float32).copy())
    return np.array(ys)


# ---------------------------------------------------------------------- snnTorch models
def snntorch_models(rng):
    import snntorch as snn
    from snntorch import utils

    dt = 1e-4

    class Rec(torch.nn.Module):
        def __init__(self, n_in, n, cell):
            super().__init__()
            self.fc = torch.nn.Linear(n_in, n)
            self.cell = cell
            self.state = None
            with torch.no_grad():
                self.fc.weight.copy_(torch.tensor(dyadic(rng, (n, n_in))))
                self.fc.bias.copy_(torch.tensor(dyadic(rng, (n,), spread=0.25)))
                rec = self.cell.recurrent
                if isinstance(rec, torch.nn.Linear):
                    rec.weight.copy_(torch.tensor(dyadic(rng, (n, n), spread=0.5)))
                    rec.bias.copy_(torch.tensor(dyadic(rng, (n,), spread=0.25)))

        def forward(self, x):
            # init_hidden=False with the state threaded by hand: snnTorch 1.0's RSynaptic with
            # init_hidden=True and reset_delay=False crashes (it divides a None spike)
            if self.state is None:  # zeros of the right shape: RSynaptic uses the spike passed in as it is
                k = 3 if isinstance(self.cell, snn.RSynaptic) else 2
                self.state = tuple(torch.zeros(x.shape[0], self.fc.out_features) for _ in range(k))
            out = self.cell(self.fc(x), *self.state)
            self.state = out
            return out[0]

    def beta(n):
        return torch.tensor(rng.choice([0.5, 0.75, 0.875], n))

    models = {}
    n = 4
    models["snntorch_rleaky_all_to_all"] = Rec(3, n, snn.RLeaky(beta=beta(n), linear_features=n, threshold=torch.ones(n),
                                                                reset_mechanism="zero", reset_delay=False))
    models["snntorch_rleaky_one_to_one"] = Rec(3, n, snn.RLeaky(beta=beta(n), all_to_all=False,
                                                                V=torch.tensor(dyadic(rng, (n,), spread=0.5)),
                                                                threshold=torch.ones(n), reset_mechanism="zero",
                                                                reset_delay=False))
    models["snntorch_rsynaptic_all_to_all"] = Rec(3, n, snn.RSynaptic(alpha=beta(n), beta=beta(n), linear_features=n,
                                                                      threshold=torch.ones(n), reset_mechanism="zero",
                                                                      reset_delay=False))
    models["snntorch_rsynaptic_one_to_one"] = Rec(3, n, snn.RSynaptic(alpha=beta(n), beta=beta(n), all_to_all=False,
                                                                      V=torch.tensor(dyadic(rng, (n,), spread=0.5)),
                                                                      threshold=torch.ones(n), reset_mechanism="zero",
                                                                      reset_delay=False))
    ff = torch.nn.Sequential(torch.nn.Linear(3, 4), snn.Leaky(beta=beta(4), threshold=torch.ones(4), reset_mechanism="zero",
                                                              reset_delay=False, init_hidden=True),
                             torch.nn.Linear(4, 2), snn.Leaky(beta=beta(2), threshold=torch.ones(2),
                                                              reset_mechanism="zero", reset_delay=False,
                                                              init_hidden=True))
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), snn.Leaky(beta=torch.full((2, 4, 4), 0.5),
                                                                              threshold=torch.ones(2, 4, 4),
                                                                              reset_mechanism="zero", reset_delay=False,
                                                                              init_hidden=True),
                               torch.nn.Flatten(), torch.nn.Linear(32, 3),
                               snn.Leaky(beta=beta(3), threshold=torch.ones(3), reset_mechanism="zero",
                                         reset_delay=False, init_hidden=True))
    for net in (ff, conv):
        with torch.no_grad():
            for m in net:
                if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
                    m.weight.copy_(torch.tensor(dyadic(rng, tuple(m.weight.shape), spread=0.75)))
                    m.bias.copy_(torch.tensor(dyadic(rng, tuple(m.bias.shape), spread=0.25)))
    models["snntorch_feedforward"] = ff
    models["snntorch_conv"] = conv
    for name, net in models.items():
        shape = (1, 4, 4) if name == "snntorch_conv" else (3,)
        xs = spikes_in(rng, (T, B) + shape) * 1.5
        utils.reset(net)
        net.state = None
        native = run_module(net, xs)  # their own numbers, before the exporter traces the model
        from snntorch.export_nir import export_to_nir

        graph = export_to_nir(copy.deepcopy(net), torch.zeros((1,) + shape), ignore_dims=[0])
        yield name, graph, xs, native, dt, {"peer": "snntorch"}


# ---------------------------------------------------------------------- Norse models
def norse_models(rng):
    import norse.torch as norse

    dt = 1e-3
    p = norse.LIFBoxParameters(tau_mem_inv=torch.tensor([125.0, 250.0, 500.0, 125.0]), v_th=torch.ones(4),
                               v_leak=torch.zeros(4), v_reset=torch.zeros(4))
    p2 = norse.LIFBoxParameters(tau_mem_inv=torch.tensor([250.0, 500.0]), v_th=torch.ones(2),
                                v_leak=torch.zeros(2), v_reset=torch.zeros(2))
    fc1, fc2 = torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)
    with torch.no_grad():
        for m in (fc1, fc2):
            m.weight.copy_(torch.tensor(dyadic(rng, tuple(m.weight.shape), spread=2.0)))
            m.bias.copy_(torch.tensor(dyadic(rng, tuple(m.bias.shape), spread=0.5)))
    net = norse.SequentialState(fc1, norse.LIFBoxCell(p, dt=dt), fc2, norse.LIFBoxCell(p2, dt=dt))
    xs = spikes_in(rng, (T, B, 3)) * 4.0
    native = run_module(net, xs)
    graph = norse.to_nir(copy.deepcopy(net), torch.zeros(1, 3), dt=dt)
    yield "norse_feedforward", graph, xs, native, dt, {"peer": "norse"}
    # a membrane readout: LIBoxCell exports as NIR's LI (its output is v, compared to 1e-5)
    fc3 = torch.nn.Linear(4, 2)
    with torch.no_grad():
        fc3.weight.copy_(torch.tensor(dyadic(rng, (2, 4))))
        fc3.bias.copy_(torch.tensor(dyadic(rng, (2,), spread=0.25)))
    readout = norse.LIBoxParameters(tau_mem_inv=torch.tensor([250.0, 500.0]), v_leak=torch.zeros(2))
    net = norse.SequentialState(copy.deepcopy(fc1), norse.LIFBoxCell(p, dt=dt), fc3, norse.LIBoxCell(readout, dt=dt))
    native = run_module(net, xs)
    graph = norse.to_nir(copy.deepcopy(net), torch.zeros(1, 3), dt=dt)
    yield "norse_li_readout", graph, xs, native, dt, {"peer": "norse"}


# ---------------------------------------------------------------------- importing snnir's files
def import_snntorch(graph, dt):
    """snnTorch's ``import_from_nir`` as released (1.0: nirtorch's ``nir_to_torch``; 0.9.4: nirtorch's
    deprecated GraphExecutor, ``nirtorch.load``); both assume dt = 1e-4."""
    from snntorch.import_nir import import_from_nir

    return import_from_nir(graph)


def import_snntorch_graph_executor(graph, dt):
    """snnTorch 1.0's own NIR-to-module map (``_nir_to_snntorch_module``, the only released code that
    builds RLeaky from NIR, with ``init_hidden=True`` as 1.0's ``import_from_nir`` passes) after its own
    recurrent-layer grouping, run by nirtorch's GraphExecutor (``nirtorch.load``) as snnTorch 0.9.4's
    ``import_from_nir`` runs its modules: 1.0's importer with the executor its predecessor used."""
    import functools

    import nirtorch
    from snntorch import import_nir

    graph = import_nir._replace_rnn_subgraph_with_nirgraph(graph)
    return nirtorch.load(graph, functools.partial(import_nir._nir_to_snntorch_module, init_hidden=True))


def import_norse(graph, dt):
    import norse.torch as norse

    return norse.from_nir(graph, dt=dt)


#: peer configuration -> (importer, the environment it runs in); the fixtures' field names
IMPORTERS = {
    "snntorch": (import_snntorch, "main"),
    "snntorch_graph_executor": (import_snntorch_graph_executor, "main"),
    "norse": (import_norse, "main"),
    "snntorch_0_9_4": (import_snntorch, "snntorch-0.9"),
}


def import_snnir_files(fixtures: Path, peers, reference: bool) -> None:
    for path in sorted(fixtures.glob("snnir_*.nir")):
        data = dict(np.load(path.with_suffix(".npz")))
        meta = json.loads(str(data.pop("meta")))
        record = {"name": path.stem, "kind": "snnir_export", "dt": meta["dt"]}
        for peer in peers:
            importer, _ = IMPORTERS[peer]
            try:
                module = importer(nir.read(path), meta["dt"])
                data[peer] = run_module(module, data["xs"])
                record[peer] = "ran"
            except Exception as err:  # noqa: BLE001  (the peer's importer refuses or crashes)
                data.pop(peer, None)
                record[peer] = f"{type(err).__name__}: {str(err)[:300]}"
        if reference:
            try:
                data["nir_reference"] = nir_simulate(nir.read(path), data["xs"], meta["dt"])
            except Exception as err:  # noqa: BLE001
                record["nir_reference_error"] = f"{type(err).__name__}: {err}"
        np.savez_compressed(path.with_suffix(".npz"), meta=json.dumps(meta), **data)
        print(json.dumps(record))


def main(fixtures: Path, import_only: str | None = None) -> int:
    if import_only:
        import_snnir_files(fixtures, [import_only], reference=False)
        return 0
    rng = np.random.default_rng(2024)
    for gen in (snntorch_models, norse_models):
        try:
            models = list(gen(rng))
        except Exception as err:  # noqa: BLE001  (a peer that cannot build or export its own model)
            print(json.dumps({"name": gen.__name__, "error": f"{type(err).__name__}: {err}",
                              "trace": traceback.format_exc()[-1500:]}))
            continue
        for name, graph, xs, native, dt, info in models:
            # edges sorted: the exporters list them in an arbitrary order, which would change every file
            flat = nir.NIRGraph(nodes=dict(graph.nodes), edges=sorted(map(tuple, graph.edges)), type_check=False)
            nir.write(fixtures / f"{name}.nir", flat, compression=None)
            record = {"name": name, "kind": "peer_export", "dt": dt, **info}
            try:
                reference = nir_simulate(nir.read(fixtures / f"{name}.nir", type_check=False), xs, dt)
                record["matches_nir_reference"] = bool(np.allclose(reference, native, rtol=1e-5, atol=1e-6))
            except Exception as err:  # noqa: BLE001
                reference = np.zeros(0)
                record["nir_reference_error"] = f"{type(err).__name__}: {err}"
            np.savez_compressed(fixtures / f"{name}.npz", xs=xs, native=native, nir_reference=reference)
            print(json.dumps(record))
    import_snnir_files(fixtures, [p for p, (_, env) in IMPORTERS.items() if env == "main"], reference=True)
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    only = args[args.index("--import-only") + 1] if "--import-only" in args else None
    sys.exit(main(Path(args[0]), only))
