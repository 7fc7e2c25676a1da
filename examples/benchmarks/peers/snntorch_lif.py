"""snnTorch on the benchmark protocol: Linear(n -> n, no bias) + LIF, batch 16, T = 500, CPU float32.

Written as the snnTorch tutorials write it: ``torch.nn.Linear`` and ``snn.Leaky`` stepped in a Python loop
over T (the Linear inside the loop, one matmul of B rows per step), eager mode. The forward runs under
``torch.no_grad()`` (inference); fwd+bwd is ``torch.autograd.grad(sum(spikes), fc.weight)``.

snn.Leaky(beta, threshold=θ, reset_mechanism="subtract", spike_grad=fast_sigmoid(slope=10)) with the
stored membrane m (fast_sigmoid: strict H forward, 1/(1 + 10|x|)^2 backward):

  reset_delay=False (``--reset-delay off``, the default here):
      r = sg(H(m_{t-1} - θ));  p = β·m_{t-1} + I_t - θ·r;  s_t = H(p - θ);  m_t = p - θ·(s_t - r)
    so m_t = β·m_{t-1} + I_t - θ·s_t: the protocol's spikes and membrane whenever m_{t-1} <= θ; when the
    post-reset membrane is still above θ the spike test sees p = u_t - θ (one spike fewer than the
    protocol). The reset flows through s_t's surrogate: it is not detached.
  reset_delay=True (``--reset-delay on``, snnTorch's default):
      m_t = β·m_{t-1} + I_t - θ·sg(H(m_{t-1} - θ));  s_t = H(m_t - θ)
    the reset is detached but lands one step late and undecayed (θ instead of the protocol's β·θ).

    .venv-peers/bin/python examples/benchmarks/peers/snntorch_lif.py --n 1024 --repeats 5
"""

from __future__ import annotations

import numpy as np
import snntorch
import snntorch as snn
from snntorch import surrogate

import _common as C

torch = C.setup_torch()

MATCH = {
    "off": ("snn.Leaky(beta=0.9, threshold=1, reset_mechanism='subtract', spike_grad=surrogate.fast_sigmoid("
            "slope=10), reset_delay=False) stepped in a Python loop with nn.Linear(bias=False): forward equals "
            "the protocol except that a neuron whose post-reset membrane stays above 1 is tested against 2 in "
            "the next step, the reset is not detached (its gradient flows through the spike), and float32 CPU "
            "matmuls are full precision (TF32 does not exist on a CPU); forward under torch.no_grad()."),
    "on": ("snn.Leaky(beta=0.9, threshold=1, reset_mechanism='subtract', spike_grad=surrogate.fast_sigmoid("
           "slope=10)) with snnTorch's default reset_delay=True, stepped in a Python loop with "
           "nn.Linear(bias=False): detached reset and the protocol's surrogate, but the reset lands one step "
           "late and undecayed (u_t = 0.9 u_{t-1} + I_t - s_{t-1}); float32 CPU matmuls are full precision "
           "(no TF32 on a CPU); forward under torch.no_grad()."),
}


def build(w: np.ndarray, reset_delay: bool):
    n = w.shape[0]
    fc = torch.nn.Linear(n, n, bias=False)
    with torch.no_grad():
        fc.weight.copy_(torch.from_numpy(w))  # torch stores [out, in], as the protocol's W
    lif = snn.Leaky(beta=C.DECAY, threshold=C.THRESHOLD, spike_grad=surrogate.fast_sigmoid(slope=C.SLOPE),
                    reset_mechanism="subtract", reset_delay=reset_delay)

    def forward(x):
        mem = lif.reset_mem()
        spikes = []
        for t in range(x.shape[0]):
            spk, mem = lif(fc(x[t]), mem)
            spikes.append(spk)
        return torch.stack(spikes)

    def forward_backward(x):
        (grad,) = torch.autograd.grad(forward(x).sum(), fc.weight)
        return grad

    return forward, forward_backward


def main() -> None:
    args = C.parse_args(__doc__.split("\n\n")[0], lambda p: p.add_argument(
        "--reset-delay", choices=("off", "on"), default="off",
        help="snn.Leaky's reset_delay (default off: the protocol's reset timing; on: snnTorch's default)"))
    delay = args.reset_delay == "on"
    if args.check:
        x, w = C.load_check(args.check[0])
        forward, forward_backward = build(w, delay)
        xs = torch.from_numpy(x)
        with torch.no_grad():
            spikes = forward(xs)
        C.save_check(args.check[1], spikes.numpy(), forward_backward(xs).numpy())
        return
    x, w = C.bench_inputs(args.n, args.batch, args.steps)
    forward, forward_backward = build(w, delay)
    xs = torch.from_numpy(x)
    C.bench_torch("snntorch", args, forward, forward_backward, xs, snntorch.__version__, MATCH[args.reset_delay])


if __name__ == "__main__":
    main()
