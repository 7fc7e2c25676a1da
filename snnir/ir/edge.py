"""Edges: a value flowing from one node's output port to another node's input port."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from .node import FriendlyModelMeta, NodeId, PortName, invalid_ir_error


class _EdgeMeta(FriendlyModelMeta):
    def _construction_error(cls, err, data):
        return invalid_ir_error(err, what=f"edge {data.get('src', '?')!r} -> {data.get('dst', '?')!r}", model=cls)


class Edge(BaseModel, metaclass=_EdgeMeta):
    """``Edge(src, dst, delay=0, src_port="out", dst_port="in", feedback=False)``.

    The value of ``src.src_port`` at step t − delay is added into ``dst.dst_port`` at step t; several
    edges into one port are summed. ``feedback=True`` marks an edge that reads the previous step to break
    a cycle (the mark-feedback pass sets it; its effective delay is delay + 1). A read of a step before 0
    gives the source port's rest value (docs/semantics.md, "Rest values").
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    src: NodeId
    dst: NodeId
    delay: int = Field(default=0, ge=0, le=1_000_000)
    src_port: PortName = "out"
    dst_port: PortName = "in"
    feedback: bool = False

    _POSITIONAL: ClassVar[tuple[str, ...]] = ("src", "dst")

    @property
    def effective_delay(self) -> int:
        """Steps between the source's value and its arrival: delay, plus one for a feedback edge."""
        return self.delay + (1 if self.feedback else 0)

    @property
    def key(self) -> tuple[str, str]:
        return (self.src, self.dst)

    def replace(self, **changes: Any) -> "Edge":
        return Edge(**{**self.model_dump(), **changes})

    def label(self) -> str:
        """How this edge reads in a printed node line: ``src.port{delay=2,feedback}``."""
        text = self.src if self.src_port == "out" else f"{self.src}.{self.src_port}"
        notes = []
        if self.delay:
            notes.append(f"delay={self.delay}")
        if self.feedback:
            notes.append("feedback")
        if notes:
            text += "{" + ",".join(notes) + "}"
        if self.dst_port != "in":
            text = f"{self.dst_port}={text}"
        return text

    def __str__(self) -> str:
        return f"{self.label()} -> {self.dst}" + ("" if self.dst_port == "in" else f".{self.dst_port}")
