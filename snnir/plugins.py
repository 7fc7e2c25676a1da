"""User code the command line runs before it reads a model: ``snnir --import layers.py run model.snnir``.

A model file with custom layers names each layer's class, and loading looks the name up among the classes
given to ``snnir.register_layer``; a file never makes snnir import anything. On the command line the code
that defines and registers those classes is named explicitly with ``--import``: a path to a ``.py`` file
(run as a module named after the file, with its folder on ``sys.path`` so it can import its neighbours) or
a dotted module name (found from the current folder, as ``python -m`` does, then from ``sys.path``).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from pathlib import Path

from .errors import SnnirError


class PluginImportError(SnnirError, ValueError):
    """An ``--import`` target could not be found or raised while it ran."""


def import_plugin(target: str) -> types.ModuleType:
    """Run ``target`` (a ``.py`` path or a dotted module name) once and return its module.

    Importing the same file again returns the module already loaded, so its classes keep their identity.
    """
    if target.endswith(".py") or os.sep in target or "/" in target:
        return _import_file(Path(target))
    return _import_module(target)


def _import_file(path: Path) -> types.ModuleType:
    path = path.expanduser().resolve()
    if not path.is_file():
        raise PluginImportError(f"--import {str(path)!r}: no such file"
                                "\n  hint: give the path of the .py file that defines and registers the layers")
    name = path.stem
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__file__", None) and Path(loaded.__file__).resolve() == path:
        return loaded
    if not name.isidentifier():
        raise PluginImportError(f"--import {str(path)!r}: {name!r} is not a valid module name"
                                "\n  hint: rename the file to letters, digits and underscores")
    if name in sys.modules:
        raise PluginImportError(f"--import {str(path)!r}: a different module named {name!r} is already loaded"
                                f" ({getattr(sys.modules[name], '__file__', 'built in')})"
                                "\n  hint: rename the file")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover  (a .py file always has a loader)
        raise PluginImportError(f"--import {str(path)!r}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[name] = module  # before running it, as a normal import does (dataclasses look it up)
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        del sys.modules[name]
        raise PluginImportError(f"--import {str(path)!r} raised {type(err).__name__}: {err}"
                                "\n  hint: run the file with python to see the traceback") from err
    return module


def _import_module(name: str) -> types.ModuleType:
    if not all(part.isidentifier() for part in name.split(".")):
        raise PluginImportError(f"--import {name!r} is neither a .py file nor a dotted module name")
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name is not None and (name == err.name or name.startswith(err.name + ".")):  # not one of its imports
            raise PluginImportError(f"--import {name!r}: no module of that name in {cwd} or on sys.path"
                                    "\n  hint: give a path to the .py file, or run from its folder") from err
        raise PluginImportError(f"--import {name!r} raised ModuleNotFoundError: {err}") from err
    except Exception as err:
        raise PluginImportError(f"--import {name!r} raised {type(err).__name__}: {err}"
                                "\n  hint: run `python -c 'import " + name + "'` to see the traceback") from err
