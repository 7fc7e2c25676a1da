"""Front ends that speak other SNN libraries' names and calling conventions and build snnir graphs.

``snnir.compat.spyx``: Spyx's neurons (``LIF(hidden_shape, beta=None, ...)``, ``initial_state(batch)``,
``n(x, state) -> (out, state)``) and its surrogates (``snnir.compat.spyx.axn``).
``snnir.compat.snnax``: SNNAX's layers, composites and ``StatefulModel``.
Each front end is a thin layer over the IR: every object exposes the snnir nodes it stands for.
"""
