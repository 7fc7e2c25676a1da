"""Placing a training run on a ``jax.sharding.Mesh``: data parallelism, the way jit expects it.

    mesh = jax.make_mesh((8,), ("batch",))
    xs = shard_batch(xs, mesh, "batch", axis=1)       # time-major inputs [T, B, ...]: split B
    ys = shard_batch(ys, mesh, "batch", axis=0)       # targets [B, ...]
    params = replicate(params, mesh)                  # every device holds all of them

Only the placement of the arrays is decided here; ``jax.jit``'s SPMD partitioner compiles the step for
it (each device runs its part of the batch, and the gradient's sum over the batch becomes an
all-reduce), so there are no hand-written collectives. On other mesh axes (a "model" axis, say) the
batch is replicated.

Both kinds of mesh axes work: ``Auto`` leaves every choice to XLA's partitioner, ``Explicit``
(``jax.make_mesh``'s default in recent JAX) puts the sharding in the arrays' types, where the program
reads it (a layered program then keeps the batch axis apart from time; docs/scaling.md).
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from snnir.errors import InvalidArgumentsError, ShapeError

__all__ = ["shard_batch", "replicate", "batch_axis_size", "check_divisible"]


def _check_mesh(mesh: Any, fn: str) -> Mesh:
    if not isinstance(mesh, Mesh):
        raise InvalidArgumentsError(f"{fn}: mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}"
                                    "\n  hint: build one with jax.make_mesh((jax.device_count(),), ('batch',))")
    return mesh


def batch_axis_size(mesh: Mesh, axis_name: str | None = None, fn: str = "fit") -> tuple[str, int]:
    """(name, number of devices) of the mesh axis that splits the batch; ``None`` names the mesh's first
    axis. An unknown name is an ``InvalidArgumentsError`` listing the mesh's axes."""
    mesh = _check_mesh(mesh, fn)
    name = mesh.axis_names[0] if axis_name is None else axis_name
    if name not in mesh.axis_names:
        raise InvalidArgumentsError(f"{fn}: batch_axis={name!r} is not an axis of the mesh {tuple(mesh.axis_names)}"
                                    f"\n  hint: use one of {list(mesh.axis_names)}")
    return name, int(mesh.shape[name])


def check_divisible(batch_size: int, mesh: Mesh, axis_name: str | None, fn: str = "fit") -> str:
    """The batch axis's name, after checking that ``batch_size`` splits evenly over its devices."""
    name, devices = batch_axis_size(mesh, axis_name, fn)
    if batch_size % devices:
        lower = batch_size - batch_size % devices
        raise ShapeError(f"{fn}: batch_size={batch_size} does not split over the {devices} devices of the mesh "
                         f"axis {name!r}\n  hint: use a multiple of {devices}, e.g. batch_size="
                         f"{max(lower, devices)} or {lower + devices}")
    return name


def shard_batch(tree: Any, mesh: Mesh, axis_name: str, axis: int = 0) -> Any:
    """Every array of ``tree`` placed on ``mesh`` split along its ``axis`` over the mesh axis ``axis_name``
    (replicated over the mesh's other axes). The size of that array axis must divide evenly."""
    mesh = _check_mesh(mesh, "shard_batch")

    def place(x):
        spec = PartitionSpec(*([None] * axis), axis_name)
        return jax.device_put(x, NamedSharding(mesh, spec))

    return jax.tree_util.tree_map(lambda x: place(x) if eqx.is_array(x) else x, tree)


def replicate(tree: Any, mesh: Mesh) -> Any:
    """Every array of ``tree`` (parameters, optimiser state) placed whole on every device of ``mesh``;
    other leaves (None, Python numbers) are left as they are."""
    mesh = _check_mesh(mesh, "replicate")
    everywhere = NamedSharding(mesh, PartitionSpec())
    return jax.tree_util.tree_map(lambda x: jax.device_put(x, everywhere) if eqx.is_array(x) else x, tree)


def constrain_batch(tree: Any, mesh: Mesh, axis_name: str, axis: int = 0) -> Any:
    """Inside a jitted function: every array of ``tree`` split along ``axis`` over the mesh axis
    ``axis_name`` (``jax.lax.with_sharding_constraint``), so a batch gathered inside the step is
    partitioned as :func:`shard_batch` would have placed it."""
    spec = NamedSharding(mesh, PartitionSpec(*([None] * axis), axis_name))
    # an Explicit mesh axis carries its sharding in the types, changed by reshard; an Auto one takes a hint
    explicit = _is_explicit(mesh, axis_name)
    split = (lambda x: jax.sharding.reshard(x, spec)) if explicit else (lambda x: jax.lax.with_sharding_constraint(x, spec))
    return jax.tree_util.tree_map(lambda x: split(x) if eqx.is_array(x) else x, tree)


def _is_explicit(mesh: Mesh, axis_name: str) -> bool:
    types = getattr(mesh, "axis_types", None)
    kind = getattr(jax.sharding, "AxisType", None)
    if types is None or kind is None:
        return False
    return dict(zip(mesh.axis_names, types)).get(axis_name) == kind.Explicit
