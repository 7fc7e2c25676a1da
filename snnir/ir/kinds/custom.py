"""User-written layers as graph nodes: the ``Custom`` kind and the registry that makes them storable.

A ``Custom`` node wraps an Equinox module written for ONE sample (no batch axes), following SNNAX's
stateful-layer contract:

* ``module.init_state(shape, key)`` returns the state before step 0 as a list of arrays (any pytree
  works); by SNNAX's convention its last element is the layer's output;
* ``module(state, x, *, key) -> (state, y)`` advances one step; the new state has the structure, shapes
  and dtypes of the old one;
* optionally ``module.output(state) -> y`` (for ``direct_feedthrough=False``).

A module without ``init_state`` is a stateless layer called as ``module(x, *, key)`` (``eqx.nn.Linear``,
``eqx.nn.Dropout``, ...). Output shapes are found with ``jax.eval_shape`` of one call on a zero sample, so
a layer may change shape.

Model files store a module by the name given to :func:`register_layer` plus its dataclass fields: arrays
become the file's arrays, JSON scalars (numbers, strings, booleans, None) and tuples/lists of storable
values are written as JSON, and a field holding another registered module nests. Loading rebuilds the
module from the registered class only (never importing anything a file names) without running its
``__init__``, so no user code runs beyond what the class itself defines.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from pydantic import BeforeValidator, Field, PlainSerializer, PrivateAttr, WithJsonSchema

from ...errors import SnnirError
from ..arrays import FLOAT_DTYPES, INT_DTYPES, _from_json_form, array_to_json
from ..node import Node, Shape, ShapeProblem, register_kind


# ---------------------------------------------------------------------- errors
class LayerRegistrationError(SnnirError, TypeError):
    """``register_layer`` was given something that is not an Equinox module class, or a taken name."""


class UnknownLayerError(SnnirError, ValueError):
    """A model file names a layer that no :func:`register_layer` call has registered."""


class LayerEncodingError(SnnirError, ValueError):
    """A module cannot be written to a model file: its class is not registered, or a field holds a value
    files cannot store (a function, an unsupported dtype, ...). ``.where`` names the field."""

    def __init__(self, message: str, hint: str, where: str = ""):
        self.where = where
        self.message = message
        self.hint = hint
        super().__init__(message + f"\n  hint: {hint}")


# ---------------------------------------------------------------------- the registry
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,199}$")
_LAYERS: dict[str, type] = {}


def register_layer(cls: type | None = None, name: str | None = None):
    """Make an Equinox module class storable in model files under ``name`` (default: its ``__qualname__``).

    Usable as ``register_layer(MyLayer)``, ``@register_layer`` or ``@register_layer(name="mylib.MyLayer")``.
    Registering the same class again is harmless; a class redefined under the same module and name (e.g.
    re-running a notebook cell) replaces the old one. Returns the class.
    """
    if cls is None:
        return lambda c: register_layer(c, name=name)
    if not (isinstance(cls, type) and issubclass(cls, eqx.Module)):
        raise LayerRegistrationError(f"register_layer expects an equinox.Module subclass, got {cls!r}")
    name = cls.__qualname__ if name is None else name
    if not isinstance(name, str) or not _NAME.match(name):
        raise LayerRegistrationError(f"layer name {name!r} must be 1-200 characters of letters, digits, _ . -, "
                                     "starting with a letter or _")
    old = _LAYERS.get(name)
    if old is not None and old is not cls and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise LayerRegistrationError(
            f"layer name {name!r} is already registered by {old.__module__}.{old.__qualname__}; "
            f"pass another name: register_layer({cls.__qualname__}, name=...)")
    for other, registered in list(_LAYERS.items()):  # one name per class: files must name it one way
        if registered is cls and other != name:
            del _LAYERS[other]
    _LAYERS[name] = cls
    return cls


def registered_layers() -> dict[str, type]:
    """Registered layer name -> class."""
    return dict(_LAYERS)


def layer_name(cls: type) -> str | None:
    """The name ``cls`` is registered under, or None."""
    for name, registered in _LAYERS.items():
        if registered is cls:
            return name
    return None


def layer_class(name: str) -> type:
    try:
        return _LAYERS[name]
    except KeyError:
        raise UnknownLayerError(
            f"unknown layer {name!r}; registered layers are {sorted(_LAYERS)}\n"
            f"  hint: call snnir.register_layer(<the class>, name={name!r}) before loading") from None


# ---------------------------------------------------------------------- encoding (files)
def _is_array(value: Any) -> bool:
    return isinstance(value, (np.ndarray, np.generic, jax.Array))


def encode_layer(module: Any, store=array_to_json, where: str = "module") -> dict:
    """``{"layer": name, "fields": {...}}`` for a registered module; ``store(np.ndarray)`` returns the JSON
    that stands for an array (inline data, or a reference into a container). Raises LayerEncodingError."""
    cls = type(module)
    name = layer_name(cls)
    if name is None:
        raise LayerEncodingError(
            f"{where} is a {cls.__module__}.{cls.__qualname__}, which is not a registered layer",
            f"call snnir.register_layer({cls.__qualname__}) so model files can name it", where)
    fields = {}
    for f in dataclasses.fields(module):
        fields[f.name] = _encode_value(getattr(module, f.name), store, f"{where}.{f.name}")
    return {"layer": name, "fields": fields}


def _encode_value(value: Any, store, where: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LayerEncodingError(f"field {where} holds {value}, which JSON cannot store",
                                     "store it as an array field instead", where)
        return value
    if _is_array(value):
        arr = np.asarray(value)
        if arr.dtype.name not in FLOAT_DTYPES and arr.dtype.name not in INT_DTYPES:
            raise LayerEncodingError(
                f"field {where} holds an array of dtype {arr.dtype.name}, which model files do not store",
                f"use one of {sorted(FLOAT_DTYPES | INT_DTYPES)}", where)
        return store(np.array(arr, order="C"))  # (ascontiguousarray would make a 0-d array 1-d)
    if type(value) is tuple:
        return [_encode_value(v, store, f"{where}[{i}]") for i, v in enumerate(value)]
    if type(value) is list:
        return {"list": [_encode_value(v, store, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, eqx.Module):
        return encode_layer(value, store, where)
    kind = "a function" if callable(value) else f"a {type(value).__module__}.{type(value).__qualname__}"
    raise LayerEncodingError(
        f"field {where} holds {kind}, which model files cannot store",
        "files store arrays, numbers, strings, booleans, None, tuples and lists of those, and registered "
        "modules; keep functions out of the module's fields (or leave them None) to save it", where)


def decode_layer(doc: Any, where: str = "module") -> Any:
    """Rebuild a module from :func:`encode_layer`'s JSON (arrays inline, or already read as numpy arrays)."""
    if not (isinstance(doc, dict) and set(doc) == {"layer", "fields"} and isinstance(doc["layer"], str)
            and isinstance(doc["fields"], dict)):
        raise ValueError(f"{where} must be an object {{\"layer\": name, \"fields\": {{...}}}}")
    cls = layer_class(doc["layer"])
    names = [f.name for f in dataclasses.fields(cls)]
    given = doc["fields"]
    missing, extra = [n for n in names if n not in given], sorted(set(given) - set(names))
    if missing or extra:
        raise ValueError(f"{where}: layer {doc['layer']!r} has fields {names}"
                         + (f"; the file lacks {missing}" if missing else "")
                         + (f"; the file has unknown {extra}" if extra else ""))
    module = object.__new__(cls)  # fields are set directly: __init__ may need arguments the file lacks
    for n in names:
        object.__setattr__(module, n, _decode_value(given[n], f"{where}.{n}"))
    return module


def _decode_value(doc: Any, where: str) -> Any:
    if doc is None or isinstance(doc, (bool, int, float, str)):
        return doc
    if isinstance(doc, np.ndarray):  # read from a container by the file loader
        return _to_jax(doc)
    if isinstance(doc, list):
        return tuple(_decode_value(v, f"{where}[{i}]") for i, v in enumerate(doc))
    if isinstance(doc, dict):
        keys = set(doc)
        if keys == {"dtype", "shape", "data"}:
            return _to_jax(_from_json_form(doc))
        if keys == {"list"} and isinstance(doc["list"], list):
            return [_decode_value(v, f"{where}[{i}]") for i, v in enumerate(doc["list"])]
        if keys == {"layer", "fields"}:
            return decode_layer(doc, where)
    raise ValueError(f"{where}: cannot read {type(doc).__name__} {str(doc)[:60]!r} as a layer field")


def _to_jax(arr: np.ndarray) -> Any:
    # 64-bit arrays stay numpy while JAX runs 32-bit, so their dtype survives a round trip
    if arr.dtype.itemsize > 4 and not jax.config.jax_enable_x64:
        arr.setflags(write=False)
        return arr
    return jnp.asarray(arr)


# ---------------------------------------------------------------------- equality
def modules_equal(a: Any, b: Any) -> bool:
    """Same pytree structure (class and static fields) and equal leaves (arrays by dtype, shape, values)."""
    leaves_a, def_a = jax.tree_util.tree_flatten(a)
    leaves_b, def_b = jax.tree_util.tree_flatten(b)
    try:
        if def_a != def_b:
            return False
    except Exception:  # a static field whose == is not a bool (an array)
        return False
    return all(_leaf_equal(x, y) for x, y in zip(leaves_a, leaves_b))


def _leaf_equal(x: Any, y: Any) -> bool:
    if _is_array(x) or _is_array(y):
        if not (_is_array(x) and _is_array(y)):
            return False
        x, y = np.asarray(x), np.asarray(y)
        return x.dtype == y.dtype and x.shape == y.shape and bool(np.array_equal(x, y))
    if type(x) is not type(y):
        return False
    try:
        return bool(x == y)
    except Exception:
        return False


# ---------------------------------------------------------------------- probing a module
class Probe(NamedTuple):
    """What one call on a zero sample tells about a module (shapes per sample, no batch)."""

    out_shape: tuple[int, ...]
    state_def: Any  # the PyTreeDef of init_state's result (None for stateless modules)
    state: tuple[jax.ShapeDtypeStruct, ...]  # the state leaves


def is_stateful_layer(module: Any) -> bool:
    return callable(getattr(module, "init_state", None))


def probe(module: Any, in_shape: tuple[int, ...]) -> Probe:
    """Shapes of one step on a zero sample of ``in_shape``; raises ShapeProblem if the module fails."""
    name = type(module).__qualname__
    stateful = is_stateful_layer(module)

    def run():
        key = jax.random.key(0)
        x = jnp.zeros(in_shape, jnp.float32)
        if not stateful:
            return None, None, module(x, key=key)
        state = module.init_state(in_shape, key)
        new, y = module(state, x, key=key)
        return state, new, y

    try:
        state, new, y = jax.eval_shape(run)
    except Exception as err:  # whatever the user's code raises on this shape
        raise ShapeProblem(f"layer {name} fails on per-sample input shape {in_shape}: {type(err).__name__}: "
                           f"{str(err).splitlines()[0] if str(err) else ''}",
                           "the module runs on ONE sample (no batch axes): state = init_state(shape, key), "
                           "then (state, y) = module(state, x, key=key); help(snnir.Custom) describes the contract") from None
    if not isinstance(y, jax.ShapeDtypeStruct):
        raise ShapeProblem(f"layer {name} returns a {type(y).__name__} as its output, not one array",
                           "return (state, y) with y a single array")
    if not stateful:
        return Probe(tuple(y.shape), None, ())
    leaves, state_def = jax.tree_util.tree_flatten(state)
    new_leaves = jax.tree_util.tree_leaves(new)
    before = [(tuple(s.shape), s.dtype.name) for s in leaves]
    after = [(tuple(s.shape), s.dtype.name) for s in new_leaves]
    if before != after:
        raise ShapeProblem(f"layer {name}'s call returns a state of (shape, dtype) {after}, but init_state "
                           f"gives {before}", "return a new state with the structure, shapes and dtypes of "
                           "the old one (SNNAX: a list of arrays whose last element is the output)")
    return Probe(tuple(y.shape), state_def, tuple(leaves))


# ---------------------------------------------------------------------- the node kind
def _to_module(value: Any) -> Any:
    if isinstance(value, dict):
        return decode_layer(value)
    if not isinstance(value, eqx.Module) or not callable(value):
        raise ValueError(f"expected an equinox Module with init_state and __call__ (help(snnir.Custom)), "
                         f"got {type(value).__name__}")
    return value


def _serialise_module(module: Any) -> dict:
    return encode_layer(module)


_MODULE_SCHEMA = {
    "type": "object",
    "description": "a registered layer: its registered name and its fields (arrays as array objects, "
                   "JSON values, {'list': [...]} for lists, nested layers)",
    "properties": {"layer": {"type": "string"}, "fields": {"type": "object"}},
    "required": ["layer", "fields"],
    "additionalProperties": False,
}

Module = Annotated[Any, BeforeValidator(_to_module), PlainSerializer(_serialise_module, when_used="json"),
                   WithJsonSchema(_MODULE_SCHEMA)]


@register_kind
class Custom(Node):
    """A user-written layer: an Equinox module for one sample, run per sample over the batch axes.

    Stateful (``init_state``, SNNAX's contract): ``(s_t, y_t) = module(s_{t−1}, x_t, key=k_t)`` with
    ``s_{−1} = init_state(shape, key)``. With ``direct_feedthrough=False`` the node emits
    ``y_t = module.output(s_{t−1})`` (or, without such a method, the output of a call on a zero input) before
    it reads x_t. Stateless (no ``init_state``): ``y_t = module(x_t, key=k_t)``.

    The module's array leaves are the program's parameters; ``TrainableArray(requires_grad=False)`` keeps one
    out of ``prog.trainable()``. Saving needs the class registered with ``snnir.register_layer``.
    """

    kind: Literal["Custom"] = "Custom"
    module: Module = Field(description="the layer: an equinox Module following the stateful-layer contract")
    shape: Shape | None = Field(default=None, description="per-sample input shape (optional; inferred from "
                                "the input edges, checked against them when given)")
    direct_feedthrough: bool = Field(default=True, description="whether the output at step t depends on the "
                                     "input at step t; False: the output comes from the state alone")
    stochastic: bool = Field(default=True, description="whether the module may draw random numbers: it then "
                             "always runs inside the time loop (a stateless module with False may run once "
                             "over all steps)")

    _probes: dict = PrivateAttr(default_factory=dict)

    #: fields holding live Python objects: a program's kernels own them and give them back in to_graph
    OBJECT_FIELDS: ClassVar[tuple[str, ...]] = ("module",)

    # these depend on the module, so they are properties rather than class constants
    @property
    def STATEFUL(self) -> bool:  # type: ignore[override]
        return self.holds_state()

    @property
    def STOCHASTIC(self) -> bool:  # type: ignore[override]
        return self.stochastic

    def holds_state(self) -> bool:
        """A module with ``init_state`` holds state, unless a declared ``shape`` shows it returns none."""
        if not is_stateful_layer(self.module):
            return False
        if self.shape is not None:
            try:
                return bool(self.probe(tuple(self.shape)).state)
            except ShapeProblem:
                return True
        return True

    def feedthrough(self, port: str = "out") -> bool:
        return self.direct_feedthrough

    def probe(self, in_shape: tuple[int, ...]) -> Probe:
        """The module's shapes for ``in_shape`` (cached per node)."""
        in_shape = tuple(in_shape)
        found = self._probes.get(in_shape)
        if found is None:
            try:
                found = probe(self.module, in_shape)
            except ShapeProblem as problem:
                found = problem
            self._probes[in_shape] = found
        if isinstance(found, ShapeProblem):
            raise ShapeProblem(f"Custom {self.id!r}: {found.message}", found.hint)
        return found

    def infer_shapes(self, inputs):
        shape = inputs.get("in")
        if self.shape is not None:
            if shape is not None and tuple(shape) != tuple(self.shape):
                raise ShapeProblem(f"Custom {self.id!r} declares input shape {tuple(self.shape)} but receives "
                                   f"{tuple(shape)}", "fix the declared shape or drop it (it is inferred)")
            shape = self.shape
        if shape is None:
            return {}
        info = self.probe(tuple(shape))
        if not self.direct_feedthrough and not info.state:
            raise ShapeProblem(f"Custom {self.id!r} has direct_feedthrough=False but its module keeps no state",
                               "an output that does not depend on the input needs a state to come from; "
                               "set direct_feedthrough=True")
        return {"out": info.out_shape}

    # ------------------------------------------------------------------ values
    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        for name in type(self).model_fields:
            a, b = getattr(self, name), getattr(other, name)
            if name == "module":
                if not modules_equal(a, b):
                    return False
            elif a != b:
                return False
        return True

    def __hash__(self) -> int:
        return hash((self.kind, self.id, type(self.module).__qualname__, self.shape, self.direct_feedthrough))

    def summary(self) -> str:
        cls = type(self.module)
        parts = [f"layer={layer_name(cls) or cls.__qualname__}"]
        if self.shape is not None:
            parts.append(f"shape={tuple(self.shape)}")
        if not self.direct_feedthrough:
            parts.append("direct_feedthrough=False")
        if not self.stochastic:
            parts.append("stochastic=False")
        count = sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(self.module)
                    if eqx.is_inexact_array(leaf))
        parts.append(f"params={count}")
        return " ".join(parts)
