"""Lowering rules of the neuron kinds (snnir/ir/kinds/neurons.py, adaptive.py, readouts.py ->
snnir/kernels/neurons.py, adaptive.py, readouts.py).

Each rule returns the kernel and the map from IR parameter name to kernel field name.
"""

from __future__ import annotations

import snnir.kernels as K

from .lower import register_lowering


def _same_names(*names: str) -> dict[str, str]:
    return {n: n for n in names}


def _decay_clamp(node):
    return K.clamp_spec(node.decay_clamp, getattr(node, "decay_clamp_op", "clamp"))


def _spike_options(node) -> dict:
    return dict(shape=tuple(node.shape), fire_at_threshold=node.fire_at_threshold,
                surrogate=node.surrogate.as_static(), decay_clamp=_decay_clamp(node))


def _spiking_options(node) -> dict:
    return dict(
        _spike_options(node), reset=node.reset, spike_from=node.spike_from, reset_at=node.reset_at,
        reset_before_leak=node.reset_before_leak, detach_reset=node.detach_reset, double_reset=node.double_reset,
    )


@register_lowering("LIF")
def _lif(node, ctx):
    kernel = K.LIFKernel(decay=ctx.array(node.decay), threshold=ctx.array(node.threshold),
                         reset_value=ctx.array(node.reset_value), syn_decay=None, leak=ctx.array(node.leak),
                         input_scale=node.input_scale, **_spiking_options(node))
    return kernel, _same_names("decay", "threshold", "reset_value", "leak")


@register_lowering("IF")
def _if(node, ctx):
    kernel = K.LIFKernel(decay=None, threshold=ctx.array(node.threshold), reset_value=ctx.array(node.reset_value),
                         syn_decay=None, leak=ctx.array(node.leak), **_spiking_options(node))
    return kernel, _same_names("threshold", "reset_value", "leak")


@register_lowering("CubaLIF")
def _cuba_lif(node, ctx):
    kernel = K.LIFKernel(decay=ctx.array(node.mem_decay), threshold=ctx.array(node.threshold),
                         reset_value=ctx.array(node.reset_value), syn_decay=ctx.array(node.syn_decay),
                         leak=ctx.array(node.leak), input_scale=node.input_scale, current_lag=node.current_lag,
                         **_spiking_options(node))
    return kernel, {"mem_decay": "decay", "syn_decay": "syn_decay", "threshold": "threshold",
                    "reset_value": "reset_value", "leak": "leak"}


@register_lowering("LI")
def _li(node, ctx):
    return K.LIKernel(decay=ctx.array(node.decay), shape=tuple(node.shape), input_scale=node.input_scale,
                      decay_clamp=_decay_clamp(node)), _same_names("decay")


@register_lowering("AdaptiveLIF")
def _adaptive_lif(node, ctx):
    names = ("decay", "ada_decay", "ada_step", "ada_coupling", "threshold", "reset_value")
    kernel = K.AdaptiveLIFKernel(**{n: ctx.array(getattr(node, n)) for n in names}, reset=node.reset,
                                 detach_reset=node.detach_reset, input_scale=node.input_scale,
                                 coupling_clamp=node.coupling_clamp, step_clamp=node.step_clamp,
                                 **_spike_options(node))
    return kernel, _same_names(*names)


@register_lowering("ALIF")
def _alif(node, ctx):
    names = ("decay", "adapt_decay", "threshold")
    kernel = K.ALIFKernel(**{n: ctx.array(getattr(node, n)) for n in names}, spike_from=node.spike_from,
                          reset=node.reset, detach_reset=node.detach_reset, input_scale=node.input_scale,
                          **_spike_options(node))
    return kernel, _same_names(*names)


@register_lowering("SigmaDelta")
def _sigma_delta(node, ctx):
    names = ("in_decay", "mem_decay", "fb_decay", "threshold")
    kernel = K.SigmaDeltaKernel(**{n: ctx.array(getattr(node, n)) for n in names}, **_spike_options(node))
    return kernel, _same_names(*names)


@register_lowering("SRM")
def _srm(node, ctx):
    names = ("r_decay", "refractory", "threshold")
    kernel = K.SRMKernel(**{n: ctx.array(getattr(node, n)) for n in names},
                         refractory_clamp=node.refractory_clamp, **_spike_options(node))
    return kernel, _same_names(*names)


@register_lowering("SpikeCounter")
@register_lowering("ActivityRegularization")
def _counter(node, ctx):
    return K.CounterKernel(shape=tuple(node.shape)), {}


@register_lowering("PopulationCode")
def _population_code(node, ctx):
    return K.PopulationCodeKernel(in_shape=ctx.in_shape(node), group_size=node.group_size), {}
