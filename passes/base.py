"""A pass is a small frozen object with a name and a pure ``Graph -> Graph`` function.

A pipeline runs passes in order and verifies the graph after each one; when a pass raises, or leaves a
graph that fails verification, the error says which pass failed after which passes.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

from snnir.errors import PassError, SnnirError, VerifyError
from snnir.ir import Graph
from snnir.verification import verify


@dataclasses.dataclass(frozen=True)
class Pass:
    name: str
    run: Callable[[Graph], Graph]
    description: str = ""

    def __call__(self, graph: Graph) -> Graph:
        return self.run(graph)


@dataclasses.dataclass(frozen=True)
class Pipeline:
    passes: tuple[Pass, ...]
    verify_each: bool = True

    def __init__(self, passes: Sequence[Pass], verify_each: bool = True):
        object.__setattr__(self, "passes", tuple(passes))
        object.__setattr__(self, "verify_each", verify_each)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.passes)

    def run(self, graph: Graph) -> Graph:
        done: list[str] = []
        for p in self.passes:
            after = f"after {', '.join(done)}" if done else "as the first pass"
            try:
                graph = p(graph)
            except SnnirError as err:
                raise PassError(f"pass {p.name!r} failed ({after}):\n{err}") from err
            except Exception as err:  # a bug in a pass: still say where it happened
                raise PassError(f"pass {p.name!r} crashed ({after}): {type(err).__name__}: {err}") from err
            if self.verify_each:
                try:
                    verify(graph)
                except VerifyError as err:
                    raise PassError(f"pass {p.name!r} ({after}) produced an invalid graph:\n{err}") from err
            done.append(p.name)
        return graph

    __call__ = run
