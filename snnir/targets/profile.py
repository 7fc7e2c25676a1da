"""Target profiles: what a neuromorphic chip can hold, as data.

A :class:`TargetProfile` lists a chip's published limits (cores, neurons and synapse memory per core,
fan-in and fan-out, the neuron kinds it runs and their fixed-point formats, weight bits, delays,
recurrence, convolutions, input and output channels) with the public document each number comes from
(``sources``) and a note for every number that is approximate (``approximate``). The bundled profiles are
JSON files in ``snnir/targets/profiles/``, loaded by name; a profile of your own is a JSON file of the
same schema, loaded by path.

Number formats (:class:`NumberFormat`) say how many bits a value has on the chip and whether it is
signed; weights, neuron state variables and neuron parameters are described this way, keyed by snnir's
own names (``v``, ``i``, ``threshold``, ``decay``, ...), so that a quantization step can look up the
format of every value it rounds.
"""

from __future__ import annotations

import json
import pathlib
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic._internal._model_construction import ModelMetaclass

from ..diagnostics import did_you_mean
from ..errors import SnnirError

#: the largest profile file read (a profile is a few KiB of JSON; anything bigger is not one)
MAX_PROFILE_BYTES = 256 * 1024
#: how deeply a profile file's JSON may nest (the schema needs 4 levels)
MAX_PROFILE_DEPTH = 16
_PROFILES = "profiles"
_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


class UnknownTargetError(SnnirError, ValueError):
    """A target name that no bundled profile has (and that is not a path to a profile file)."""


class TargetProfileError(SnnirError, ValueError):
    """A profile file is missing, too large, not JSON, or does not follow the profile schema. ``.path``
    names the file."""

    def __init__(self, path: Any, message: str, hint: str):
        self.path = str(path)
        super().__init__(f"target profile {self.path}: {message}\n  hint: {hint}")


class _ProfileMeta(ModelMetaclass):
    """Turns pydantic's ValidationError, raised when a profile is built in code, into a
    :class:`TargetProfileError` naming the profile, the fields and the fix."""

    def __call__(cls, *args: Any, **data: Any) -> Any:
        try:
            return super().__call__(*args, **data)
        except ValidationError as err:
            message, hint = _schema_problems(err, cls)
            raise TargetProfileError(f"<{cls.__name__} {data.get('name', '?')!r}>", message, hint) from None


class _Strict(BaseModel, metaclass=_ProfileMeta):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NumberFormat(_Strict):
    """A fixed-point number on the chip: ``bits`` in all (sign included), ``signed`` or not.

    ``frac_bits`` (when known) is how many of the bits are fraction; ``note`` says anything else (e.g.
    that a decay is a bit shift)."""

    bits: int = Field(ge=1, le=64)
    signed: bool = True
    frac_bits: int | None = Field(default=None, ge=0, le=64)
    note: str = ""

    def range(self) -> tuple[int, int]:
        """The smallest and largest integer the format holds."""
        if self.signed:
            return -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        return 0, 2**self.bits - 1


class NeuronFormat(_Strict):
    """How the chip runs one snnir neuron kind: the formats of its state variables (by snnir's state
    names: ``v`` membrane, ``i`` synaptic current, ...) and parameters (``threshold``, ``decay``,
    ``bias``, ...), and the reset modes it supports (None: any)."""

    state: dict[str, NumberFormat] = Field(default_factory=dict)
    params: dict[str, NumberFormat] = Field(default_factory=dict)
    resets: tuple[str, ...] | None = None
    note: str = ""


class ConvSupport(_Strict):
    """The convolutions a chip runs; None for a limit the documentation does not give."""

    dims: tuple[int, ...] = (2,)
    max_kernel: int | None = Field(default=None, ge=1)
    strides: tuple[int, ...] | None = None
    max_padding: int | None = Field(default=None, ge=0)
    max_channels: int | None = Field(default=None, ge=1)
    max_input_size: tuple[int, ...] | None = None
    max_output_size: tuple[int, ...] | None = None
    groups: bool = False


class TargetProfile(_Strict):
    """A chip's limits. ``None`` for a limit means none is known or documented (it is not checked).

    Capacity: ``cores`` cores holding ``neurons_per_core`` neurons and ``synapses_per_core`` stored
    weights each (one number for identical cores, or a list with one entry per core). ``placement``
    says how layers go onto cores: ``"pack"`` (neurons of several layers may share a core), ``"slice"``
    (each core holds neurons of one layer only), ``"layer"`` (each layer takes exactly one whole core;
    a layer larger than a core does not fit). ``readout_neurons``: on chips with a separate readout
    population (Xylo), the neurons that feed an Output live there, not on the cores.

    Connectivity: ``max_fan_in`` / ``max_fan_out`` synapses into / out of one neuron;
    ``max_destinations`` layers one layer may send to; ``max_delay`` the longest delay in steps (0:
    delays are not supported); ``recurrence`` whether cycles are allowed; ``max_inputs`` /
    ``max_outputs`` the input and output channels (values per step in all Inputs / Outputs).

    Formats: ``neurons`` maps each supported snnir neuron kind to its :class:`NeuronFormat`; ``layers``
    lists the other kinds the chip runs (synapse and structural layers); ``weights`` is the weight
    format (None: floating point); ``spike_bits`` is 1 for binary spikes, more for graded spikes.
    """

    name: str = Field(pattern=_NAME_PATTERN)
    title: str
    source: str
    sources: dict[str, str] = Field(default_factory=dict)
    approximate: dict[str, str] = Field(default_factory=dict)
    cores: int = Field(ge=1)
    neurons_per_core: int | tuple[int, ...]
    synapses_per_core: int | tuple[int, ...] | None = None
    placement: Literal["pack", "slice", "layer"] = "pack"
    readout_neurons: int | None = Field(default=None, ge=1)
    max_fan_in: int | None = Field(default=None, ge=1)
    max_fan_out: int | None = Field(default=None, ge=1)
    max_destinations: int | None = Field(default=None, ge=1)
    max_delay: int = Field(default=0, ge=0)
    recurrence: bool = True
    max_time_steps: int | None = Field(default=None, ge=1)
    max_inputs: int | None = Field(default=None, ge=1)
    max_outputs: int | None = Field(default=None, ge=1)
    neurons: dict[str, NeuronFormat]
    layers: tuple[str, ...] = ()
    conv: ConvSupport | None = None
    weights: NumberFormat | None = None
    spike_bits: int = Field(default=1, ge=1, le=32)
    notes: str = ""

    @model_validator(mode="after")
    def _per_core_lists(self) -> "TargetProfile":
        for name in ("neurons_per_core", "synapses_per_core"):
            value = getattr(self, name)
            if isinstance(value, tuple):
                if len(value) != self.cores:
                    raise ValueError(f"{name} lists {len(value)} cores, but cores is {self.cores}")
                if any(v < 1 for v in value):
                    raise ValueError(f"{name} entries must be at least 1")
            elif value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1")
        unknown = [k for k in self.sources if k not in type(self).model_fields and k not in self.neurons]
        unknown += [k for k in self.approximate if k not in type(self).model_fields and k not in self.neurons]
        if unknown:
            raise ValueError(f"sources/approximate name fields the profile does not have: {sorted(set(unknown))}")
        return self

    # ------------------------------------------------------------------ capacity, per core
    def core_neurons(self) -> tuple[int, ...]:
        """The neuron capacity of every core."""
        v = self.neurons_per_core
        return v if isinstance(v, tuple) else (v,) * self.cores

    def core_synapses(self) -> tuple[int | None, ...]:
        """The synapse (stored weight) capacity of every core; None where not limited."""
        v = self.synapses_per_core
        return v if isinstance(v, tuple) else (v,) * self.cores

    def total_neurons(self) -> int:
        """Neurons the cores hold in all (the readout population not included)."""
        return sum(self.core_neurons())

    def is_integer(self) -> bool:
        """Whether the chip stores weights as integers (a float weight needs quantizing)."""
        return self.weights is not None

    def __str__(self) -> str:
        return f"{self.name} ({self.title})"


# ---------------------------------------------------------------------- loading
def profile_names() -> tuple[str, ...]:
    """The names of the bundled profiles, sorted."""
    folder = resources.files(__package__).joinpath(_PROFILES)
    return tuple(sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json")))


def load_profile(target: "str | pathlib.Path | TargetProfile") -> TargetProfile:
    """A :class:`TargetProfile` from a bundled name (``"xylo"``), a path to a JSON profile file, or a
    profile (returned as is).

    A string is read as a path when it names an existing file, ends in ``.json`` or contains a path
    separator; otherwise as a bundled name. Raises :class:`UnknownTargetError` for an unknown name
    (naming the closest ones) and :class:`TargetProfileError` for a file that cannot be read or does not
    follow the schema."""
    if isinstance(target, TargetProfile):
        return target
    if isinstance(target, pathlib.Path):
        return _read_file(target)
    if not isinstance(target, str):
        raise UnknownTargetError(
            f"target must be a profile name, a path to a profile file or a TargetProfile, got "
            f"{type(target).__name__}\n  hint: bundled profiles: {', '.join(profile_names())}")
    path = pathlib.Path(target)
    if target.endswith(".json") or "/" in target or "\\" in target or path.is_file():
        return _read_file(path)
    names = profile_names()
    if target not in names:
        guess = did_you_mean(target, names)
        raise UnknownTargetError(
            f"unknown target {target!r}" + (f"; {guess}" if guess else "")
            + f"\n  hint: bundled profiles are {', '.join(names)}; or give the path of a JSON profile file")
    text = resources.files(__package__).joinpath(_PROFILES, f"{target}.json").read_text(encoding="utf-8")
    return _parse(text, f"<bundled {target}>")


def _read_file(path: pathlib.Path) -> TargetProfile:
    if not path.exists():
        raise TargetProfileError(path, "no such file", "give the path of a JSON target profile, or a bundled "
                                 f"name ({', '.join(profile_names())})")
    if not path.is_file():
        raise TargetProfileError(path, "is not a file", "give the path of a JSON target profile")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_PROFILE_BYTES + 1)
    except OSError as err:
        raise TargetProfileError(path, f"cannot be read ({err.strerror or err})",
                                 "check the path and its permissions") from None
    if len(data) > MAX_PROFILE_BYTES:
        raise TargetProfileError(path, f"is over {MAX_PROFILE_BYTES // 1024} KiB, too large for a target profile",
                                 "a profile is a small JSON object; check that this is the right file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TargetProfileError(path, "is not UTF-8 text", "a profile is a JSON file") from None
    return _parse(text, path)


def _no_constants(name: str):
    raise ValueError(f"{name} is not a number a profile can hold")


def _parse(text: str, where: Any) -> TargetProfile:
    try:
        raw = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError) as err:
        raise TargetProfileError(where, f"is not valid JSON ({err})",
                                 "fix the JSON (snnir.targets.TargetProfile documents the fields)") from None
    if not isinstance(raw, dict):
        raise TargetProfileError(where, f"holds a JSON {type(raw).__name__}, not an object",
                                 "a profile is one JSON object with the fields of snnir.targets.TargetProfile")
    if _depth(raw) > MAX_PROFILE_DEPTH:
        raise TargetProfileError(where, f"nests deeper than {MAX_PROFILE_DEPTH} levels",
                                 "a profile nests at most a few levels; check that this is the right file")
    raw.pop("$schema", None)  # editors' schema pointer, not a profile field
    try:
        return TargetProfile.model_validate(raw)
    except ValidationError as err:
        raise TargetProfileError(where, *_schema_problems(err, TargetProfile)) from None


def _schema_problems(err: ValidationError, model) -> tuple[str, str]:
    """(message, hint) for a profile that does not follow the schema: the first problems by field, and
    the field a misspelt name probably meant."""
    problems = []
    for e in err.errors()[:8]:
        at = ".".join(str(p) for p in e["loc"]) or "(the profile)"
        problems.append(f"{at}: {e['msg']}")
    more = f" (and {err.error_count() - 8} more)" if err.error_count() > 8 else ""
    fields = list(model.model_fields)
    unknown = [str(e["loc"][0]) for e in err.errors() if e["type"] == "extra_forbidden" and len(e["loc"]) == 1]
    guess = " ".join(g for u in unknown if (g := did_you_mean(u, fields)))
    return ("does not follow the profile schema: " + "; ".join(problems) + more,
            (guess + " " if guess else "") + f"the fields are those of snnir.targets.{model.__name__}: "
            + ", ".join(fields))


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iteratively: a hostile file cannot exhaust the stack)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        v, d = todo.pop()
        deepest = max(deepest, d)
        if d > MAX_PROFILE_DEPTH:
            break
        if isinstance(v, dict):
            todo.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            todo.extend((x, d + 1) for x in v)
    return deepest

