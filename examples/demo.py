"""The snnir demo: a small recurrent network, built, analysed, compiled in both modes and run.

input -> linear -> LIF (with a recurrent linear edge) -> linear -> LI readout

Run with `make demo`. It writes nothing to disk.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

import snnir

T, BATCH, N_IN, N_HIDDEN, N_OUT = 100, 8, 20, 64, 5


def build() -> snnir.Graph:
    b = snnir.GraphBuilder(key=0)
    x = b.input("x", shape=(N_IN,))
    h = b.linear(x, N_HIDDEN, id="fc1", gain=3.0)
    spikes = b.lif(h, decay=0.9, id="lif")
    b.connect(b.linear(spikes, N_HIDDEN, id="rec", bias=False), spikes)
    readout = b.li(b.linear(spikes, N_OUT, id="fc2"), decay=0.8, id="readout")
    b.output(readout, id="y")
    return b.build(metadata={"name": "demo recurrent SNN"})


def main() -> None:
    graph = build()
    print("== IR ==")
    print(graph)
    warnings = snnir.verify(graph)
    print(f"\nverify: ok ({len(warnings)} warning(s))")

    analysis = snnir.analyze(graph, mode="straight")
    print("strongly connected components:", analysis.sccs)
    print("feedback edges chosen:", analysis.feedback_edges)
    print("schedule:", " -> ".join(analysis.order))

    xs = (jax.random.uniform(jax.random.key(1), (T, BATCH, N_IN)) < 0.2).astype(jnp.float32)
    for mode in ("straight", "delayed"):
        prog = snnir.compile(graph, mode=mode)
        state = prog.init_state(batch_shape=(BATCH,))
        start = time.perf_counter()
        _, traces = prog.trace(state, xs, nodes=["lif", "y"])
        jax.block_until_ready(traces)
        compile_and_run = time.perf_counter() - start
        start = time.perf_counter()
        _, traces = prog.trace(state, xs, nodes=["lif", "y"])
        jax.block_until_ready(traces)
        run = time.perf_counter() - start
        spikes = int(traces["lif"].sum())
        print(f"\n== {mode} mode ==  feedback edges: {prog.feedback_edges}")
        print(f"hidden spikes over {T} steps x {BATCH} samples: {spikes} "
              f"(rate {spikes / (T * BATCH * N_HIDDEN):.3f} per neuron per step)")
        print(f"readout y[-1, 0] = {np.array2string(np.asarray(traces['y'][-1, 0]), precision=3)}")
        print(f"time: first call (compile + run) {compile_and_run * 1e3:.0f} ms, "
              f"then {run / T * 1e6:.1f} us per step")


if __name__ == "__main__":
    main()
