"""Norse on the benchmark protocol: Linear(n -> n, no bias) + LIF, batch 16, T = 500, CPU float32.

Written as Norse's documentation writes a cell-based network: ``norse.torch.SequentialState(
torch.nn.Linear, norse.torch.LIFBoxCell)`` stepped in a Python loop over T with the state threaded
through (the Linear inside the loop, one matmul of B rows per step), eager mode. The forward runs under
``torch.no_grad()``; fwd+bwd is ``torch.autograd.grad(sum(spikes), fc.weight)``.

LIFBoxCell (the current-free LIF) takes one forward-Euler step of τ dv/dt = v_leak - v + i:
    u = v + dt/τ·(i_t + v_leak - v);  s_t = H(u - v_th);  v_t = reset_method(s_t, u, v_reset, v_th)
With dt/τ = 0.001·100 = 0.1, v_leak = 0, v_th = 1 and reset_method=reset_subtract (v_t = u - s_t·v_th) this is
u = 0.9·v + 0.1·i_t, so the Linear holds 10·W (i_t = 10·I_t) and u = 0.9·v + I_t as the protocol (a fixed
reparametrisation: the timed gradient is the one a Norse user trains, d/d(10W); --check reports
d/dW = 10·d/d(10W)). Differences: Norse's SuperSpike surrogate is 1/(1 + |x|)^2 whatever its ``alpha``
(norse.torch.functional.superspike ignores it), and the subtractive reset is not detached.

    .venv-peers/bin/python examples/benchmarks/peers/norse_lif.py --n 1024 --repeats 5
"""

from __future__ import annotations

from importlib.metadata import version

import numpy as np
import norse.torch as nt
from norse.torch.functional.reset import reset_subtract

import _common as C

torch = C.setup_torch()

DT, TAU_MEM_INV = 1e-3, 100.0  # Norse's default dt; dt/τ = 0.1 = 1 - decay
GAIN = 1.0 / (DT * TAU_MEM_INV)  # the Euler step scales the input by dt/τ; the weights carry the inverse

MATCH = ("norse.torch.LIFBoxCell(LIFBoxParameters(tau_mem_inv=100, v_leak=0, v_th=1, "
         "reset_method=reset_subtract, method='super')), dt=0.001, after nn.Linear(bias=False) in a "
         "SequentialState stepped in a Python loop: the Euler form v + 0.1*(i - v) gives the protocol's "
         "0.9*v + I with the Linear holding 10*W (rounding differs in the last bits), spikes from the "
         "post-update membrane as the protocol, but Norse's superspike surrogate is 1/(1+|x|)^2 (it ignores "
         "alpha, so slope 1 instead of 10) and the reset is not detached; float32 CPU matmuls are full "
         "precision (no TF32 on a CPU); forward under torch.no_grad().")


def build(w: np.ndarray):
    n = w.shape[0]
    params = nt.LIFBoxParameters(tau_mem_inv=torch.tensor(TAU_MEM_INV), v_leak=torch.tensor(0.0),
                                 v_th=torch.tensor(C.THRESHOLD), v_reset=torch.tensor(0.0),
                                 method="super", alpha=torch.tensor(C.SLOPE), reset_method=reset_subtract)
    fc = torch.nn.Linear(n, n, bias=False)
    with torch.no_grad():
        fc.weight.copy_(torch.from_numpy(w) * GAIN)  # the user's weight is GAIN * W ([out, in])
    model = nt.SequentialState(fc, nt.LIFBoxCell(params, dt=DT))

    def forward(x):
        state, spikes = None, []
        for t in range(x.shape[0]):
            z, state = model(x[t], state)
            spikes.append(z)
        return torch.stack(spikes)

    def forward_backward(x):  # d sum(spikes) / d fc.weight, the gradient a Norse user trains with
        (grad,) = torch.autograd.grad(forward(x).sum(), fc.weight)
        return grad

    return forward, forward_backward


def main() -> None:
    args = C.parse_args(__doc__.split("\n\n")[0])
    if args.check:
        x, w = C.load_check(args.check[0])
        forward, forward_backward = build(w)
        xs = torch.from_numpy(x)
        with torch.no_grad():
            spikes = forward(xs)
        grad = forward_backward(xs) * GAIN  # chain rule through fc.weight = GAIN * W
        C.save_check(args.check[1], spikes.numpy(), grad.numpy())
        return
    x, w = C.bench_inputs(args.n, args.batch, args.steps)
    forward, forward_backward = build(w)
    xs = torch.from_numpy(x)
    C.bench_torch("norse", args, forward, forward_backward, xs, version("norse"), MATCH)


if __name__ == "__main__":
    main()
