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

A surrogate may also be a Python spike function (``Surrogate.from_function(fn)``, name "function"): ``fn``
maps the membrane minus the threshold to the spikes and carries its own gradient (``jax.custom_jvp`` or
``custom_vjp``). It lives in memory only; to store it in model files, give it a name with
:func:`register_spike_function` (files then hold the name, and loading needs the same registration).
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_serializer, model_validator

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


FUNCTION = "function"  # the name of a surrogate that is a Python spike function
_SPIKE_FUNCTIONS: dict[str, Callable] = {}  # registered name -> spike function


def register_spike_function(fn: Optional[Callable] = None, name: Optional[str] = None):
    """Give a Python spike function a name, so graphs using it can be saved and loaded: usable as
    ``register_spike_function(fn, "mylib.spike")`` or as a decorator (the name defaults to the function's
    module and qualified name). Returns ``fn``."""
    if fn is None:
        return lambda f: register_spike_function(f, name)
    if not callable(fn):
        raise TypeError(f"register_spike_function expects a callable, got {fn!r}")
    key = name or f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"
    taken = _SPIKE_FUNCTIONS.get(key)
    if taken is not None and taken is not fn:
        raise ValueError(f"the spike function name {key!r} is taken by {taken!r}; choose another name")
    _SPIKE_FUNCTIONS[key] = fn
    return fn


MEMORY = "memory:"  # prefix of the names unregistered spike functions get for this process only
_IN_MEMORY: dict[str, Callable] = {}


def spike_function_name(fn: Callable) -> Optional[str]:
    """The name ``fn`` was registered under, or None."""
    return next((k for k, v in _SPIKE_FUNCTIONS.items() if v is fn), None)


def _memory_name(fn: Callable) -> str:
    """A process-local name for an unregistered function, so the graph's JSON form (which programs keep as
    their template) can name it; files refuse such names."""
    name = f"{MEMORY}{getattr(fn, '__qualname__', type(fn).__qualname__)}@{id(fn):x}"
    _IN_MEMORY[name] = fn
    return name


def _lookup(name: Optional[str]) -> Optional[Callable]:
    if not name:
        return None
    return _IN_MEMORY.get(name) if name.startswith(MEMORY) else _SPIKE_FUNCTIONS.get(name)


class Surrogate(BaseModel, metaclass=_SurrogateMeta):
    """A surrogate gradient: ``Surrogate(name="superspike", params={"beta": 25})`` or just the name; or a
    Python spike function: ``Surrogate.from_function(fn)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    _POSITIONAL: ClassVar[tuple[str, ...]] = ("name",)

    name: str
    params: dict[str, float] = Field(default_factory=dict)
    function: Optional[str] = Field(default=None, description="the registered name of a Python spike "
                                    "function (name 'function'); see register_spike_function")
    _fn: Any = PrivateAttr(default=None)

    @classmethod
    def from_function(cls, fn: Callable) -> "Surrogate":
        """A surrogate that is the spike function ``fn`` itself (forward and gradient)."""
        if not callable(fn):
            raise TypeError(f"a spike function must be callable, got {fn!r}")
        return cls(name=FUNCTION, function=spike_function_name(fn) or _memory_name(fn), fn=fn)

    @model_validator(mode="wrap")
    @classmethod
    def _with_function(cls, value: Any, handler):
        """A spike function travels beside the fields (``fn``): from ``from_function``, or from a Python
        dump of the graph (``Program.to_graph``); a file gives only its registered name."""
        fn = None
        if isinstance(value, dict) and "fn" in value:
            value = dict(value)
            fn = value.pop("fn")
        surrogate = handler(value)
        if surrogate.name == FUNCTION and surrogate._fn is None:
            fn = fn if fn is not None else _lookup(surrogate.function)
            if fn is None:
                raise ValueError(f"the spike function {surrogate.function!r} is not registered"
                                 "\n  hint: call snnir.register_spike_function(fn, name) before "
                                 "loading, or build the surrogate with Surrogate.from_function(fn)")
            surrogate._fn = fn
        return surrogate

    @model_serializer(mode="wrap")
    def _without_empty_function(self, handler):
        data = handler(self)  # files keep their old form: "function" only for a spike function
        if isinstance(data, dict):
            if data.get("function") is None:
                data.pop("function", None)
        return data

    @property
    def storable(self) -> bool:
        """Whether a model file can hold this surrogate (a Python spike function needs a registered name)."""
        return self.name != FUNCTION or not (self.function or MEMORY).startswith(MEMORY)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"name": value}
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> "Surrogate":
        if self.name == FUNCTION:
            if self.params:
                raise ValueError("a spike-function surrogate takes no parameters")
            return self
        if self.function is not None:
            raise ValueError(f"surrogate {self.name!r} names no function (only name='function' does)")
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

    def as_static(self) -> tuple[str, tuple[tuple[str, Any], ...]]:
        """Hashable form for kernels: (name, ((param, value), ...)); a spike function's is
        ("function", (("fn", fn),))."""
        if self.name == FUNCTION:
            return self.name, (("fn", self._fn),)
        return self.name, tuple(sorted(self.params.items()))

    def __hash__(self) -> int:
        return hash(self.as_static())

    def __str__(self) -> str:
        if self.name == FUNCTION:
            return f"function({getattr(self._fn, '__name__', 'fn') if not self.storable else self.function})"
        args = ",".join(f"{k}={v:g}" for k, v in sorted(self.params.items()))
        return f"{self.name}({args})"
