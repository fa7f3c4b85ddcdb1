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
    # a network as a spin system
    "metropolis": "engine.montecarlo",
    "heat_bath": "engine.montecarlo",
    "parallel_tempering": "engine.montecarlo",
    "quench": "engine.montecarlo",
    "anneal": "engine.montecarlo",
    "geometric_ladder": "engine.montecarlo",
    "tune_ladder": "engine.montecarlo",
    "thermal_averages": "engine.montecarlo",
    "TemperingResult": "engine.montecarlo",
    "wang_landau": "engine.wang_landau",
    "DensityOfStates": "engine.thermo",
    "exact_density_of_states": "engine.exact",
    "exact_energies": "engine.exact",
    "exact_thermodynamics": "engine.exact",
    "thermodynamics": "engine.thermo",
    "Thermodynamics": "engine.thermo",
    "critical_temperature": "engine.thermo",
    "specific_heat_peak": "engine.thermo",
    "microcanonical": "engine.thermo",
    "normalised_specific_heat": "engine.thermo",
    "network_alpha": "engine.spectral",
    "fingerprint": "engine.fingerprint",
    "Fingerprint": "engine.fingerprint",
    "replica_overlaps": "engine.replicas",
    "overlaps_from_samples": "engine.replicas",
    "exact_overlaps": "engine.replicas",
    "ReplicaResult": "engine.replicas",
    # the thermal deep learning machine
    "MachineConfig": "engine.thermal_machine",
    "MachineResult": "engine.thermal_machine",
    "Job": "engine.sweep",
    "make_grid": "engine.sweep",
    "run_sweep": "engine.sweep",
    "load_results": "engine.sweep",
    # theory across depth
    "nngp_covariance": "engine.nngp",
    "fixed_point": "engine.signal_propagation",
    "critical_weight_variance": "engine.signal_propagation",
    "phase_diagram": "engine.signal_propagation",
    "depth_flow": "engine.signal_propagation",
    "simulate_propagation": "engine.signal_propagation",
    "decimate": "engine.renormalisation",
    "nngp_kernel": "engine.input_hamiltonian",
    "TabulatedCovariance": "engine.input_hamiltonian",
    "verdict_table": "engine.input_hamiltonian",
    # textbook models
    "HopfieldNetwork": "engine.hopfield",
    "capacity_curve": "engine.hopfield",
    "ags_phase_diagram": "engine.hopfield",
    "RBM": "engine.boltzmann",
    "train_rbm": "engine.boltzmann",
    "interpolate": "engine.landscape",
    "loss_surface": "engine.landscape",
    "hessian_spectrum": "engine.landscape",
    "hessian_surface": "engine.landscape",
    "hutchinson_trace": "engine.landscape",
    "sharpness": "engine.landscape",
    "zoo_sharpness": "engine.landscape",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
