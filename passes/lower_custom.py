"""Lowering rule of user-written layers (snnir/ir/kinds/custom.py -> snnir/kernels/custom.py).

The node's module becomes a field of the kernel, so its array leaves are the program's parameters;
``Program.to_graph`` takes it back from the kernel (``OBJECT_FIELDS``), trained leaves included.
"""

from __future__ import annotations

from snnir.kernels.custom import CustomKernel

from .lower import register_lowering


@register_lowering("Custom")
def _custom(node, ctx):
    in_shape = ctx.in_shape(node)
    info = node.probe(in_shape)
    kernel = CustomKernel(module=node.module, node=node.id, in_shape=in_shape, stateful=info.state_def is not None,
                          state_def=info.state_def, state_ndims=tuple(len(s.shape) for s in info.state),
                          dtype=ctx.dtype)
    return kernel, {}
