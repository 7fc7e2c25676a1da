"""Lowering rules of the stateless layer kinds (snnir/ir/kinds/layers.py -> snnir/kernels/layers.py).

Shape-dependent options (explicit padding for 'same', the normalised axes, the per-sample rank) are
resolved here from the inferred input shapes, so kernels receive only static numbers.
"""

from __future__ import annotations

import snnir.kernels as K

from .lower import register_lowering


@register_lowering("Conv1d")
@register_lowering("Conv2d")
def _conv(node, ctx):
    spatial = ctx.in_shape(node)[1:]
    kernel = K.ConvKernel(weight=ctx.array(node.weight), bias=ctx.array(node.bias), stride=tuple(node.stride),
                          padding=node.pads(spatial), dilation=tuple(node.dilation), groups=node.groups)
    return kernel, {"weight": "weight", "bias": "bias"}


def _pool(node, ctx, op: str, **extra):
    spatial = ctx.in_shape(node)[1:]
    return K.PoolKernel(op=op, kernel=tuple(node.kernel_size), stride=tuple(node.strides),
                        padding=node.pads(spatial), **extra)


@register_lowering("MaxPool1d")
@register_lowering("MaxPool2d")
def _max_pool(node, ctx):
    kernel = _pool(node, ctx, "max", threshold=ctx.array(node.threshold), spiking=node.spiking,
                   fire_at_threshold=node.fire_at_threshold, surrogate=node.surrogate.as_static())
    return kernel, {"threshold": "threshold"}


@register_lowering("AvgPool1d")
@register_lowering("AvgPool2d")
def _avg_pool(node, ctx):
    return _pool(node, ctx, "avg", threshold=None), {}


@register_lowering("SumPool1d")
@register_lowering("SumPool2d")
def _sum_pool(node, ctx):
    return _pool(node, ctx, "sum", threshold=None), {}


@register_lowering("LayerNorm")
def _layer_norm(node, ctx):
    axes = len(node.normalized(ctx.in_shape(node)))
    kernel = K.LayerNormKernel(weight=ctx.array(node.weight), bias=ctx.array(node.bias), axes=axes,
                               eps=float(node.eps))
    return kernel, {"weight": "weight", "bias": "bias"}


@register_lowering("Concat")
def _concat(node, ctx):
    ndim = len(ctx.in_shape(node, node.INPUT_PORTS[0]))
    return K.ConcatKernel(ports=node.INPUT_PORTS, axis=node.axis % ndim, ndim=ndim), {}


@register_lowering("Dropout")
def _dropout(node, ctx):
    return K.DropoutKernel(p=float(node.p), node=node.id), {}


@register_lowering("BatchNorm")
def _batch_norm(node, ctx):
    kernel = K.BatchNormKernel(weight=ctx.array(node.weight), bias=ctx.array(node.bias), shape=ctx.in_shape(node),
                               per_channel=node.over == "channel", eps=float(node.eps),
                               momentum=float(node.momentum), axis_name=node.axis_name)
    return kernel, {"weight": "weight", "bias": "bias"}
