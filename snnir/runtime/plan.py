"""The static, hashable description of how one node is wired into the step function."""

from __future__ import annotations

from typing import NamedTuple

Shape = tuple[int, ...]


class Source(NamedTuple):
    """One in-edge as the runtime sees it: read ``port`` of ``node``, ``delay`` steps ago (0 = this step)."""

    node: str
    port: str
    delay: int


class NodePlan(NamedTuple):
    id: str
    kind: str
    role: str  # "input", "output" or "node"
    inputs: tuple[tuple[str, tuple[Source, ...], Shape], ...]  # (port, sources, shape) per input port
    outputs: tuple[tuple[str, Shape, bool], ...]  # (port, shape, has feedthrough) per output port
    history: tuple[tuple[str, int], ...]  # (port, depth): past values later steps read, filled at rest

    def output_shape(self, port: str = "out") -> Shape:
        for name, shape, _ in self.outputs:
            if name == port:
                return shape
        raise KeyError(port)

    @property
    def no_feedthrough_ports(self) -> tuple[str, ...]:
        return tuple(p for p, _, ft in self.outputs if not ft)


def history_var(port: str) -> str:
    """The state variable holding a port's past values, newest first: ``out_history``."""
    return f"{port}_history"
