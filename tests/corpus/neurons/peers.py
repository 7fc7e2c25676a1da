"""Run in the peers' environment (see generate.py): each neuron as its users write it, one step at a
time, on one dyadic input (exact in float32); writes ``<out>.npz``."""

import sys

import numpy as np
import norse.torch as norse
import snntorch as snn
import torch

T, B, N = 40, 3, 5


def snntorch_run(cell, x, synaptic=False):
    spikes, mems = [], []
    state = cell.init_synaptic() if synaptic else (cell.init_leaky(),)
    for t in range(T):
        spk, *state = cell(torch.from_numpy(x[t]), *state)
        spikes.append(spk.numpy())
        mems.append(state[-1].numpy())
    return np.stack(spikes), np.stack(mems)


def main(out: str) -> None:
    rng = np.random.default_rng(0)
    x = (rng.integers(0, 5, size=(T, B, N)) / 8).astype(np.float32)
    record = {"x": x}
    with torch.no_grad():
        for name, cell, synaptic in [
            ("snntorch_leaky", snn.Leaky(beta=0.75, threshold=1.0), False),
            ("snntorch_leaky_zero", snn.Leaky(beta=0.75, threshold=1.0, reset_mechanism="zero"), False),
            ("snntorch_synaptic", snn.Synaptic(alpha=0.5, beta=0.75, threshold=1.0), True),
        ]:
            record[f"{name}_spikes"], record[f"{name}_v"] = snntorch_run(cell, x, synaptic)
        # Norse's defaults: dt = 1e-3, tau_mem_inv = 100 (so beta = 0.9), v_th = 1, v_reset = v_leak = 0;
        # the input is scaled by 10 so that the membrane reaches the threshold
        cell = norse.LIFBoxCell(norse.LIFBoxParameters(tau_mem_inv=torch.tensor(100.0), v_th=torch.tensor(1.0),
                                                        v_reset=torch.tensor(0.0), v_leak=torch.tensor(0.0)), dt=1e-3)
        state, spikes, vs = None, [], []
        for t in range(T):
            z, state = cell(torch.from_numpy(10 * x[t]), state)
            spikes.append(z.numpy())
            vs.append(state.v.numpy())
        record["norse_lifbox_spikes"], record["norse_lifbox_v"] = np.stack(spikes), np.stack(vs)
        # a leaky-integrator readout: its output is its membrane
        cell = norse.LIBoxCell(norse.LIBoxParameters(tau_mem_inv=torch.tensor(100.0), v_leak=torch.tensor(0.0)),
                               dt=1e-3)
        state, vs = None, []
        for t in range(T):
            v, state = cell(torch.from_numpy(x[t]), state)
            vs.append(v.numpy())
        record["norse_libox_v"] = np.stack(vs)
    np.savez_compressed(out, **record)


if __name__ == "__main__":
    main(sys.argv[1])
