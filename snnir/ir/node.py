"""The node base class and the registry of node kinds.

A node kind is one pydantic class with a ``kind`` literal. It declares its array parameters, which of
them train by default, its ports, whether each output port has direct feedthrough (its value at step t
depends on the input at step t), and how its output shape follows from its input shapes. Registering a
kind makes it part of the discriminated union that ``Graph`` and model files accept.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Iterator, Mapping

import numpy as np
from pydantic import (BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator,
                      model_serializer, model_validator)
from pydantic._internal._model_construction import ModelMetaclass

from ..diagnostics import did_you_mean
from ..errors import InvalidArgumentsError, InvalidIRError, UnknownKindError
from .arrays import arrays_equal, describe
from .quant import Quantization

# Ids are plain names; "/" joins the ids of expanded composites (block/inner); ":" and "@" are reserved
# for state and trace keys, so they never collide with node ids.
ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*$"
NodeId = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=256)]
PortName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
Shape = tuple[Annotated[int, Field(ge=1)], ...]


class ShapeProblem(Exception):
    """Raised by ``infer_shapes`` when the input shapes do not fit the node; verify turns it into a
    diagnostic naming the node."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message = message
        self.hint = hint


class FriendlyModelMeta(ModelMetaclass):
    """Turns pydantic's ValidationError, raised when a user constructs an IR object, into an
    :class:`InvalidIRError` naming the object. Nested validation inside pydantic does not pass through
    here, so a graph reports all its nodes' problems at once, by node id."""

    def __call__(cls, *args: Any, **data: Any) -> Any:
        positional = getattr(cls, "_POSITIONAL", ())
        if len(args) > len(positional):
            raise InvalidArgumentsError(f"{cls.__name__} takes keyword arguments" + (
                f" (or {', '.join(positional)} positionally)" if positional else ""))
        data.update(zip(positional, args))
        try:
            return super().__call__(**data)
        except ValidationError as err:
            raise cls._construction_error(err, data) from None

    def _construction_error(cls, err: ValidationError, data: dict) -> InvalidIRError:
        return invalid_ir_error(err, what=f"node {data.get('id', '?')!r} ({cls.__name__})", model=cls)


class Node(BaseModel, metaclass=FriendlyModelMeta):
    """Base of every node kind. Subclasses set ``kind: Literal[...]`` and the class variables below."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True, validate_default=True)

    id: NodeId
    trainable: tuple[str, ...] | None = Field(
        default=None,
        description="names of the array parameters that train; None takes the kind's default",
    )
    quant: dict[str, Quantization] | None = Field(
        default=None,
        description="parameter (or neuron state) name -> its integer format; see snnir.Quantization",
    )

    #: float array parameters of this kind (fields typed FloatArray), in printing order
    PARAMS: ClassVar[tuple[str, ...]] = ()
    #: integer array parameters (fields typed IntArray), never trained
    INT_PARAMS: ClassVar[tuple[str, ...]] = ()
    #: the float parameters that train unless ``trainable`` says otherwise
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ()
    INPUT_PORTS: ClassVar[tuple[str, ...]] = ("in",)
    OUTPUT_PORTS: ClassVar[tuple[str, ...]] = ("out",)
    #: whether the node carries state from step to step
    STATEFUL: ClassVar[bool] = False
    #: a sink whose output nobody needs to read (e.g. a spike counter): unused-output is not reported
    SINK: ClassVar[bool] = False
    #: draws random numbers every step (needs the key given to the program call)
    STOCHASTIC: ClassVar[bool] = False

    # ------------------------------------------------------------------ trainable flags
    @field_validator("trainable", mode="before")
    @classmethod
    def _accept_mapping(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            unknown = set(value) - set(cls.float_params())
            if unknown:
                raise ValueError(f"unknown parameter(s) {sorted(unknown)}; float parameters are {list(cls.float_params())}")
            chosen = {p: p in cls.TRAINABLE_BY_DEFAULT for p in cls.float_params()}
            chosen.update({k: bool(v) for k, v in value.items()})
            return tuple(p for p in cls.float_params() if chosen[p])
        if isinstance(value, str):
            return (value,)
        return value

    @model_validator(mode="after")
    def _normalise_trainable(self) -> "Node":
        names = self.TRAINABLE_BY_DEFAULT if self.trainable is None else self.trainable
        unknown = [n for n in names if n not in self.float_params()]
        if unknown:
            raise ValueError(f"trainable names {unknown} are not float parameters of {self.kind}; "
                             f"choose from {list(self.float_params())}")
        present = tuple(n for n in self.float_params() if n in names and getattr(self, n) is not None)
        object.__setattr__(self, "trainable", present)
        return self

    @field_validator("quant", mode="after")
    @classmethod
    def _empty_quant_is_none(cls, value: Any) -> Any:
        return value or None  # {} and None mean the same: nothing is quantized

    @model_serializer(mode="wrap")
    def _omit_empty_quant(self, handler):
        # A node without quantization is written exactly as before the field existed, so files of
        # unquantized graphs stay readable by every snnir that reads schema 3 (docs/files.md).
        data = handler(self)
        if isinstance(data, dict) and data.get("quant", 0) is None:
            data.pop("quant")
        return data

    @classmethod
    def float_params(cls) -> tuple[str, ...]:
        return cls.PARAMS

    @classmethod
    def array_fields(cls) -> tuple[str, ...]:
        return cls.PARAMS + cls.INT_PARAMS

    # ------------------------------------------------------------------ semantics hooks
    def feedthrough(self, port: str = "out") -> bool:
        """Whether the value on ``port`` at step t depends on the input at step t."""
        return True

    def holds_state(self) -> bool:
        """Whether this node keeps a value from one step to the next (a cycle through it is a recurrence,
        not an algebraic loop)."""
        return self.STATEFUL

    def infer_shapes(self, inputs: Mapping[str, tuple[int, ...] | None]) -> dict[str, tuple[int, ...]]:
        """Output shape per port from the input shape per port (None where not yet known).

        Raises :class:`ShapeProblem` when the inputs cannot fit. May return fewer ports when the inputs
        are not yet known (shape inference iterates to a fixed point)."""
        raise NotImplementedError

    def check(self, inputs: Mapping[str, tuple[int, ...] | None]) -> list[tuple[str, str]]:
        """Problems with this node's own parameters given its input shapes, as (message, hint) pairs."""
        return []

    # ------------------------------------------------------------------ values
    def params(self) -> dict[str, np.ndarray]:
        """The array parameters that are set (None ones omitted)."""
        return {p: getattr(self, p) for p in self.array_fields() if getattr(self, p) is not None}

    def parameter_count(self) -> int:
        """How many numbers this node's float parameters hold, the float array leaves of the live objects
        it holds (a ``Custom`` layer's module, ``OBJECT_FIELDS``) included."""
        total = sum(int(v.size) for p, v in self.params().items() if p in self.float_params())
        for name in getattr(self, "OBJECT_FIELDS", ()):
            total += _float_leaf_count(getattr(self, name))
        return total

    def options(self) -> dict[str, Any]:
        """Every field except id, kind, trainable, quant and the array parameters."""
        skip = {"id", "kind", "trainable", "quant", *self.array_fields()}
        return {k: getattr(self, k) for k in type(self).model_fields if k not in skip}

    def replace(self, **changes: Any) -> "Node":
        """A new node with ``changes`` applied, validated again."""
        data = {k: getattr(self, k) for k in type(self).model_fields}
        data.update(changes)
        return type(self)(**data)

    def summary(self) -> str:
        """The attribute part of this node's printed line: options that differ from their defaults, then
        the array parameters (scalars by value, arrays by dtype and shape)."""
        parts = []
        for name, value in self.options().items():
            field = type(self).model_fields[name]
            if not field.is_required() and value == field.get_default(call_default_factory=True):
                continue
            parts.append(f"{name}={_fmt(value)}")
        quant = self.quant or {}
        for name, value in self.params().items():
            parts.append(f"{name}={describe(value)}" + (f" {quant[name].label()}" if name in quant else ""))
        for name, q in quant.items():  # state formats, and entries naming no set parameter
            if name not in self.params():
                parts.append(f"{name}:{q.label()}")
        trainable = self.trainable or ()
        frozen = [p for p in self.TRAINABLE_BY_DEFAULT if p not in trainable and getattr(self, p) is not None]
        extra = [p for p in trainable if p not in self.TRAINABLE_BY_DEFAULT]
        if frozen:
            parts.append(f"frozen={','.join(frozen)}")
        if extra:
            parts.append(f"trains={','.join(extra)}")
        return " ".join(parts)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        for name in type(self).model_fields:
            a, b = getattr(self, name), getattr(other, name)
            if name in self.array_fields():
                if not arrays_equal(a, b):
                    return False
            elif a != b:
                return False
        return True

    def __hash__(self) -> int:
        arrays = tuple((p, a.dtype.name, a.shape, a.tobytes()) for p, a in self.params().items())
        quant = tuple(sorted((self.quant or {}).items()))
        return hash((type(self).__name__, self.id, repr(sorted(self.options().items())), arrays, repr(quant)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}{' ' + self.summary() if self.summary() else ''})"

    __str__ = __repr__


def _float_leaf_count(tree: Any) -> int:
    """Elements of the floating-point array leaves of a pytree (an Equinox module's parameters)."""
    import jax  # only a node holding a live module needs it

    return sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(tree)
               if hasattr(leaf, "shape") and np.issubdtype(np.dtype(getattr(leaf, "dtype", object)), np.inexact))


def _fmt(value: Any) -> str:
    if isinstance(value, BaseModel):
        return str(value)
    if isinstance(value, tuple):
        return "(" + ",".join(_fmt(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------------- registry
_KINDS: dict[str, type[Node]] = {}
_on_register: list = []


def register_kind(cls: type[Node]) -> type[Node]:
    """Register a node kind (usable as a class decorator). Its ``kind`` literal must be new."""
    kind = cls.model_fields["kind"].default
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"{cls.__name__} needs a field `kind: Literal['Name'] = 'Name'`")
    if kind in _KINDS and _KINDS[kind] is not cls:
        raise ValueError(f"node kind {kind!r} is already registered by {_KINDS[kind].__qualname__}")
    _KINDS[kind] = cls
    for hook in _on_register:
        hook()
    return cls


def node_kinds() -> dict[str, type[Node]]:
    """The registered kinds, kind name -> class, in registration order."""
    return dict(_KINDS)


def kind_class(kind: str) -> type[Node]:
    try:
        return _KINDS[kind]
    except KeyError:
        raise UnknownKindError(
            unknown_kind_message(kind) + "\n"
            "  hint: register custom kinds with snnir.register_kind before building or loading the graph"
        ) from None


def iter_kinds() -> Iterator[type[Node]]:
    return iter(_KINDS.values())


# ---------------------------------------------------------------------- pydantic error conversion
def invalid_ir_error(err: ValidationError, *, what: str, node_ids: list[str] | None = None,
                     model: type[BaseModel] | None = None, edges: Any = None) -> InvalidIRError:
    """Turn a pydantic ValidationError into an InvalidIRError that names nodes by id and edges by their
    ends, not by index, and suggests the field or kind a misspelt name was probably meant to be.

    ``model`` is the class being validated (its fields answer "did you mean"); ``edges`` the raw edge list
    a graph was given (to name a bad edge ``a -> b``)."""
    lines, documented = [], []
    for e in err.errors(include_url=False):
        loc = list(e["loc"])
        owner = _model_at(model, loc[:-1]) if e["type"] == "extra_forbidden" else None
        lines.append(f"  {_describe_loc(loc, node_ids, edges)}: {_error_message(e, owner)}")
        tag = _kind_in(loc)
        cls = _KINDS[tag] if tag is not None else model if model is not None and issubclass(model, Node) else None
        if cls is not None and cls not in documented:
            documented.append(cls)
    return InvalidIRError(f"invalid {what}:\n" + "\n".join(lines) + "\n  hint: " + _fix_hint(documented))


def _error_message(error: dict, owner: type[BaseModel] | None) -> str:
    """pydantic's message, or a shorter one with a close match for an unknown field or node kind."""
    kind = error["type"]
    if kind == "extra_forbidden":
        name = str(error["loc"][-1]) if error["loc"] else "?"
        if owner is None:
            return f"unknown field {name!r}"
        fields = [f for f in owner.model_fields if f != "kind"]
        guess = did_you_mean(name, fields)
        return f"unknown field {name!r}; " + (guess or f"{_label(owner)} takes {', '.join(fields)}")
    if kind == "union_tag_invalid":
        return unknown_kind_message(str(error.get("ctx", {}).get("tag", "?")))
    if kind == "union_tag_not_found":
        return "the node has no 'kind'; name one, e.g. \"kind\": \"LIF\""
    return error["msg"]


def unknown_kind_message(kind: str) -> str:
    """``unknown node kind 'LFI'; did you mean 'LIF'?``, or the registered kinds in a short list."""
    guess = did_you_mean(kind, _KINDS)
    return f"unknown node kind {kind!r}; " + (guess or f"registered kinds: {', '.join(sorted(_KINDS))}")


def _fix_hint(kinds: list[type]) -> str:
    docs = [f"help({_public_name(k)})" for k in kinds[:3]]
    where = f" ({', '.join(docs)} documents each field)" if docs else ""
    return f"revise the fields named above{where}; run 'snnir explain invalid-ir' for the rules"


def _public_name(cls: type) -> str:
    # the built-in kinds are re-exported from snnir; a user's kind is found where it was defined
    return f"snnir.{cls.__name__}" if cls.__module__.startswith("snnir.") else f"{cls.__module__}.{cls.__qualname__}"


def _label(model: type[BaseModel]) -> str:
    kind = model.model_fields.get("kind")
    return kind.default if kind is not None and isinstance(kind.default, str) else model.__name__


def _kind_in(loc: list) -> str | None:
    """The kind tag pydantic put in a location inside a graph's node list."""
    if len(loc) >= 3 and loc[0] == "nodes" and isinstance(loc[1], int) and loc[2] in _KINDS:
        return str(loc[2])
    return None


def _model_at(model: type[BaseModel] | None, loc: list) -> type[BaseModel] | None:
    """The model class whose field the location ``loc`` (a path from ``model``) ends in, or None."""
    for part in loc:
        if isinstance(part, int):  # a position in a tuple
            continue
        fields = model.model_fields if model is not None else {}
        if part not in fields and part in _KINDS:  # the union tag pydantic inserts for a node
            model = _KINDS[part]
        elif part in fields:
            model = _model_class(fields[part].annotation)
        else:
            return None
    return model


def _model_class(annotation: Any) -> type[BaseModel] | None:
    """The one pydantic model inside a field's annotation (``X``, ``X | None``, ``tuple[X, ...]``), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    found = {m for a in getattr(annotation, "__args__", ()) if (m := _model_class(a)) is not None}
    metadata = getattr(annotation, "__metadata__", None)  # Annotated[X, ...]
    if metadata is not None:
        found |= {m for m in [_model_class(getattr(annotation, "__origin__", None))] if m is not None}
    return found.pop() if len(found) == 1 else None


def describe_edge(src: Any, dst: Any, src_port: Any = "out", dst_port: Any = "in", delay: Any = 0,
                  feedback: Any = False) -> str:
    """An edge named by its ends, ``a -> b``, with ports and delay shown when they are not the defaults:
    ``a.v -> cat.in1 (delay=2, feedback)``."""
    text = f"{src}{'' if src_port == 'out' else f'.{src_port}'} -> {dst}{'' if dst_port == 'in' else f'.{dst_port}'}"
    notes = ([f"delay={delay}"] if delay != 0 else []) + (["feedback"] if feedback is True else [])
    return text + (f" ({', '.join(notes)})" if notes else "")


def _raw_edge_name(edge: Any) -> str | None:
    """``describe_edge`` of an edge as a graph was given it: an Edge, a dict or a (src, dst[, delay]) tuple."""
    if isinstance(edge, (list, tuple)) and 2 <= len(edge) <= 3:
        return describe_edge(edge[0], edge[1], delay=edge[2] if len(edge) == 3 else 0)
    fields = ("src", "dst", "src_port", "dst_port", "delay", "feedback")
    defaults = ("?", "?", "out", "in", 0, False)
    if isinstance(edge, dict):
        return describe_edge(*(edge.get(f, d) for f, d in zip(fields, defaults)))
    if hasattr(edge, "src") and hasattr(edge, "dst"):
        return describe_edge(*(getattr(edge, f, d) for f, d in zip(fields, defaults)))
    return None


def _describe_loc(loc: list, node_ids: list[str] | None, edges: Any = None) -> str:
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        ident = node_ids[loc[1]] if node_ids and loc[1] < len(node_ids) else f"#{loc[1]}"
        rest = [str(x) for x in loc[2:]]
        if rest and rest[0] in _KINDS:  # pydantic inserts the union tag
            rest = rest[1:]
        return f"node {ident!r}" + (f" field {'.'.join(rest)}" if rest else "")
    if len(loc) >= 2 and loc[0] == "edges" and isinstance(loc[1], int):
        given = list(edges) if isinstance(edges, (list, tuple)) else []
        name = _raw_edge_name(given[loc[1]]) if loc[1] < len(given) else None
        return f"edge {name or f'#{loc[1]}'}" + (f" field {'.'.join(map(str, loc[2:]))}" if loc[2:] else "")
    return ".".join(map(str, loc)) or "value"
