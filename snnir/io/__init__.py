"""Model files: save and load graphs safely (JSON plus arrays; never pickle, eval or imports)."""

from .files import FORMAT_NAME, LoadLimits, ModelFileError, load, save
from .migrate import MIGRATIONS

__all__ = ["save", "load", "LoadLimits", "ModelFileError", "FORMAT_NAME", "MIGRATIONS"]
