"""The two NIR errors and the ``dt`` check both directions share."""

from __future__ import annotations

import math
from typing import Any

from ...errors import SnnirError
from ..files import ModelFileError


class NIRConversionError(SnnirError, ValueError):
    """A NIR graph snnir cannot import, or a snnir graph NIR cannot express; names the node and the option."""

    def __init__(self, where: str, message: str, hint: str = ""):
        self.where = where
        super().__init__(f"{where}: {message}" + (f"\n  hint: {hint}" if hint else ""))


class NIRFileError(NIRConversionError, ModelFileError):
    """A NIR file whose graph cannot be imported: names the file and the node (both error families match)."""

    def __init__(self, path: Any, message: str):
        self.path = str(path)
        self.where = self.path
        SnnirError.__init__(self, f"{self.path}: {message}")


def node_error(nid: str, message: str, hint: str = "") -> NIRConversionError:
    """The error for one NIR node, by its name (``node 'lif': ...``)."""
    return NIRConversionError(f"node {nid!r}", message, hint)


def check_dt(dt: Any, where: str) -> float:
    """``dt`` in seconds as a positive finite float: NIR records no time step, so it is never defaulted."""
    if dt is None:
        raise NIRConversionError(where, "dt is required: NIR graphs are continuous-time and do not record a step",
                                 "pass dt in seconds, e.g. dt=1e-4 for snnTorch exports, 1e-3 for Norse")
    try:
        value = float(dt)
    except (TypeError, ValueError):
        raise NIRConversionError(where, f"dt must be a number of seconds, got {dt!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise NIRConversionError(where, f"dt must be a positive finite number of seconds, got {dt!r}")
    return value
