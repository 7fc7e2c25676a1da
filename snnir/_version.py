"""The package's version, in one place (pyproject.toml reads it; ``snnir --version`` prints it)."""

__version__ = "0.2.0.dev0"
