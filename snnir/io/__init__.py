"""Model files: save and load graphs safely (JSON plus arrays; never pickle, eval or imports); NIR import and export."""

from .files import FORMAT_NAME, LoadLimits, ModelFileError, load, save
from .migrate import MIGRATIONS
from .nir import NIRConversionError, from_nir, read_nir_file, to_nir, write_nir

__all__ = ["save", "load", "LoadLimits", "ModelFileError", "FORMAT_NAME", "MIGRATIONS",
           "from_nir", "to_nir", "write_nir", "read_nir_file", "NIRConversionError"]
