"""Activity plots from ``Program.trace``: spike rasters, value traces and firing-rate histograms.

``traces`` is the dict ``prog.trace`` returns: ``traces[node_id]`` of shape [T, *batch, *shape] and,
with ``state_vars=True``, ``traces["node_id:var"]`` (e.g. ``"lif:v"``, the membrane after each step).

Choosing a sample: ``sample=0`` takes sample 0 of a run with one batch axis ([T, B, ...]);
``sample=(i, j)`` indexes two batch axes; ``sample=None`` means the run had no batch axis
(``init_state(batch_shape=())``). :func:`plot_rates` pools every sample instead when ``sample=None``
(over ``batch_ndim`` leading axes, 1 by default).

Each function returns a matplotlib ``Figure`` (made without pyplot, so no display is ever needed;
notebooks show it) and saves it when ``path`` is given (.png, .svg or .pdf).
"""

from __future__ import annotations

import os
import pathlib
from typing import Any, Mapping, Sequence

import numpy as np

from ..ir import Graph
from .errors import DrawError
from .render import save_figure

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
Sample = int | tuple[int, ...] | None


def _array(traces: Mapping[str, Any], key: str) -> np.ndarray:
    if key not in traces:
        available = ", ".join(repr(k) for k in traces)
        hint = (" (trace with state_vars=True to record state variables such as 'lif:v')"
                if ":" in key else " (pass nodes= to prog.trace, or nodes=None for every node)")
        raise DrawError(f"no trace named {key!r}; the traces hold {available}\n  hint: plot one of those{hint}")
    return np.asarray(traces[key])


def _select(x: np.ndarray, sample: Sample, key: str) -> np.ndarray:
    """[T, *batch, *shape] -> [T, neurons] for one sample."""
    index = () if sample is None else ((sample,) if isinstance(sample, (int, np.integer)) else tuple(sample))
    if x.ndim < 1 + len(index):
        raise DrawError(f"trace {key!r} has shape {x.shape}, too few axes for sample={sample!r}\n"
                        "  hint: traces are [T, *batch, *shape]; use sample=None for a run without batch axes")
    for axis, i in enumerate(index, start=1):
        if not -x.shape[axis] <= i < x.shape[axis]:
            raise DrawError(f"sample={sample!r} is out of range for trace {key!r} of shape {x.shape}\n"
                            f"  hint: batch axis {axis} has {x.shape[axis]} samples")
    x = x[(slice(None),) + index]
    return x.reshape(x.shape[0], -1) if x.ndim > 1 else x.reshape(x.shape[0], 1)


def is_spikes(x: np.ndarray) -> bool:
    """Whether every value is 0 or 1."""
    x = np.asarray(x)
    return x.size > 0 and bool(np.all((x == 0) | (x == 1)))


def spiking_nodes(traces: Mapping[str, Any]) -> list[str]:
    """The node traces (not state variables) whose values are all 0 or 1, in the traces' order."""
    return [k for k in traces if ":" not in k and is_spikes(np.asarray(traces[k]))]


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _finish(fig, path: str | os.PathLike | None):
    if path is not None:
        out = pathlib.Path(path)
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("png", "svg", "pdf"):
            raise DrawError(f"cannot tell the plot format from {str(path)!r}; name the file .png, .svg or .pdf")
        out.parent.mkdir(parents=True, exist_ok=True)
        import matplotlib

        with matplotlib.rc_context({"svg.hashsalt": "snnir"}):
            save_figure(fig, out, fmt, dpi=110)
    return fig


def _raster(ax, x: np.ndarray, key: str, colour: str, label_axis: bool = True) -> None:
    steps, neurons = x.shape
    t, n = np.nonzero(x)
    marker = max(1.5, min(8.0, 160.0 / max(neurons, 1)))
    ax.plot(t, n, linestyle="none", marker="|", markersize=marker, markeredgewidth=1.0, color=colour,
            rasterized=t.size > 20000)
    ax.set_xlim(-0.5, steps - 0.5)
    ax.set_ylim(neurons - 0.5, -0.5)
    count = int(x.sum())
    rate = count / (steps * neurons) if steps * neurons else 0.0
    ax.set_title(f"{key}: {count:,} spikes, {rate:.3f} per neuron per step", fontsize=9, loc="left")
    if label_axis:
        ax.set_ylabel("neuron", fontsize=8)
    ax.tick_params(labelsize=7)


def plot_raster(traces: Mapping[str, Any], nodes: Sequence[str] | str | None = None, sample: Sample = 0,
                path: str | os.PathLike | None = None, *, max_neurons: int | None = None):
    """A spike raster (time step × neuron) per node; ``nodes=None`` takes every spiking trace.

    ``max_neurons`` keeps the first that many neurons of each node (all by default).
    """
    keys = [nodes] if isinstance(nodes, str) else (spiking_nodes(traces) if nodes is None else list(nodes))
    if not keys:
        raise DrawError("no spiking trace to plot (no node's values are all 0 or 1)\n"
                        f"  hint: name nodes= explicitly (the traces hold {list(traces)}), or use plot_traces")
    data = [_select(_array(traces, k), sample, k) for k in keys]
    if max_neurons is not None:
        data = [x[:, :max_neurons] for x in data]
    heights = [float(np.clip(x.shape[1] / 40.0, 0.9, 3.0)) for x in data]
    fig = _figure(8.0, sum(heights) + 0.6 * len(keys) + 0.4)
    axes = fig.subplots(len(keys), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for i, (ax, x, k) in enumerate(zip(axes, data, keys)):
        _raster(ax, x, k, PALETTE[i % len(PALETTE)])
    axes[-1].set_xlabel("time step", fontsize=8)
    return _finish(fig, path)


def plot_traces(traces: Mapping[str, Any], node: str | Sequence[str], neurons: Sequence[int] | int = (0,),
                sample: Sample = 0, path: str | os.PathLike | None = None, *, threshold: float | None = None,
                spikes: bool = True):
    """Values over time of the chosen ``neurons`` (flat indices) of one trace or several, one panel each.

    Plot a membrane with ``node="lif:v"`` (trace with ``state_vars=True``); any trace works. With
    ``spikes=True`` and a trace ``"id:var"`` whose node ``id`` spiked, spike times are marked on top;
    ``threshold`` draws a dashed line.
    """
    keys = [node] if isinstance(node, str) else list(node)
    chosen = [int(neurons)] if isinstance(neurons, (int, np.integer)) else [int(n) for n in neurons]
    if not keys or not chosen:
        raise DrawError("plot_traces needs at least one trace and one neuron")
    fig = _figure(8.0, 1.9 * len(keys) + 0.5)
    axes = fig.subplots(len(keys), 1, sharex=True, squeeze=False)[:, 0]
    for ax, key in zip(axes, keys):
        x = _select(_array(traces, key), sample, key)
        bad = [n for n in chosen if not -x.shape[1] <= n < x.shape[1]]
        if bad:
            raise DrawError(f"neuron(s) {bad} out of range: trace {key!r} has {x.shape[1]} neuron(s) per sample")
        owner = key.split(":", 1)[0]
        spike_data = None
        if spikes and ":" in key and owner in traces:
            s = _select(np.asarray(traces[owner]), sample, owner)
            if is_spikes(s) and s.shape == x.shape:
                spike_data = s
        steps = np.arange(x.shape[0])
        values = x[:, chosen]
        high = max(float(values.max()), threshold if threshold is not None else -np.inf)
        top = high + 0.06 * max(high - float(values.min()), 1e-6)  # spike ticks sit just above the curves
        for i, n in enumerate(chosen):
            colour = PALETTE[i % len(PALETTE)]
            ax.plot(steps, x[:, n], color=colour, linewidth=1.1, label=f"neuron {n}")
            if spike_data is not None:
                t = np.nonzero(spike_data[:, n])[0]
                ax.plot(t, np.full(t.shape, top), linestyle="none", marker="|", markersize=7, color=colour)
        if threshold is not None:
            ax.axhline(threshold, color="#555555", linestyle="--", linewidth=0.9, label="threshold")
        ax.set_title(key + (" (ticks: spikes)" if spike_data is not None else ""), fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
        if len(chosen) > 1 or threshold is not None:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    axes[-1].set_xlabel("time step", fontsize=8)
    return _finish(fig, path)


def plot_rates(traces: Mapping[str, Any], nodes: Sequence[str] | str | None = None, sample: Sample = None,
               path: str | os.PathLike | None = None, *, bins: int = 20, dt: float | None = None,
               batch_ndim: int = 1):
    """Histogram of the per-neuron firing rates of each node (overlaid), with each node's mean.

    Rates are spikes per step, or per second with ``dt`` (the step in seconds). ``sample=None`` pools
    every sample (``batch_ndim`` leading batch axes); an int or tuple picks one.
    """
    keys = [nodes] if isinstance(nodes, str) else (spiking_nodes(traces) if nodes is None else list(nodes))
    if not keys:
        raise DrawError("no spiking trace to plot (no node's values are all 0 or 1)\n"
                        f"  hint: name nodes= explicitly (the traces hold {list(traces)})")
    rates = {}
    for k in keys:
        x = _array(traces, k)
        if sample is None:
            if x.ndim < 1 + batch_ndim:
                raise DrawError(f"trace {k!r} has shape {x.shape}, fewer than {batch_ndim} batch axis(es)\n"
                                "  hint: pass batch_ndim=0 for a run without batch axes")
            per_neuron = x.reshape(x.shape[0] * int(np.prod(x.shape[1:1 + batch_ndim], dtype=int)), -1)
        else:
            per_neuron = _select(x, sample, k)
        r = per_neuron.astype(np.float64).mean(axis=0)
        rates[k] = r / dt if dt else r
    unit = "Hz" if dt else "spikes per step"
    high = max(float(r.max()) for r in rates.values()) if rates else 1.0
    edges = np.linspace(0.0, high if high > 0 else 1.0, bins + 1)
    fig = _figure(7.0, 3.6)
    ax = fig.subplots()
    for i, (k, r) in enumerate(rates.items()):
        silent = int(np.sum(r == 0))
        ax.hist(r, bins=edges, histtype="step", linewidth=1.6, color=PALETTE[i % len(PALETTE)],
                label=f"{k}: mean {r.mean():.3g} {unit}, {silent}/{r.size} silent")
    ax.set_xlabel(f"firing rate ({unit})", fontsize=8)
    ax.set_ylabel("neurons", fontsize=8)
    ax.set_title("firing rates per neuron", fontsize=9, loc="left")
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    return _finish(fig, path)


def plot_activity(traces: Mapping[str, Any], nodes: Sequence[str] | None = None, sample: Sample = 0,
                  path: str | os.PathLike | None = None, *, graph: Graph | None = None, max_lines: int = 8):
    """One overview figure: a raster for each spiking trace, value lines (first ``max_lines`` neurons)
    for the others, one panel per node.

    ``nodes=None`` takes, with ``graph`` given, its inputs, neurons (nodes with state) and outputs in
    declaration order; without it, every node trace (state variables are left out)."""
    if nodes is not None:
        keys = list(nodes)
    elif graph is not None:
        keys = [n.id for n in graph.nodes if n.id in traces and (n.STATEFUL or n.kind in ("Input", "Output"))]
    else:
        keys = [k for k in traces if ":" not in k]
    if not keys:
        raise DrawError("no trace to plot\n  hint: run prog.trace(...) and pass its traces")
    data = [_select(_array(traces, k), sample, k) for k in keys]
    heights = [float(np.clip(x.shape[1] / 40.0, 0.9, 2.5)) if is_spikes(x) else 1.3 for x in data]
    fig = _figure(8.0, sum(heights) + 0.6 * len(keys) + 0.4)
    axes = fig.subplots(len(keys), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for i, (ax, x, k) in enumerate(zip(axes, data, keys)):
        if is_spikes(x):
            _raster(ax, x, k, PALETTE[i % len(PALETTE)])
        else:
            steps = np.arange(x.shape[0])
            for j in range(min(max_lines, x.shape[1])):
                ax.plot(steps, x[:, j], linewidth=1.0, color=PALETTE[j % len(PALETTE)])
            shown = min(max_lines, x.shape[1])
            ax.set_title(f"{k}: values of {shown} of {x.shape[1]} neuron(s)", fontsize=9, loc="left")
            ax.tick_params(labelsize=7)
    axes[-1].set_xlabel("time step", fontsize=8)
    return _finish(fig, path)
