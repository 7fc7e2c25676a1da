"""Surrogate-gradient choices as IR data: a registered name plus its parameters (so they serialise).

The forward pass of every surrogate is the Heaviside step; only the gradient used in training differs.
The formulas live in ``snnir.kernels.surrogates``; this module knows only names and parameters.

| name | d spike / dx | parameters (defaults) | known as |
|---|---|---|---|
| superspike | 1 / (1 + beta·abs(x))² | beta=10 | SuperSpike (Zenke & Ganguli); Spyx superspike (k=25), snnTorch fast_sigmoid |
| superspike_unsquared | 1 / (1 + beta·abs(x)) | beta=10 | SNNAX superspike_surrogate |
| boxcar | height if abs(x) < width/2 else 0 | width=1, height=1 | SNNAX piecewise_surrogate(b): width=2b, height=1; Spyx boxcar(2, .5) |
| sigmoid | beta·σ(beta·x)·(1 − σ(beta·x)) | beta=1 | SNNAX sigmoid_surrogate (whose own gradient crashes) |
| arctan | 1 / (π·(1 + (beta·π·x)²)) | beta=2 | Spyx arctan(k) |
| tanh | sech²(beta·x) | beta=1 | Spyx tanh(k) |
| triangular | max(0, 1 − abs(beta·x)) | beta=2 | Spyx triangular(k) |
| ste | 1 | none | straight-through estimator |
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .node import FriendlyModelMeta, invalid_ir_error


class _SurrogateMeta(FriendlyModelMeta):
    def _construction_error(cls, err, data):
        return invalid_ir_error(err, what=f"surrogate {data.get('name', '?')!r}", model=cls)

SURROGATE_DEFAULTS: dict[str, dict[str, float]] = {
    "superspike": {"beta": 10.0},
    "superspike_unsquared": {"beta": 10.0},
    "boxcar": {"width": 1.0, "height": 1.0},
    "sigmoid": {"beta": 1.0},
    "arctan": {"beta": 2.0},
    "tanh": {"beta": 1.0},
    "triangular": {"beta": 2.0},
    "ste": {},
}


class Surrogate(BaseModel, metaclass=_SurrogateMeta):
    """A surrogate gradient: ``Surrogate(name="superspike", params={"beta": 25})`` or just the name."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    _POSITIONAL: ClassVar[tuple[str, ...]] = ("name",)

    name: str
    params: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"name": value}
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> "Surrogate":
        if self.name not in SURROGATE_DEFAULTS:
            raise ValueError(f"unknown surrogate {self.name!r}; choose one of {sorted(SURROGATE_DEFAULTS)}")
        defaults = SURROGATE_DEFAULTS[self.name]
        unknown = set(self.params) - set(defaults)
        if unknown:
            raise ValueError(f"surrogate {self.name!r} takes {sorted(defaults) or 'no parameters'}, not {sorted(unknown)}")
        for k, v in self.params.items():
            if not (v == v and abs(v) != float("inf")):
                raise ValueError(f"surrogate parameter {k} must be finite")
        object.__setattr__(self, "params", {**defaults, **{k: float(v) for k, v in self.params.items()}})
        return self

    def as_static(self) -> tuple[str, tuple[tuple[str, float], ...]]:
        """Hashable form for kernels: (name, ((param, value), ...))."""
        return self.name, tuple(sorted(self.params.items()))

    def __hash__(self) -> int:
        return hash(self.as_static())

    def __str__(self) -> str:
        args = ",".join(f"{k}={v:g}" for k, v in sorted(self.params.items()))
        return f"{self.name}({args})"
