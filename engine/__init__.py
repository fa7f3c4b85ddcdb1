"""The science of the lab: NumPy, numba, SciPy and torch; never streamlit or plotly.

Public names are imported lazily (``from engine import Network`` loads only what it
needs; torch is imported only by training and the torch converters), so a page that
does not train starts fast and ``python -m engine --help`` is instant.

Modules, by topic:
  network, data, training, zoo           the MLPs the lab studies (foundation)
  ising, exact, montecarlo, wang_landau,  a network as a spin system (Stosic et al. 2022)
  thermo, spectral, fingerprint
  replicas, thermal_machine, sweep       overlaps; the thermal deep learning machine
  nngp, input_hamiltonian,               a network as a Hamiltonian over inputs;
  signal_propagation, renormalisation    criticality across depth
  hopfield, boltzmann, landscape         the textbook side
  kernels/                               private numba kernels with NumPy references
"""
from __future__ import annotations

import importlib

_PUBLIC = {
    "EngineError": "engine.errors",
    "Progress": "engine.progress",
    "Network": "engine.network",
    "Dataset": "engine.data",
    "load_dataset": "engine.data",
    "DATASETS": "engine.data",
    "train": "engine.training",
    "NetworkSpec": "engine.training",
    "IsingModel": "engine.ising",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
