"""Exact enumeration of small Ising models: all 2^N energies, the density of states, thermodynamics.

The oracle for every sampler's tests (PHYSICS.md section 3): the Gray-code walk of
:mod:`engine.kernels.gray` visits each of the 2^N states once, one spin flip per state, in
O(2^N · degree) time.

* :func:`exact_energies` stores all 2^N energies (8 · 2^N bytes: N <= 26 unless memory allows
  more, never N > 30).
* :func:`exact_density_of_states` only histograms them (any N <= 30; N = 30 takes tens of
  seconds), with the binning rule of :mod:`engine.wang_landau`: the exact levels for integer
  couplings and fields, the same grid as Wang-Landau otherwise, so the two compare bin by bin.
* :func:`exact_thermodynamics` takes canonical averages over the raw energies, without binning
  (over the exact levels for integer models, which is the same thing).
"""
from __future__ import annotations

import os
import time

import numpy as np

from .errors import EngineError, expected
from .kernels.gray import gray_enumerate, neighbour_segments
from .thermo import DensityOfStates, Thermodynamics, _temperatures, canonical, normalise_log_g
from .wang_landau import _check_model, energy_grid, resolve_bins

#: Largest N whose 2^N energies are stored without asking how much memory is free.
MAX_STORED_SPINS = 26
#: Largest N enumerated at all (2^30 ≈ 10^9 states).
MAX_ENUMERATED_SPINS = 30
_MAX_BINS = 4_000_000


def _check_size(model, limit: int, what: str):
    model = _check_model(model)
    if model.n_spins > limit:
        raise expected("model", f"at most {limit} spins for {what} (2^N states)", f"N = {model.n_spins}")
    return model


def _available_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _enumerate(model, *, store: bool, grid=None):
    """Run the Gray-code kernel; returns (energies or None, counts or None, (E_min, E_max))."""
    segs = neighbour_segments(model.indptr, model.indices)
    energies = np.empty(1 << model.n_spins if store else 0)
    counts = np.zeros(grid.n_bins if grid is not None else 0, dtype=np.int64)
    origin = grid.origin if grid is not None else 0.0
    inv = 1.0 / grid.width if grid is not None else 1.0
    extremes = np.zeros(2)
    gray_enumerate(model.n_spins, model.fields, *segs, model.kernel_data, origin, inv, energies, counts, extremes)
    return (energies if store else None), (counts if grid is not None else None), (extremes[0], extremes[1])


def exact_energies(model) -> np.ndarray:
    """All 2^N energies ``E(c)``, float64 (2^N,), indexed by configuration c (``s_i = -1`` where bit i of c is set).

    Refuses N > 30, and N > 26 unless twice the array's 8 · 2^N bytes are free.
    """
    model = _check_size(model, MAX_ENUMERATED_SPINS, "exact energies")
    need = 8 << model.n_spins
    free = _available_bytes()
    if model.n_spins > MAX_STORED_SPINS and (free is None or 2 * need > free):
        raise EngineError(f"`model` must have at most {MAX_STORED_SPINS} spins to store all 2^N energies "
                          f"({need / 2**30:.1f} GiB for N = {model.n_spins}, "
                          f"{'unknown' if free is None else f'{free / 2**30:.1f} GiB'} free); "
                          f"use exact_density_of_states, which does not store them")
    return _enumerate(model, store=True)[0]


def exact_density_of_states(model, *, bin_width=None) -> DensityOfStates:
    """g(E) counted over all 2^N states (N <= 30), on the Wang-Landau binning rule.

    Parameters
    ----------
    model : IsingModel with N <= 30.
    bin_width : None for the default rule (exact levels for integer models); pass a Wang-Landau
        result's ``bin_width`` to compare the two bin by bin.

    Returns
    -------
    DensityOfStates with ``method="exact"``, ``log_g = ln(count)`` (Σ g = 2^N exactly), the exact
    ``e_min`` / ``e_max``, ``converged=True``, ``n_steps = 2^N``.
    """
    model = _check_size(model, MAX_ENUMERATED_SPINS, "exact enumeration")
    t0 = time.perf_counter()
    width, exact_levels, ext = resolve_bins(model, bin_width)
    bound = model.energy_bound()
    grid = energy_grid(model, width, -bound - width, bound + width)
    if grid.n_bins > _MAX_BINS:
        raise expected("bin_width", f"at least {2 * bound / _MAX_BINS:.3g} (at most {_MAX_BINS} bins over "
                       f"±{bound:.3g})", width)
    _, counts, (e_lo, e_hi) = _enumerate(model, store=False, grid=grid)
    nz = np.flatnonzero(counts)
    sl = slice(nz[0], nz[-1] + 1)
    visited = counts[sl] > 0
    with np.errstate(divide="ignore"):
        log_g = np.log(counts[sl].astype(np.float64))
    return DensityOfStates(
        energies=grid.centres()[sl], log_g=normalise_log_g(log_g, visited, model.n_spins), visited=visited,
        n_spins=model.n_spins, bin_width=float(width), e_min=float(e_lo), e_max=float(e_hi), method="exact",
        exact_levels=bool(exact_levels), symmetric=bool(ext.symmetric), converged=True, log_f=0.0,
        n_steps=1 << model.n_spins, seconds=time.perf_counter() - t0, n_windows=1, model_name=model.name,
        info={"counts": counts[sl]})


def exact_thermodynamics(model, temperatures) -> Thermodynamics:
    """U, C, S, F (whole system) by direct Boltzmann sums over every state, no binning.

    Integer models sum over their exact levels (identical to summing states); others over the
    2^N raw energies (N <= 26, see :func:`exact_energies`).
    """
    model = _check_model(model)
    T = _temperatures(temperatures)
    if model.is_integer:
        dos = exact_density_of_states(model)
        if dos.exact_levels:
            v = dos.visited
            return canonical(dos.energies[v], dos.log_g[v], T, model.n_spins, source=f"exact {model.name}")
    e = exact_energies(model)
    return canonical(e, np.zeros(e.size), T, model.n_spins, source=f"exact {model.name}")


def square_lattice(side: int, coupling: float = 1.0):
    """The ferromagnetic Ising model on a periodic ``side`` x ``side`` square lattice (no fields).

    ``E = -J Σ_<ij> s_i s_j`` over the 2 side² nearest-neighbour bonds; spin (x, y) is index
    ``x · side + y``. A textbook check: its exact g(E) is known in closed form (Beale, PRL 76,
    78, 1996); for side = 4 the levels E = -32, -24, -20, ..., 32 hold 2, 32, 64, 424, 1728,
    6688, 13568, 20524, ... states. Even sides give a bipartite graph, so g(E) = g(-E).
    """
    from .ising import IsingModel
    from .validation import integer, real

    side = integer("side", side, low=3)
    coupling = real("coupling", coupling)
    n = side * side
    J = np.zeros((n, n))
    for x in range(side):
        for y in range(side):
            i = x * side + y
            for j in (((x + 1) % side) * side + y, x * side + (y + 1) % side):
                J[i, j] = J[j, i] = coupling
    return IsingModel.from_couplings(J, name=f"square lattice {side}x{side}")


def _warm():
    """Compile the enumeration kernel on a tiny model (``engine.warm``)."""
    from .ising import IsingModel

    J = np.ones((4, 4)) - np.eye(4)
    exact_density_of_states(IsingModel.from_couplings(J))  # float32 couplings (IsingModel.kernel_data)
    exact_density_of_states(IsingModel.from_couplings(0.1 * J))  # and float64
