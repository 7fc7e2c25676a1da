"""Quantize the digits network to 8-bit weights for a chip, and win the accuracy back with QAT.

The network, data and training are examples/train_digits.py's (imported from it). This example then

1. trains it in float (``--epochs``),
2. quantizes it post-training (PTQ): ``snnir.quantize`` with the formats of a target chip (``--target``,
   default Loihi 2: 8-bit weights, 24-bit membranes, 12-bit decays), the membrane scales calibrated on a
   batch of training data, and prints what ``snnir.verify(graph, target=...)`` says about it,
3. fine-tunes the quantized graph with the quantization in place (QAT, ``--qat-epochs``): the program
   runs q(w) forward with straight-through gradients, so ``snnir.train.fit`` trains it unchanged,
4. runs the fine-tuned graph in integer arithmetic (``snnir.compile(graph, arithmetic="integer")``),
   every weight, threshold and membrane an integer of its format,

and prints the test accuracy of each: float, post-training quantized, quantization-aware trained and
integer.

    python examples/quantize_digits.py                  # defaults: 15 + 3 epochs, 25 steps, 256 hidden
    python examples/quantize_digits.py --epochs 3 --qat-epochs 1 --hidden 64 --steps 10

Measured with the defaults (seed 0) on a 2-core x86 CPU, 12 s in all: test accuracy float 0.989,
post-training 8-bit 0.989, QAT 0.986, integer 0.986 (the QAT graph's integers); seeds 1, 2, 3 and fewer
bits in docs/targets.md, "Quantization".
It writes the fine-tuned, quantized model to ``--out`` (default out/quantize_digits/digits_q8.snnir).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # train_digits beside this file

import snnir  # noqa: E402
import snnir.train as st  # noqa: E402
from train_digits import build, encoded_splits, make_loss_and_metrics  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=15, help="float training epochs (default 15)")
    p.add_argument("--qat-epochs", type=int, default=3, help="quantization-aware fine-tuning epochs (default 3)")
    p.add_argument("--steps", type=int, default=25, help="time steps per image (default 25)")
    p.add_argument("--hidden", type=int, default=256, help="LIF neurons in the hidden layer (default 256)")
    p.add_argument("--encodings", type=int, default=4, help="rate-code draws per training image (default 4)")
    p.add_argument("--batch-size", type=int, default=32, help="samples per update (default 32)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate of the float training")
    p.add_argument("--qat-lr", type=float, default=2e-4, help="Adam learning rate of the fine-tuning")
    p.add_argument("--bits", type=int, default=8, help="weight bits without a target (default 8)")
    p.add_argument("--target", default="loihi2", help="chip profile whose formats to use ('none': --bits)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split, the weights and the spikes")
    p.add_argument("--out", type=pathlib.Path, default=pathlib.Path("out/quantize_digits"), help="output folder")
    p.add_argument("--quiet", action="store_true", help="no line per epoch")
    return p.parse_args(argv)


def integer_accuracy(graph: snnir.Graph, data, batch: int = 128) -> float:
    """Test accuracy of the integer program: the readout's integer membranes times their unit (one per
    class) summed over time, argmax."""
    prog = snnir.compile(graph, arithmetic="integer")
    unit = np.broadcast_to(np.asarray(graph.node("readout").quant["v"].scale), graph.node("readout").shape)
    spikes, labels = data
    correct = 0
    for start in range(0, len(labels), batch):
        xs = jnp.swapaxes(spikes[start:start + batch], 0, 1)            # [T, B, 64] time-major
        _, ys = prog(prog.init_state((xs.shape[1],)), xs)
        scores = (np.asarray(ys["y"], np.float64) * unit).sum(axis=0)  # [B, 10]
        correct += int((scores.argmax(axis=-1) == labels[start:start + batch]).sum())
    return correct / len(labels)


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    (train_x, train_y), val, test = encoded_splits(args.seed, args.steps, args.encodings)
    loss, metrics = make_loss_and_metrics(args.steps)
    log = None if args.quiet else print

    # 1. float training
    trained, _ = st.fit(snnir.compile(build(args.hidden, args.seed)), (train_x, train_y), loss,
                        optax.adam(args.lr), epochs=args.epochs, batch_size=args.batch_size, key=args.seed,
                        validation=val, metrics=metrics, progress=False, log=log)
    float_accuracy = st.evaluate(trained, test, metrics=metrics)["accuracy"]

    # 2. post-training quantization, formats from the chip, membranes calibrated on training data
    target = None if args.target == "none" else args.target
    calibration = jnp.swapaxes(train_x[:256], 0, 1)                      # [T, 256, 64]
    quantized = snnir.quantize(trained.to_graph(), bits=args.bits, target=target, calibration=calibration)
    print(f"quantized for {target or f'{args.bits}-bit weights'}:")
    print("\n".join("  " + line for line in str(quantized).splitlines()[1:-1]))
    if target is not None:
        diagnostics = snnir.check(quantized, target=target)
        print(f"snnir.verify(graph, target={target!r}): "
              + (", ".join(f"{d.severity} {d.code} {d.nodes}: {d.message}" for d in diagnostics) or "no problems"))
    ptq_accuracy = st.evaluate(snnir.compile(quantized), test, metrics=metrics)["accuracy"]

    # 3. quantization-aware training: the same fit, on the quantized graph
    qat, _ = st.fit(snnir.compile(quantized), (train_x, train_y), loss, optax.adam(args.qat_lr),
                    epochs=args.qat_epochs, batch_size=args.batch_size, key=args.seed + 1, validation=val,
                    metrics=metrics, progress=False, log=log)
    qat_accuracy = st.evaluate(qat, test, metrics=metrics)["accuracy"]
    qat_graph = qat.to_graph()
    model_path = args.out / f"digits_q{quantized.node('fc1').quant['weight'].bits}.snnir"
    snnir.save(qat_graph, model_path)

    # 4. the fine-tuned graph in integer arithmetic
    int_accuracy = integer_accuracy(qat_graph, test)

    print(f"wrote {model_path}; {time.perf_counter() - started:.1f} s in all")
    print(f"float test accuracy {float_accuracy:.3f}")
    print(f"post-training quantized test accuracy {ptq_accuracy:.3f}")
    print(f"quantization-aware trained test accuracy {qat_accuracy:.3f}")
    print(f"integer arithmetic test accuracy {int_accuracy:.3f}")
    return {"float": float_accuracy, "ptq": ptq_accuracy, "qat": qat_accuracy, "integer": int_accuracy,
            "model": model_path, "graph": qat_graph}


if __name__ == "__main__":
    main()
