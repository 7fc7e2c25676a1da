"""Graph inputs and outputs."""

from __future__ import annotations

from typing import ClassVar, Literal, Mapping

from ..node import Node, Shape, ShapeProblem, register_kind


@register_kind
class Input(Node):
    """An external input: at step t its output is the caller's ``xs[t]`` (shape excludes batch and time).

    y_t = x_t
    """

    kind: Literal["Input"] = "Input"
    shape: Shape

    INPUT_PORTS: ClassVar[tuple[str, ...]] = ()

    def infer_shapes(self, inputs: Mapping[str, tuple[int, ...] | None]) -> dict[str, tuple[int, ...]]:
        return {"out": tuple(self.shape)}


@register_kind
class Output(Node):
    """An external output: the sum of its in-edges, returned to the caller as ``ys[id]``.

    y_t = sum of in-edges at step t. ``shape`` is optional; when given, verify checks it.
    """

    kind: Literal["Output"] = "Output"
    shape: Shape | None = None

    OUTPUT_PORTS: ClassVar[tuple[str, ...]] = ()
    SINK: ClassVar[bool] = True

    def infer_shapes(self, inputs: Mapping[str, tuple[int, ...] | None]) -> dict[str, tuple[int, ...]]:
        got = inputs.get("in")
        if got is not None and self.shape is not None and tuple(got) != tuple(self.shape):
            raise ShapeProblem(
                f"output {self.id!r} declares shape {tuple(self.shape)} but receives {tuple(got)}",
                "drop the declared shape or fix the layer that feeds this output",
            )
        return {}
