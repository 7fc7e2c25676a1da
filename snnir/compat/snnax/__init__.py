"""SNNAX's names and signatures over snnir.

    from snnir.compat.snnax import snn                       # instead of: from snnax import snn
    from snnir.compat.snnax.functional import superspike_surrogate

    model = snn.Sequential(eqx.nn.Linear(16, 32, key=k), snn.LIF([0.9, 0.8]), eqx.nn.Linear(32, 4, key=k2),
                           snn.SimpleLI([0.95]))
    states = model.init_state((16,), key)
    states, outs = model(states, xs, key)                    # xs [T, 16] for one sample; vmap for batches
    model.graph                                               # the snnir IR

The package mirrors SNNAX's tree (``snn``, ``snn.architecture``, ``snn.composed``, ``snn.layers.*``,
``functional.surrogate``, ``utils.filter``, ``utils.tree``), so porting is an import change. The default
forward function runs SNNAX's real timing (every edge between layers one step late);
``forward_fn=snn.straight_forward_fn`` opts into the same-step reading of SNNAX's docs. See docs/compat.md.
"""

from . import functional, snn, utils
from .functional import piecewise_surrogate, sigmoid_surrogate, superspike_surrogate
from .pieces import SnnaxCompatError
from .snn import *  # noqa: F401,F403  (the snn names at the top level too)
from .snn import __all__ as _snn_all

__all__ = ["snn", "functional", "utils", "superspike_surrogate", "piecewise_surrogate", "sigmoid_surrogate",
           "SnnaxCompatError", *_snn_all]
