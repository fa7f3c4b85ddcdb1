"""The density of states g(E) of an Ising model by Wang-Landau sampling.

Wang & Landau, PRL 86, 2050 (2001): a random walk in energy that accepts a move with
``min(1, g(E_old)/g(E_new))`` and adds ``ln f`` to ``ln g`` of the bin it is in after every step,
halving ``ln f`` each time the visit histogram is flat; with the 1/t refinement of Belardinelli &
Pereyra, PRE 75, 046701 (2007) (``ln f = 1/t`` once the halving would fall below it, which removes
the saturation of the error) and, optionally, several overlapping energy windows walked in
parallel and joined where their slopes d ln g/dE agree best (Vogel, Li, Wüst & Landau,
PRL 110, 210603, 2013). The kernels and their precise bookkeeping (new bins, flatness, windows)
are in :mod:`engine.kernels.wang_landau`. PHYSICS.md sections 1 and 3.

Energy bins (the *binning rule*, shared with :func:`engine.exact.exact_density_of_states` so the
two compare bin by bin):

* **Integer couplings and fields** (``model.is_integer``): every energy is
  ``E(all +1) + k Δ`` with Δ = :func:`energy_spacing` (the gcd of all possible single-flip
  changes, e.g. 4 for the ±1 square-lattice Ising model), and the bins are these exact levels.
  If there would be more than :data:`MAX_BINS` levels over the range, bins hold several levels.
* **Continuous couplings**: bins centred on ``k · width`` (symmetric about E = 0, so the mirror
  of a bin is a bin), of width the root-mean-square single-flip change at infinite temperature,
  ``ΔE_rms = 2 sqrt(mean_i (Σ_j J_ij² + b_i²))``, so that one flip moves the walk about one bin;
  then widened or narrowed so that the estimated range holds between :data:`MIN_BINS` (100) and
  :data:`MAX_BINS` (1000) bins. A random N(0, 1/fan_in) 64-32-10 network gets ~110 bins.
* **The range** comes from greedy quenches (from all spins +1 and from seeded random starts) of
  E and, unless the model is symmetric, of -E. A model without fields whose graph is bipartite
  (every layered network) has g(E) = g(-E) exactly — flipping one side of the bipartition maps
  E to -E — so there E_max = -E_min is used, and :meth:`DensityOfStates.symmetry_error` checks
  the walk. The quench only seeds the grid and the walkers: bins are opened when the walk first
  reaches them, and the grid grows when a walker steps off it; bins never reached stay excluded.

Windows (``n_windows > 1``): equal-width windows over the estimated range, neighbours sharing
``overlap`` of a window's width, the outer ones open to the ends of the grid; one walker per
window, walked in parallel threads (numba ``prange``; each walker owns its random stream, so a
seed gives the same result on any number of threads). Every 2^16 steps per walker, neighbouring
walkers whose energies both lie in the overlap try to swap configurations (Vogel et al.); with
the default overlap of 0.25 that is rare, so windows mostly act as independent walks. A window
stops when its own ln f reaches ``log_f_final``; the run when all have.

Cost: one step (proposal) takes ~14-16 ns of CPU for a ~100-spin layered network and ~22-25 ns
on wide ones ([128]x8, 784-128-64-10; ``benchmarks/bench_wang_landau.py`` on the project's 2-core
machine); the 1/t phase needs
``(visited bins) / log_f_final`` steps per window, so log_f_final = 1e-8 with ~100 bins is ~10^10
steps. ``max_seconds`` / ``max_steps`` / a callback returning True stop earlier with
``converged = False``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.sparse.csgraph import breadth_first_order, connected_components

from .errors import EngineError, expected
from .ising import IsingModel
from .kernels import wang_landau as K
from .kernels.gray import neighbour_segments
from .progress import report
from .random import as_generator, kernel_seeds
from .thermo import DensityOfStates, normalise_log_g
from .validation import integer, positive, real

__all__ = ["wang_landau", "DensityOfStates", "default_bin_width", "energy_spacing", "symmetry_gauge",
           "EnergyGrid", "energy_grid", "MIN_BINS", "MAX_BINS"]

#: Bounds on the number of bins over the estimated energy range (continuous couplings).
MIN_BINS, MAX_BINS = 100, 1000
#: Greedy quenches used to estimate the energy range (all +1, then seeded random starts).
N_QUENCH_STARTS = 8
_QUENCH_SEED = 0  # the range estimate, hence the default bins, depend on the model only
_MAX_SWEEPS = 10_000
_REPORT_EVERY = 0.25  # seconds between callback calls
_MAX_GRID = 2_000_000  # bins in the initial grid (memory: ~17 bytes per bin and walker)


# ------------------------------------------------------------------------------ model structure

def _check_model(model) -> IsingModel:
    if not isinstance(model, IsingModel):
        raise expected("model", "an IsingModel (IsingModel.from_network / from_couplings)", type(model).__name__)
    return model


def symmetry_gauge(model) -> np.ndarray | None:
    """A ±1 vector g with E(g∘s) = -E(s) for every s, or None.

    Exists when the model has no fields and its coupling graph is bipartite (g = -1 on one
    side): the layered graph of a network always is (odd layers flipped), a periodic square
    lattice of even side is too. Then g(E) = g(-E) exactly.
    """
    model = _check_model(model)
    if model.has_fields:
        return None
    if model.is_layered:
        return model.odd_layer_flip()
    A = model.couplings()
    colour = np.zeros(model.n_spins, dtype=np.int8)
    n_comp, labels = connected_components(A, directed=False)
    roots = np.unique(labels, return_index=True)[1]
    for root in roots:
        order, pred = breadth_first_order(A, int(root), directed=False, return_predecessors=True)
        colour[order[0]] = 1
        for node in order[1:]:  # BFS order: a node's predecessor is coloured before it
            colour[node] = -colour[pred[node]]
    rows = np.repeat(np.arange(model.n_spins), np.diff(model.indptr))
    if np.any(colour[rows] == colour[model.indices]):
        return None
    return colour


def energy_spacing(model) -> float:
    """Δ such that every energy of an integer model is ``E(all +1) + k Δ`` (k integer).

    A flip of spin i changes E by ``2 s_i h_i`` with ``h_i = b_i + Σ_j J_ij s_j``; over all
    neighbour states these changes are the multiples of ``gcd(2 (b_i + Σ_j J_ij), 4 J_ij for all j)``,
    and Δ is the gcd over spins (2 for generic integers, 4 for the ±1 square lattice).
    Returns 2.0 when no energy can change (no couplings, no fields).
    """
    model = _check_model(model)
    if not model.is_integer:
        raise expected("model", "integer couplings and fields for an exact energy spacing", "non-integer values")
    n = model.n_spins
    data = np.abs(model.data).astype(np.int64)
    rows = np.repeat(np.arange(n), np.diff(model.indptr))
    row_sum = np.bincount(rows, weights=model.data, minlength=n).round().astype(np.int64)
    parts = [2 * np.abs(row_sum + model.fields.round().astype(np.int64))]
    nonempty = np.flatnonzero(np.diff(model.indptr) > 0)
    if nonempty.size:
        parts.append(4 * np.gcd.reduceat(data, model.indptr[nonempty]))
    g = int(np.gcd.reduce(np.concatenate(parts)))
    return float(g) if g > 0 else 2.0


def _segments(model):
    return neighbour_segments(model.indptr, model.indices)


class SiteSchedule(NamedTuple):
    """The walk's cyclic site schedule (:mod:`engine.kernels.wang_landau`), (P,) int64 arrays over
    the schedule positions p: position p proposes a uniform spin of ``start[p] : start[p] + size[p]``;
    ``left[p]`` counts the positions from p to the end of its run (consecutive positions of one
    block); ``deferred``: the blocks are layers (no couplings inside), so a run applies to the
    fields only its net change, at its end."""
    start: np.ndarray
    size: np.ndarray
    left: np.ndarray
    deferred: bool


def site_schedule(model, run: int = 1) -> SiteSchedule:
    """The site schedule of ``model``. Layered: the layers in order, a run of ``run * n_l`` positions
    for layer l (every spin proposed ``run`` times per cycle on average; deferred field updates).
    Otherwise one block of all N spins at every one of N positions (uniform choice), updates at once.
    The walk uses run = 1: longer runs cost accuracy per step (:mod:`engine.kernels.wang_landau`)."""
    run = integer("run", run, low=1)
    if model.is_layered:
        steps = run * np.diff(model.offsets)
        return SiteSchedule(np.repeat(model.offsets[:-1], steps).astype(np.int64),
                            np.repeat(np.diff(model.offsets), steps).astype(np.int64),
                            np.concatenate([np.arange(m, 0, -1) for m in steps]).astype(np.int64), True)
    n = model.n_spins
    return SiteSchedule(np.zeros(n, dtype=np.int64), np.full(n, n, dtype=np.int64),
                        np.arange(n, 0, -1, dtype=np.int64), False)


@dataclass
class _Extremes:
    e_min: float
    e_max: float
    s_min: np.ndarray
    s_max: np.ndarray
    symmetric: bool


def _quench_extremes(model, segs, n_starts=N_QUENCH_STARTS) -> _Extremes:
    """Greedy quenches of E (and of -E unless symmetric) from all +1 and seeded random starts."""
    rng = np.random.default_rng(_QUENCH_SEED)
    starts = np.concatenate([np.ones((1, model.n_spins), dtype=np.int8),
                             model.random_spins(max(n_starts - 1, 0), seed=rng).reshape(-1, model.n_spins)])
    gauge = symmetry_gauge(model)

    def best(sign):
        found = []
        for s0 in starts:
            s = s0.copy()
            h = model.local_fields(s)
            K.greedy_descent(s, h, float(sign), *segs, model.kernel_data, _MAX_SWEEPS)
            found.append((sign * model.energy(s), s))
        e, s = min(found, key=lambda x: x[0])
        return sign * e, s

    e_min, s_min = best(+1)
    if gauge is not None:
        return _Extremes(e_min, -e_min, s_min, (gauge * s_min).astype(np.int8), True)
    e_max, s_max = best(-1)
    return _Extremes(e_min, e_max, s_min, s_max, False)


def _bin_width_rule(model, e_lo, e_hi) -> tuple[float, bool]:
    """(bin width, bins are exact levels) for an estimated range [e_lo, e_hi] (module docstring)."""
    span = max(e_hi - e_lo, 0.0)
    if model.is_integer:
        d = energy_spacing(model)
        levels_per_bin = max(1, math.ceil(span / (MAX_BINS * d)))
        return d * levels_per_bin, levels_per_bin == 1
    rows = np.repeat(np.arange(model.n_spins), np.diff(model.indptr))
    sq = np.bincount(rows, weights=model.data ** 2, minlength=model.n_spins) + model.fields ** 2
    de_rms = 2.0 * math.sqrt(float(np.mean(sq)))
    if span <= 0.0:
        return (de_rms if de_rms > 0 else 1.0), False
    n_bins = min(max(span / de_rms, MIN_BINS), MAX_BINS) if de_rms > 0 else MIN_BINS
    return span / n_bins, False


def default_bin_width(model) -> float:
    """The default bin width of the binning rule (module docstring); depends on the model only."""
    model = _check_model(model)
    ext = _quench_extremes(model, _segments(model))
    return _bin_width_rule(model, ext.e_min, ext.e_max)[0]


# ------------------------------------------------------------------------------ the energy grid

@dataclass(frozen=True)
class EnergyGrid:
    """Bins of equal ``width`` centred on ``anchor + k · width`` for k = k_lo .. k_lo + n_bins - 1.

    Bin b holds energies in ``[origin + b·width, origin + (b+1)·width)``.
    """

    anchor: float
    width: float
    k_lo: int
    n_bins: int

    @property
    def origin(self) -> float:
        return self.anchor + (self.k_lo - 0.5) * self.width

    def centres(self) -> np.ndarray:
        return self.anchor + (self.k_lo + np.arange(self.n_bins)) * self.width

    def index(self, energy):
        """Bin index of ``energy`` (same arithmetic as the kernels)."""
        return np.floor((np.asarray(energy) - self.origin) * (1.0 / self.width)).astype(np.int64)

    def extended(self, below: int = 0, above: int = 0) -> "EnergyGrid":
        return EnergyGrid(self.anchor, self.width, self.k_lo - below, self.n_bins + below + above)


def energy_grid(model, width: float, lo: float, hi: float) -> EnergyGrid:
    """The model's grid of ``width`` covering [lo, hi]: centred on the level E(all +1) for an integer
    model (so bins are levels), on 0 otherwise (symmetric about E = 0)."""
    anchor = float(model.energy(np.ones(model.n_spins))) if model.is_integer else 0.0
    k_lo = math.floor((lo - anchor) / width + 0.5)
    k_hi = math.floor((hi - anchor) / width + 0.5)
    return EnergyGrid(anchor, float(width), int(k_lo), int(k_hi - k_lo + 1))


def resolve_bins(model, bin_width=None, extremes=None):
    """(width, exact_levels, extremes) for ``bin_width`` (None = the default rule); validates it."""
    segs = _segments(model)
    ext = extremes or _quench_extremes(model, segs)
    if bin_width is None:
        width, exact = _bin_width_rule(model, ext.e_min, ext.e_max)
    else:
        width = positive("bin_width", bin_width)
        exact = model.is_integer and width == energy_spacing(model)
    return width, exact, ext


# ------------------------------------------------------------------------------ walker state

@dataclass
class WangLandauState:
    """Every walker's state (W walkers, one per window; B bins; N spins), updated by the kernel.

    spins (W, N) int8; fields (W, N) cached local fields; log_g, histogram (W, B); visited
    (W, B) bool; scal (W, 4) [E, ln f, lowest E, highest E]; cnt (W, 9) counters (see
    :mod:`engine.kernels.wang_landau`); windows (W, 2) bin ranges [lo, hi); rng (W, 2, 4) streams.
    """

    grid: EnergyGrid
    spins: np.ndarray
    fields: np.ndarray
    log_g: np.ndarray
    histogram: np.ndarray
    visited: np.ndarray
    scal: np.ndarray
    cnt: np.ndarray
    windows: np.ndarray
    rng: np.ndarray
    exchange_attempts: np.ndarray
    exchange_accepted: np.ndarray
    n_grown: int = 0

    @property
    def n_walkers(self) -> int:
        return self.spins.shape[0]

    @property
    def done(self) -> bool:
        return bool(np.all(self.cnt[:, K.PHASE] == K.DONE))

    @property
    def log_f(self) -> float:
        """The largest ln f among walkers still running (the last reached if all are done)."""
        running = self.cnt[:, K.PHASE] != K.DONE
        return float(np.max(self.scal[running, K.LOG_F] if running.any() else self.scal[:, K.LOG_F]))

    @property
    def proposals(self) -> int:
        return int(self.cnt[:, K.STEPS].sum() + self.cnt[:, K.N_APPROACH].sum())

    def grow(self, below: int, above: int, max_grid: EnergyGrid):
        """Extend every bin array by ``below`` / ``above`` bins (clipped to ``max_grid``)."""
        below = max(0, min(below, self.grid.k_lo - max_grid.k_lo))
        above = max(0, min(above, (max_grid.k_lo + max_grid.n_bins) - (self.grid.k_lo + self.grid.n_bins)))
        if below == 0 and above == 0:
            raise RuntimeError("a walker left a grid that already covers every possible energy")
        pad = ((0, 0), (below, above))
        self.log_g = np.pad(self.log_g, pad)
        self.histogram = np.pad(self.histogram, pad)
        self.visited = np.pad(self.visited, pad)
        self.windows = self.windows + below
        self.windows[0, 0] = 0
        self.windows[-1, 1] = self.grid.n_bins + below + above
        self.grid = self.grid.extended(below, above)
        self.n_grown += 1

    def exchange(self, rng: np.random.Generator):
        """Replica exchange between neighbouring windows (Vogel et al. 2013), in place.

        Walkers a (window k) and b (window k+1) swap configurations with probability
        ``min(1, g_k(E_a) g_{k+1}(E_b) / (g_k(E_b) g_{k+1}(E_a)))`` when each energy lies in a
        visited bin of both windows; finished windows take no part.
        """
        bins = self.grid.index(self.scal[:, K.ENERGY])
        for k in range(self.n_walkers - 1):
            a, b = k, k + 1
            if self.cnt[a, K.PHASE] == K.DONE or self.cnt[b, K.PHASE] == K.DONE:
                continue
            ba, bb = bins[a], bins[b]
            ok = all(self.windows[w, 0] <= x < self.windows[w, 1] and self.visited[w, x]
                     for w in (a, b) for x in (ba, bb))
            if not ok:
                continue
            self.exchange_attempts[k] += 1
            d = (self.log_g[a, ba] - self.log_g[a, bb]) + (self.log_g[b, bb] - self.log_g[b, ba])
            if d >= 0 or rng.random() < math.exp(d):
                self.exchange_accepted[k] += 1
                for arr in (self.spins, self.fields):
                    arr[[a, b]] = arr[[b, a]]
                self.scal[[a, b], K.ENERGY] = self.scal[[b, a], K.ENERGY]
                bins[a], bins[b] = bb, ba

    def joined(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """(ln g (B,), visited (B,), joined cleanly): the windows glued where slopes agree best.

        Between windows k and k+1 the junction is the visited bin of their overlap where the
        finite-difference slopes d ln g/dE of the two agree best; window k+1 is shifted to equal
        window k there. ``False`` when some overlap had no common bin (a partial run).
        """
        if self.n_walkers == 1:
            return self.log_g[0].copy(), self.visited[0].copy(), True
        centres = self.grid.centres()
        B = self.grid.n_bins
        cuts, shifts, clean = [0], [0.0], True
        for k in range(self.n_walkers - 1):
            lo, hi = max(self.windows[k + 1, 0], cuts[-1] + 1), self.windows[k, 1]
            common = np.flatnonzero(self.visited[k, lo:hi] & self.visited[k + 1, lo:hi]) + lo
            if common.size >= 2:
                dk = np.gradient(self.log_g[k, common], centres[common])
                dk1 = np.gradient(self.log_g[k + 1, common], centres[common])
                j = int(common[np.argmin(np.abs(dk - dk1))])
            elif common.size == 1:
                j = int(common[0])
            else:  # nothing to match: continue the curve from window k's last bin
                clean = False
                j = int(min(max(hi, cuts[-1] + 1), B - 1))
                below = np.flatnonzero(self.visited[k, :j])
                above = np.flatnonzero(self.visited[k + 1, j:]) + j
                if below.size and above.size:
                    shifts.append(shifts[-1] + self.log_g[k, below[-1]] - self.log_g[k + 1, above[0]])
                else:
                    shifts.append(0.0)
                cuts.append(j)
                continue
            shifts.append(shifts[-1] + self.log_g[k, j] - self.log_g[k + 1, j])
            cuts.append(j)
        cuts.append(B)
        lg = np.zeros(B)
        vis = np.zeros(B, dtype=bool)
        for k in range(self.n_walkers):
            sl = slice(cuts[k], cuts[k + 1])
            lg[sl] = self.log_g[k, sl] + shifts[k]
            vis[sl] = self.visited[k, sl]
        return lg, vis, clean


def _start(model, segs, grid, windows, ext, rng) -> WangLandauState:
    """Walkers in windows below the middle of the range start from the lowest quench state,
    the others from the highest; each first approaches its window (kernel docstring)."""
    W, B, N = windows.shape[0], grid.n_bins, model.n_spins
    mid_bin = grid.index(0.5 * (ext.e_min + ext.e_max))
    spins = np.empty((W, N), dtype=np.int8)
    for w in range(W):
        spins[w] = ext.s_min if windows[w].mean() <= mid_bin else ext.s_max
    fields = np.ascontiguousarray(model.local_fields(spins))
    energy = np.atleast_1d(model.energy(spins))
    scal = np.zeros((W, K.N_SCALARS))
    scal[:, K.ENERGY] = energy
    scal[:, K.LOG_F] = 1.0
    scal[:, K.E_LOW] = energy
    scal[:, K.E_HIGH] = energy

    seeds = kernel_seeds(rng, 2 * W)
    streams = np.stack([K.walker_streams(seeds[2 * w], seeds[2 * w + 1]) for w in range(W)])
    return WangLandauState(grid=grid, spins=spins, fields=fields, log_g=np.zeros((W, B)),
                           histogram=np.zeros((W, B), dtype=np.int64), visited=np.zeros((W, B), dtype=np.bool_),
                           scal=scal, cnt=np.zeros((W, K.N_COUNTERS), dtype=np.int64), windows=windows,
                           rng=streams, exchange_attempts=np.zeros(max(W - 1, 0), dtype=np.int64),
                           exchange_accepted=np.zeros(max(W - 1, 0), dtype=np.int64))


def _windows(grid: EnergyGrid, e_lo: float, e_hi: float, n_windows: int, overlap: float) -> np.ndarray:
    """(W, 2) bin ranges: W equal windows over [e_lo, e_hi], consecutive ones sharing ``overlap`` of
    a window's width; the outer windows reach the ends of the grid."""
    if n_windows == 1:
        return np.array([[0, grid.n_bins]], dtype=np.int64)
    a, b = int(grid.index(e_lo)), int(grid.index(e_hi)) + 1
    span = b - a
    width = span / (n_windows - (n_windows - 1) * overlap)
    lo = np.rint(a + np.arange(n_windows) * (1 - overlap) * width).astype(np.int64)
    hi = np.rint(a + np.arange(n_windows) * (1 - overlap) * width + width).astype(np.int64)
    lo[0], hi[-1] = 0, grid.n_bins
    if np.any(hi[:-1] - lo[1:] < 2) or np.any(hi - lo < 4):
        raise EngineError(f"`n_windows` must leave each window >= 4 bins and each overlap >= 2 bins; the "
                          f"estimated range holds only {span} bins for {n_windows} windows with overlap "
                          f"{overlap} (use fewer windows, a larger overlap or a smaller bin_width)")
    return np.stack([lo, hi], axis=1)


# ------------------------------------------------------------------------------ public

def wang_landau(model, *, log_f_final=1e-8, flatness=0.8, one_over_t=True, bin_width=None, max_seconds=None,
                max_steps=None, seed=None, callback=None, n_windows=1, overlap=0.25) -> DensityOfStates:
    """Density of states ln g(E) of ``model`` by Wang-Landau sampling (module docstring).

    Parameters
    ----------
    model : IsingModel.
    log_f_final : stop when ln f <= this (0 < log_f_final < 1).
    flatness : a histogram is flat when min H >= flatness * mean H over visited bins (0 < flatness < 1).
    one_over_t : switch to ln f = 1/t (Belardinelli & Pereyra) when halving would go below it.
    bin_width : energy bin width (total energy units); None = the binning rule of the module docstring.
    max_seconds, max_steps : stop after this wall time / this many proposals (summed over walkers).
    seed : None, int or numpy Generator.
    callback : called about every 0.25 s with a :class:`engine.progress.Progress` whose ``done`` is
        -log10(ln f) out of ``total`` = -log10(log_f_final) and whose ``data`` is the current
        (normalised) :class:`DensityOfStates`; returning True stops the walk.
    n_windows : walkers in overlapping energy windows, run in parallel threads (1 = one walk).
    overlap : fraction of a window's width shared with each neighbour (0 < overlap <= 0.75).

    Returns
    -------
    DensityOfStates with ``log_g`` normalised to Σ g = 2^N; ``converged`` is False when stopped
    early; ``info`` holds the walk's counters (stages, acceptance, exchange rates, windows).
    """
    model = _check_model(model)
    log_f_final = real("log_f_final", log_f_final, low=0.0, high=1.0, low_open=True, high_open=True)
    flatness = real("flatness", flatness, low=0.0, high=1.0, low_open=True, high_open=True)
    if not isinstance(one_over_t, (bool, np.bool_)):
        raise expected("one_over_t", "True or False", one_over_t)
    max_seconds = None if max_seconds is None else positive("max_seconds", max_seconds)
    max_steps = None if max_steps is None else integer("max_steps", max_steps, low=1)
    n_windows = integer("n_windows", n_windows, low=1, high=64)
    overlap = real("overlap", overlap, low=0.0, high=0.75, low_open=True)
    if callback is not None and not callable(callback):
        raise expected("callback", "None or a callable", type(callback).__name__)
    rng = as_generator(seed)
    t0 = time.perf_counter()

    segs = _segments(model)
    schedule = site_schedule(model)
    width, exact_levels, ext = resolve_bins(model, bin_width)
    bound = model.energy_bound()
    max_grid = energy_grid(model, width, -bound - width, bound + width)
    span = ext.e_max - ext.e_min
    pad = 0.1 * span + 2 * width
    grid = energy_grid(model, width, max(ext.e_min - pad, -bound - width), min(ext.e_max + pad, bound + width))
    if grid.n_bins > _MAX_GRID:
        raise expected("bin_width", f"at least {(grid.n_bins * width) / _MAX_GRID:.3g} (at most {_MAX_GRID} bins "
                       f"over the estimated range)", width)
    windows = _windows(grid, ext.e_min, ext.e_max, n_windows, overlap)
    state = _start(model, segs, grid, windows, ext, rng)
    widest = int(np.max(windows[:, 1] - windows[:, 0])) if n_windows > 1 else int(span / width) + 1
    check_every = max(1000, 20 * widest)
    chunk = 1 << (16 if n_windows > 1 else 20)  # steps per walker between exchanges (~1-2 ms)

    status = np.zeros(n_windows, dtype=np.int64)
    last_report = t0
    while not state.done:
        n = chunk
        if max_steps is not None:
            left = max_steps - state.proposals
            if left <= 0:
                break
            active = int(np.count_nonzero(state.cnt[:, K.PHASE] != K.DONE))
            n = max(1, min(chunk, left // max(active, 1)))
        tail = (*segs, model.kernel_data, *schedule, state.grid.origin, 1.0 / state.grid.width, flatness,
                log_f_final, bool(one_over_t), check_every)
        if n_windows == 1:  # no parallel region: its idle thread would spin on the other core (OpenMP)
            status[0] = K.walk(n, state.spins[0], state.fields[0], state.log_g[0], state.histogram[0],
                               state.visited[0], state.scal[0], state.cnt[0], state.windows[0, 0],
                               state.windows[0, 1], state.rng[0], *tail)
        else:
            K.walk_windows(n, state.spins, state.fields, state.log_g, state.histogram, state.visited, state.scal,
                           state.cnt, state.windows, state.rng, *tail, status)
        if np.any(status != K.RAN):
            extra = max(8, state.grid.n_bins // 2)
            state.grow(extra if np.any(status == K.BELOW) else 0, extra if np.any(status == K.ABOVE) else 0,
                       max_grid)
        if n_windows > 1:
            state.exchange(rng)
        now = time.perf_counter()
        if max_seconds is not None and now - t0 >= max_seconds:
            break
        if callback is not None and now - last_report >= _REPORT_EVERY:
            last_report = now
            if _progress(callback, state, model, width, exact_levels, ext, log_f_final, t0):
                break
    # converged = every window reached log_f_final (a time limit hit in the same chunk does not matter)
    dos = _result(state, model, width, exact_levels, ext, t0, converged=state.done)
    if callback is not None:
        _progress(callback, state, model, width, exact_levels, ext, log_f_final, t0, dos=dos)
    return dos


def _progress(callback, state, model, width, exact_levels, ext, log_f_final, t0, dos=None) -> bool:
    dos = dos or _result(state, model, width, exact_levels, ext, t0, converged=state.done)
    lnf = state.log_f
    done = min(-math.log10(lnf), -math.log10(log_f_final)) if lnf > 0 else -math.log10(log_f_final)
    msg = f"ln f = {lnf:.2e}, {dos.n_bins} bins, {dos.n_steps:.3g} steps, {dos.seconds:.1f} s"
    return report(callback, done, -math.log10(log_f_final), msg, dos)


def _result(state, model, width, exact_levels, ext, t0, *, converged) -> DensityOfStates:
    lg, vis, clean = state.joined()
    centres = state.grid.centres()
    if vis.any():
        first, last = np.flatnonzero(vis)[[0, -1]]
    else:
        first, last = 0, -1
    sl = slice(first, last + 1)
    e_min = float(state.scal[:, K.E_LOW].min())
    e_max = float(state.scal[:, K.E_HIGH].max())
    if ext.symmetric:  # the mirror of every state found exists: E -> -E
        e_min = min(e_min, -e_max)
        e_max = -e_min
    info = {
        "stages": state.cnt[:, K.N_STAGES].tolist(),
        "one_over_t_from_step": state.cnt[:, K.SWITCH_STEP].tolist(),  # 0: never switched to 1/t
        "log_f": state.scal[:, K.LOG_F].tolist(),
        "steps": state.cnt[:, K.STEPS].tolist(),
        "approach_steps": state.cnt[:, K.N_APPROACH].tolist(),
        "acceptance": (state.cnt[:, K.N_ACCEPTED] / np.maximum(state.cnt[:, K.STEPS], 1)).tolist(),
        "windows": [(float(centres[lo] - width / 2), float(centres[hi - 1] + width / 2))
                    for lo, hi in state.windows],
        "exchange_acceptance": (state.exchange_accepted / np.maximum(state.exchange_attempts, 1)).tolist(),
        "exchange_attempts": state.exchange_attempts.tolist(),
        "joined_cleanly": clean,
        "grid_growths": state.n_grown,
        "quench_e_min": float(ext.e_min),
        "quench_e_max": float(ext.e_max),
    }
    return DensityOfStates(
        energies=centres[sl], log_g=normalise_log_g(lg[sl], vis[sl], model.n_spins), visited=vis[sl],
        n_spins=model.n_spins, bin_width=float(width), e_min=e_min, e_max=e_max, method="wang-landau",
        exact_levels=bool(exact_levels), symmetric=bool(ext.symmetric), converged=bool(converged and clean),
        log_f=state.log_f, n_steps=int(state.cnt[:, K.STEPS].sum()), seconds=time.perf_counter() - t0,
        n_windows=state.n_walkers, model_name=model.name, info=info)


def _warm():
    """Compile the kernels on a tiny model (``engine.warm``)."""
    rng = np.random.default_rng(0)
    upper = np.triu(rng.normal(size=(8, 8)), 1)
    for J in (upper, upper.astype(np.float32).astype(np.float64)):  # float64 and float32 kernel_data
        model = IsingModel.from_couplings(J + J.T)
        wang_landau(model, log_f_final=1e-2, seed=0, max_steps=200_000)
        wang_landau(model, log_f_final=1e-2, seed=0, max_steps=200_000, n_windows=2, overlap=0.5, bin_width=0.3)
