"""Front ends that speak other SNN libraries' names and calling conventions and build snnir graphs.

``snnir.compat.spyx``: Spyx 1.0's API on Flax NNX (``spyx.nn`` layers, ``Sequential``, ``run``, ``axn``,
``fn``, ``data``): a Spyx program runs with only its imports changed.
``snnir.compat.snnax``: SNNAX's layers, composites and ``StatefulModel``.
Each front end is a thin layer over the IR: every object exposes the snnir nodes it stands for.
"""
