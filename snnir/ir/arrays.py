"""Array parameters in the IR: validated on construction, stored read-only, serialised with their dtype.

A parameter accepts a Python scalar, a (nested) list, a numpy array, a JAX array, or the JSON form
``{"dtype": ..., "shape": [...], "data": [...]}``. Python scalars and lists become float32 (the default
dtype); numpy and JAX arrays keep their floating dtype (float16, bfloat16, float32, float64), so the
parameter dtype is kept end to end.
"""

from __future__ import annotations

from typing import Annotated, Any

import ml_dtypes
import numpy as np
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

DEFAULT_FLOAT = np.dtype(np.float32)
FLOAT_DTYPES: dict[str, np.dtype] = {
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
}
INT_DTYPES: dict[str, np.dtype] = {"int32": np.dtype(np.int32), "int64": np.dtype(np.int64)}


def dtype_name(dtype: Any) -> str:
    return np.dtype(dtype).name


def _from_json_form(value: dict) -> np.ndarray:
    missing = {"dtype", "shape", "data"} - set(value)
    if missing:
        raise ValueError(f"array object lacks {sorted(missing)}; expected keys dtype, shape, data")
    extra = set(value) - {"dtype", "shape", "data"}
    if extra:
        raise ValueError(f"array object has unknown keys {sorted(extra)}")
    name = value["dtype"]
    dtype = FLOAT_DTYPES.get(name) or INT_DTYPES.get(name)
    if dtype is None:
        raise ValueError(f"unsupported dtype {name!r}; use one of {sorted(FLOAT_DTYPES | INT_DTYPES)}")
    shape = tuple(value["shape"])
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ValueError(f"shape {list(shape)} must be a list of non-negative integers")
    try:
        arr = np.asarray(value["data"], dtype=np.float64 if name in FLOAT_DTYPES else np.int64)
    except OverflowError:  # inf or NaN for an integer dtype, an integer beyond int64 or float64
        raise ValueError(f"data holds a value that {name} cannot represent (infinite or too large)") from None
    except TypeError:  # an object or a string among the numbers
        raise ValueError("data must be a number or a nested list of numbers") from None
    if arr.shape != shape:
        raise ValueError(f"data has shape {list(arr.shape)} but the array declares {list(shape)}")
    with np.errstate(over="ignore"):  # out-of-range values become inf, which the finite check refuses
        return arr.astype(dtype)


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, dict):
        return _from_json_form(value)
    if isinstance(value, (bool, np.bool_)):
        raise ValueError("a boolean is not a numeric parameter")
    if isinstance(value, np.ndarray) or hasattr(value, "__array__") and not isinstance(value, (list, tuple)):
        return np.array(value, copy=True)
    try:
        return np.array(value)
    except (ValueError, TypeError) as err:  # ragged lists, objects
        raise ValueError(f"cannot read {type(value).__name__} as a numeric array: {err}") from None


def _freeze(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr, order="C", copy=True)  # a private copy: the caller's array stays writable and unaliased
    arr.setflags(write=False)
    return arr


def to_float_array(value: Any) -> np.ndarray:
    """A read-only floating array; Python numbers and lists become float32, arrays keep their dtype."""
    # Only real arrays (numpy, JAX) and the JSON form carry a dtype worth keeping; Python numbers,
    # lists and numpy scalars take the default float32.
    is_array = isinstance(value, np.ndarray) or (
        hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, np.generic)
    )
    from_python = not (is_array or isinstance(value, dict))
    arr = _to_numpy(value)
    if arr.dtype.name in FLOAT_DTYPES and not from_python:
        pass
    elif arr.dtype.kind in "iuf" or arr.dtype.name in FLOAT_DTYPES:
        with np.errstate(over="ignore"):
            arr = arr.astype(DEFAULT_FLOAT)
    else:
        raise ValueError(f"expected numbers, got an array of dtype {arr.dtype.name}")
    if not np.all(np.isfinite(arr.astype(np.float64))):
        raise ValueError(f"contains NaN or infinity (or values too large for {arr.dtype.name}); parameters must be finite")
    return _freeze(arr)


def to_int_array(value: Any) -> np.ndarray:
    """A read-only int32 array of whole numbers (e.g. per-element delays in steps)."""
    arr = _to_numpy(value)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError("expected whole numbers")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"expected integers, got an array of dtype {arr.dtype.name}")
    if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
        raise ValueError("integer values out of int32 range")
    return _freeze(arr.astype(np.int32))


def array_to_json(arr: np.ndarray) -> dict:
    data = arr.astype(np.float64).tolist() if arr.dtype.name in FLOAT_DTYPES else arr.tolist()
    return {"dtype": arr.dtype.name, "shape": list(arr.shape), "data": data}


_ARRAY_SCHEMA = {
    "anyOf": [
        {"type": "number"},
        {"type": "array"},
        {
            "type": "object",
            "properties": {
                "dtype": {"type": "string"},
                "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                "data": {},
            },
            "required": ["dtype", "shape", "data"],
            "additionalProperties": False,
        },
    ]
}

FloatArray = Annotated[
    np.ndarray,
    BeforeValidator(to_float_array),
    PlainSerializer(array_to_json, when_used="json"),
    WithJsonSchema(_ARRAY_SCHEMA),
]
IntArray = Annotated[
    np.ndarray,
    BeforeValidator(to_int_array),
    PlainSerializer(array_to_json, when_used="json"),
    WithJsonSchema(_ARRAY_SCHEMA),
]


def arrays_equal(a: Any, b: Any) -> bool:
    """Value equality for parameters: same dtype, same shape, same numbers (None equals None)."""
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))


def describe(arr: np.ndarray) -> str:
    """Compact printed form: the value of a scalar, else dtype and shape, e.g. ``f32[64,100]``."""
    if arr.ndim == 0:
        value = float(arr) if arr.dtype.name in FLOAT_DTYPES else int(arr)
        text = f"{value:g}" if isinstance(value, float) else str(value)
        return text if arr.dtype == DEFAULT_FLOAT or arr.dtype.kind == "i" else f"{text}:{_short(arr.dtype)}"
    return f"{_short(arr.dtype)}[{','.join(map(str, arr.shape))}]"


def _short(dtype: np.dtype) -> str:
    return {"float16": "f16", "bfloat16": "bf16", "float32": "f32", "float64": "f64", "int32": "i32"}.get(
        dtype.name, dtype.name
    )
