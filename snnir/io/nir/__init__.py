"""NIR interop: import NIR graphs into snnir (``from_nir``) and export snnir graphs to NIR (``to_nir``).

NIR (the Neuromorphic Intermediate Representation, package ``nir``) describes neurons as
continuous-time ODEs without a time step, so both directions take an explicit ``dt`` (seconds) and
import takes a ``discretization``. With β the membrane decay per step:

    LIF   τ·dv/dt = (v_leak − v) + R·I         euler: β = 1 − dt/τ     exact: β = exp(−dt/τ)
          snnir:  u = β·v + (1 − β)·R·x + (1 − β)·v_leak        (input held constant over the step)
    IF    dv/dt = R·I                          snnir:  u = v + dt·R·x

A neuron spiking from the membrane before its update (``spike_from="pre"``, reset before the leak) is
its NIR neuron followed by a NIR Delay of one step, exactly (table.as_pre_spike).

The package, one job per file:

    hdf5.py    NIR's wire form as plain trees (files read with h5py, never ``nir.read``)
    table.py   the node-by-node table: one entry per NIR primitive, read and write side by side
    params.py  parameter conversion the entries share (decays, gains, broadcasting, defaults)
    notes.py   snnir's metadata notes, applied only where they change no number
    read.py    ``from_nir``: flatten, contract wires, fold Delays, convert, break each cycle once
    write.py   ``to_nir``/``write_nir``: plain cycles, declared delays as Delay nodes, fold helpers

docs/nir.md has the full table, the recurrence rule and what is refused.
"""

from .errors import NIRConversionError, NIRFileError
from .hdf5 import HDF5_MAGIC, read_nir_file
from .params import DISCRETIZATIONS, NIRDefaultWarning
from .read import from_nir
from .table import IMPORTED, TABLE
from .write import to_nir, write_nir

__all__ = ["from_nir", "to_nir", "write_nir", "read_nir_file", "NIRConversionError", "NIRFileError",
           "NIRDefaultWarning", "DISCRETIZATIONS", "HDF5_MAGIC", "IMPORTED", "TABLE"]
