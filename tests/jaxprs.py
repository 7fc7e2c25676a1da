"""Looking inside traced programs: the equations of one primitive, nested jaxprs (jit, scan) included."""

from __future__ import annotations


def equations(jaxpr, primitive: str) -> list:
    """Every equation of ``primitive`` in ``jaxpr`` and in the jaxprs nested in its equations."""
    found = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == primitive:
            found.append(eqn)
        for value in eqn.params.values():
            for inner in value if isinstance(value, (tuple, list)) else (value,):
                inner = getattr(inner, "jaxpr", inner)
                if hasattr(inner, "eqns"):
                    found += equations(inner, primitive)
    return found
