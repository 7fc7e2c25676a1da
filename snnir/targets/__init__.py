"""Hardware targets: chip profiles as data, target checks in ``snnir.verify``, resource estimates and
placement onto cores.

    from snnir import targets
    profile = targets.load_profile("xylo")            # a bundled name, a JSON file's path, or a TargetProfile
    snnir.verify(graph, target="xylo")                # every violation at once, as diagnostics
    print(targets.estimate(graph, "loihi2").table())  # neurons, synapses, cores, memory bits per node
    placement = targets.map_to_target(graph, "loihi2")
    print(placement.report())                         # utilisation per core and in total
    placement.graph.metadata["placement"]             # the placement, as a note in the graph

The bundled profiles (``targets.profile_names()``) record the public document behind every number
(``profile.sources``) and say which numbers are approximate (``profile.approximate``).
"""

from .check import check_target
from .estimate import Estimate, NodeEstimate, estimate
from .mapping import CoreUse, MappingError, Placement, map_to_target
from .profile import (
    ConvSupport,
    NeuronFormat,
    NumberFormat,
    TargetProfile,
    TargetProfileError,
    UnknownTargetError,
    load_profile,
    profile_names,
)
from .resources import Demand, NodeUse, demand

__all__ = [
    "TargetProfile", "NeuronFormat", "NumberFormat", "ConvSupport", "load_profile", "profile_names",
    "TargetProfileError", "UnknownTargetError", "check_target", "estimate", "Estimate", "NodeEstimate",
    "map_to_target", "Placement", "CoreUse", "MappingError", "demand", "Demand", "NodeUse",
]
