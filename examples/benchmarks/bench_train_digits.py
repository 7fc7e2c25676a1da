"""Training throughput of the digits network (examples/train_digits.py) in snnir, snnTorch and Spyx.

The network is the example's, written in each library as its tutorials write it:

    64 rate-coded inputs -> Linear -> LIF (decay 0.9, threshold 1, subtractive reset, surrogate
    1/(1 + 10|x|)^2) -> Linear -> 10 leaky integrators (decay 0.9); loss: cross-entropy of
    10 x the readout's mean membrane, labels smoothed by 0.1; Adam (lr 1e-3), batch 32

    snnir      snnir.train.fit on the example's graph (one jitted step per batch: a lax.scan over time)
    snntorch   torch.nn.Linear + snn.Leaky stepped in a Python loop over time, eager, loss.backward()
    spyx       spyx.nn.Sequential(nnx.Linear, spyx.nn.LIF, nnx.Linear, spyx.nn.LI) in spyx.nn.run,
               one jitted step per batch (graphdef split off, as spyx.bench does)

Every library trains on the same spikes (the example's training set, coded --encodings times, written
once to a temporary .npz) for --epochs epochs, fetching the loss after every batch (as fit does). The
first epoch includes compilation (JAX) or warm-up (torch) and is reported apart; throughput is training
samples per second over the remaining epochs (median epoch). The final column is the training accuracy
after the last epoch, measured by each library on the whole training set: it shows the three learn
alike, not that their numbers match (their LIFs differ in detail: Spyx spikes from the membrane before the
update, snnTorch does not detach the reset; see examples/benchmarks/peers/README.md).

Each library runs in its own process. The peers live in their own environment:

    bash examples/benchmarks/peers/setup.sh                               # once: .venv-peers
    .venv/bin/python examples/benchmarks/bench_train_digits.py            # snnir, and the peers if set up
    .venv/bin/python examples/benchmarks/bench_train_digits.py --peers-python /tmp/peers/bin/python
    .venv/bin/python examples/benchmarks/bench_train_digits.py --no-peers --hidden 512

Measured on a shared 2-core x86 CPU (other processes running, so only the ratios mean much): see the
"Examples that train" section of docs/train.md.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
EXAMPLES = HERE.parent
PEER_PYTHON = EXAMPLES.parent / ".venv-peers" / "bin" / "python"
PEERS = ("snntorch", "spyx")
DECAY, THRESHOLD, SLOPE, SMOOTHING, LR = 0.9, 1.0, 10.0, 0.1, 1e-3


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=4, help="epochs per library; the first is warm-up (default 4)")
    p.add_argument("--steps", type=int, default=25, help="time steps per image (default 25)")
    p.add_argument("--hidden", type=int, default=256, help="LIF neurons (default 256)")
    p.add_argument("--encodings", type=int, default=4, help="rate-code draws per training image (default 4)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--peers-python", type=pathlib.Path, default=PEER_PYTHON,
                   help="the interpreter of the peers' environment (default .venv-peers/bin/python)")
    p.add_argument("--no-peers", action="store_true", help="time snnir only")
    # Batches of 32 are too small for torch's threads to pay off, and on a shared machine they wait on
    # each other: with both cores, snnTorch ran 40 times slower than with one on the machine measured.
    p.add_argument("--torch-threads", type=int, default=1,
                   help="threads for torch (default 1; 0: every core)")
    p.add_argument("--worker", choices=("snnir",) + PEERS, help=argparse.SUPPRESS)
    p.add_argument("--data", type=pathlib.Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _load_example():
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_digits", EXAMPLES / "train_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_data(args, path: pathlib.Path) -> int:
    """The example's training set, rate-coded as the example codes it: x [N, T, 64] uint8, y [N]."""
    import jax
    import jax.numpy as jnp

    example = _load_example()
    (x_train, y_train), _, _ = example.load_splits(args.seed)
    keys = jax.random.split(jax.random.split(jax.random.key(args.seed), 3)[0], args.encodings)
    xs = jnp.concatenate([example.encode(k, x_train, args.steps) for k in keys])
    np.savez(path, x=np.asarray(xs, np.uint8), y=np.tile(y_train, args.encodings).astype(np.int32))
    return int(xs.shape[0])


# ------------------------------------------------------------------------------------------ workers
def run_snnir(args, x, y) -> dict:
    import jax.numpy as jnp
    import optax

    import snnir
    import snnir.train as st

    example = _load_example()
    prog = snnir.compile(example.build(args.hidden, args.seed))
    loss, metrics = example.make_loss_and_metrics(args.steps)
    xs = jnp.asarray(x, jnp.float32)
    trained, history = st.fit(prog, (xs, y), loss, optax.adam(LR), epochs=args.epochs,
                              batch_size=args.batch_size, key=args.seed, progress=False)
    accuracy = st.evaluate(trained, (xs, y), metrics=metrics)["accuracy"]
    return {"version": snnir.__version__, "epoch_s": history.seconds, "accuracy": accuracy}


def run_snntorch(args, x, y) -> dict:
    import torch
    import snntorch
    import snntorch as snn
    from snntorch import surrogate

    torch.set_num_threads(args.torch_threads or os.cpu_count() or 1)
    torch.manual_seed(args.seed)

    class Net(torch.nn.Module):
        def __init__(self, hidden: int):
            super().__init__()
            self.fc1 = torch.nn.Linear(64, hidden)
            # reset_delay=False: the reset in the same step, as snnir's LIF
            self.lif = snn.Leaky(beta=DECAY, threshold=THRESHOLD, learn_beta=True, reset_delay=False,
                                 spike_grad=surrogate.fast_sigmoid(slope=SLOPE))
            self.fc2 = torch.nn.Linear(hidden, 10)
            self.readout = snn.Leaky(beta=DECAY, learn_beta=True, reset_mechanism="none")

        def forward(self, xs):                          # xs [T, B, 64] -> summed readout membrane [B, 10]
            mem1, mem2 = self.lif.reset_mem(), self.readout.reset_mem()
            total = 0.0
            for t in range(xs.shape[0]):
                spk, mem1 = self.lif(self.fc1(xs[t]), mem1)
                _, mem2 = self.readout(self.fc2(spk), mem2)
                total = total + mem2
            return total

    net = Net(args.hidden)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    xs, ys = torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.int64))
    scale, n, bs = 10.0 / args.steps, len(y), args.batch_size
    seconds = []
    for epoch in range(args.epochs):
        started = time.perf_counter()
        order = torch.randperm(n)
        for b in range(n // bs):
            index = order[b * bs:(b + 1) * bs]
            logits = net(xs[index].transpose(0, 1)) * scale
            loss = torch.nn.functional.cross_entropy(logits, ys[index], label_smoothing=SMOOTHING)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()
        seconds.append(time.perf_counter() - started)
    with torch.no_grad():
        predictions = torch.cat([net(xs[i:i + 256].transpose(0, 1)).argmax(-1) for i in range(0, n, 256)])
    return {"version": snntorch.__version__, "epoch_s": seconds,
            "accuracy": float((predictions == ys).float().mean())}


def run_spyx(args, x, y) -> dict:
    import jax
    import jax.numpy as jnp
    import optax
    import spyx
    from flax import nnx

    rngs = nnx.Rngs(args.seed)
    model = spyx.nn.Sequential(
        nnx.Linear(64, args.hidden, rngs=rngs),
        spyx.nn.LIF((args.hidden,), beta=DECAY, threshold=THRESHOLD,
                    activation=spyx.axn.superspike(k=SLOPE), rngs=rngs),
        nnx.Linear(args.hidden, 10, rngs=rngs),
        spyx.nn.LI((10,), beta=DECAY, rngs=rngs),
    )
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    tx = optax.adam(LR)
    opt_state = tx.init(params)
    scale = 10.0 / args.steps

    def readout(params, rest, xs):                      # xs [T, B, 64] -> summed readout membrane [B, 10]
        traces, _ = spyx.nn.run(nnx.merge(graphdef, params, rest), xs)
        return traces.sum(0)

    @jax.jit
    def step(params, opt_state, xs, ys):
        def objective(p):
            targets = optax.smooth_labels(jax.nn.one_hot(ys, 10), SMOOTHING)
            return optax.softmax_cross_entropy(readout(p, rest, xs) * scale, targets).mean()

        value, grads = jax.value_and_grad(objective)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, value

    xs_all, ys_all = jnp.asarray(x, jnp.float32), jnp.asarray(y)
    n, bs = len(y), args.batch_size
    key = jax.random.key(args.seed)
    seconds = []
    for epoch in range(args.epochs):
        started = time.perf_counter()
        order = jax.random.permutation(jax.random.fold_in(key, epoch), n)
        for b in range(n // bs):
            index = order[b * bs:(b + 1) * bs]
            params, opt_state, value = step(params, opt_state, jnp.swapaxes(xs_all[index], 0, 1), ys_all[index])
            float(value)
        seconds.append(time.perf_counter() - started)
    predict = jax.jit(lambda p, xs: readout(p, rest, xs).argmax(-1))
    predictions = jnp.concatenate([predict(params, jnp.swapaxes(xs_all[i:i + 256], 0, 1))
                                   for i in range(0, n, 256)])
    return {"version": spyx.__version__, "epoch_s": seconds, "accuracy": float((predictions == ys_all).mean())}


def worker(args) -> None:
    with np.load(args.data) as data:
        x, y = data["x"], data["y"]
    result = {"snnir": run_snnir, "snntorch": run_snntorch, "spyx": run_spyx}[args.worker](args, x, y)
    print(json.dumps({"impl": args.worker, "samples": len(y) // args.batch_size * args.batch_size, **result}))


# --------------------------------------------------------------------------------------------- main
def measure(impl: str, python: pathlib.Path | str, data: pathlib.Path, args) -> dict | None:
    command = [str(python), __file__, "--worker", impl, "--data", str(data), "--epochs", str(args.epochs),
               "--steps", str(args.steps), "--hidden", str(args.hidden), "--batch-size", str(args.batch_size),
               "--seed", str(args.seed), "--torch-threads", str(args.torch_threads)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"{impl}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return []
    if args.epochs < 2:
        raise SystemExit("--epochs must be at least 2: the first epoch is warm-up")
    impls = [("snnir", sys.executable)]
    if not args.no_peers:
        if args.peers_python.exists():
            impls += [(peer, args.peers_python) for peer in PEERS]
        else:
            print(f"no peers' environment at {args.peers_python} (bash examples/benchmarks/peers/setup.sh); "
                  "timing snnir only", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "digits.npz"
        n = write_data(args, data)
        print(f"{n} training sequences of {args.steps} steps, 64 -> {args.hidden} LIF -> 10 LI, "
              f"batch {args.batch_size}, {args.epochs} epochs ({os.cpu_count()} CPU cores)")
        results = [r for r in (measure(impl, python, data, args) for impl, python in impls) if r]
    if not results:
        raise SystemExit("nothing measured")
    for r in results:
        r["samples_per_s"] = r["samples"] / statistics.median(r["epoch_s"][1:])
    base = next((r["samples_per_s"] for r in results if r["impl"] == "snnir"), None)
    print(f"| library | version | first epoch (s) | samples/s | snnir / library | train accuracy |")
    print("|---|---|---|---|---|---|")
    for r in results:
        ratio = f"{base / r['samples_per_s']:.2f}" if base else "-"
        print(f"| {r['impl']} | {r['version']} | {r['epoch_s'][0]:.1f} | {r['samples_per_s']:,.0f} | {ratio} "
              f"| {r['accuracy']:.3f} |")
    return results


if __name__ == "__main__":
    main()
