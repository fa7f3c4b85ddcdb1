"""Replica overlaps of the Ising model of a network, layer by layer (PHYSICS.md section 4).

Two replicas a, b of the same system (same couplings, independent thermal noise) are
compared spin by spin (Edwards & Anderson, J. Phys. F 5, 965 (1975); Parisi, Phys. Rev.
Lett. 50, 1946 (1983); the model: Stosic, Stosic & Stosic, arXiv:2209.08678)::

    q_ab      = (1/N)   Σ_i s_i^a s_i^b                   whole network
    q_ab^(l)  = (1/n_l) Σ_{i in layer l} s_i^a s_i^b      layer l (n_l spins)

A "group" is a layer or the whole network; group ``-1`` is always the whole network. The
overlap of a group of n spins takes only the n + 1 values ``q = 2k/n - 1``, k = 0..n the
number of spins on which the two replicas agree; overlaps are stored as these integer
counts, so P(q) is a histogram on that exact grid.

Estimators, per temperature and group, pooled over every sample and every pair a < b of
the R replicas (R(R-1)/2 pairs; each pair is a valid draw of two independent replicas,
so pooling them is an unbiased U-statistic)::

    <q>, <q²>, <q⁴>, <|q|>
    q_EA = sqrt(<q²>)                       (choice: the rms overlap is the Edwards-Anderson
                                             estimator here; <|q|> is reported beside it)
    g    = ½ (3 - <q⁴> / <q²>²)             Binder cumulant (Bhatt & Young, PRL 54, 924 (1985))

Why sqrt(<q²>): without fields the global flip s -> -s of one replica is an exact symmetry,
so P(q) is symmetric and <q> = 0 in equilibrium; the order parameter is the width of P(q).
For two peaks at ±q_EA, sqrt(<q²>) = <|q|> = q_EA. Finite-size floor: at T -> ∞ the spins
are independent and exactly <q²> = 1/n, <q⁴> = 3/n² - 2/n³, so q_EA -> 1/√n and g -> 1/n
(:func:`free_overlap_distribution`); a 10-spin output layer has q_EA ≈ 0.32 even when
nothing is frozen. g -> 0 for a Gaussian P(q) (paramagnet, large n) and g -> 1 for a pair of
delta peaks at ±q_EA (a replica-symmetric ordered phase); weight between the peaks that
does not vanish as N grows (RSB) gives 0 < g < 1 at low T. One system size cannot tell
these apart: only the N dependence can.

Error bars (two jackknives, both reported; ``*_err`` is the larger of the two):

* **bins** (``err_bins``): the kept samples of each run are cut into bins of b consecutive
  samples (b the largest power of two leaving at least ``min_bins`` = 32 bins over all
  runs; the earliest samples that do not fill a bin are dropped, as in
  :func:`engine.montecarlo.thermal_averages`); a bin holds every pair at those times.
  Delete-one-bin jackknife. Right when the bins are longer than the autocorrelation time.
* **runs** (``err_runs``): delete one independent run (R fresh chains from random starts) at
  a time. Runs are exactly independent, so this catches what binning cannot: chains stuck
  in different valleys (low T, too short a run). NaN with fewer than 2 runs, noisy with few.
  (A delete-one-*chain* jackknife inside a run would not do: for a paramagnet the pair
  statistic is a degenerate U-statistic and that jackknife underestimates the error 2-5x,
  measured on the exact 10-spin case.)

Checked against exact enumeration (10 spins, 30 seeds): (estimate - exact)/error has a
standard deviation of 0.8-1.2 for <q²>, <|q|> and g with one run (binning only), 0.7-1.1 with
five runs (the larger of the two errors: slightly conservative).

The Binder cumulant is jackknife bias-corrected (B g - (B-1) mean of the leave-one-out g, over
bins); the other estimators are plain means.

Symmetries (what is invariant and what is not):

* **Gauge.** For any signs ε_i = ±1 the model with couplings ε_i J_ij ε_j and fields ε_i h_i
  is the same physical system (s_i -> ε_i s_i). Overlaps are invariant when both replicas
  are transformed (ε_i² = 1), so every statistic here is gauge invariant; for a tanh
  network flipping a hidden neuron with its in- and out-weights changes nothing. The
  odd-layer flip g (ε = -1 on odd layers, :meth:`IsingModel.odd_layer_flip`) is such a
  gauge that maps the field-free model J to -J: E(gs) = -E(s), so g(E) = g(-E), and the
  overlap statistics of J and -J at the same T are identical.
* **Global flip of one replica.** Without fields an exact symmetry of the Gibbs measure:
  q^(l) -> -q^(l) for every layer at once. So each P(q^(l)) is symmetric; only |q|, q², q⁴,
  g and products such as q^(l) q^(m) are meaningful; a lopsided P(q) means the chains have
  not visited both sectors (not converged). Flipping one layer, or the odd layers, of only
  one replica is *not* a symmetry (it maps E to -E, i.e. T to -T): the joint sign pattern of
  the layer overlaps carries information, individual signs do not.
* **With fields** (biases as fields) neither symmetry holds: P(q) may be asymmetric, <q> ≠ 0.
* An overlap with a *fixed* configuration (a ground state, an input) is not a replica
  overlap and is not gauge invariant in this sense.

Exact oracle (:func:`exact_overlaps`): for two independent replicas the distribution of
x = c ⊕ c' (the spins where they disagree) is the XOR-autocorrelation of the Boltzmann
weights, P(x) = Σ_c p(c) p(c ⊕ x), computed in O(N 2^N) by a Walsh-Hadamard transform
(its transform is the square of that of p); the overlap of group g is 1 - 2 popcount(x & m_g)/n_g.
"""
from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from numba import njit

from . import kernels as _kernels  # noqa: F401  (chooses NUMBA_CACHE_DIR before compiling)
from .errors import expected
from .ising import IsingModel
from .montecarlo import parallel_tempering
from .progress import Callback, report
from .random import as_generator
from .validation import choice, increasing, integer, positive

#: The whole-network group is always the last: ``layer=-1`` (or ``ALL``).
ALL = -1
#: Fewest bins (over all runs) for the binning jackknife.
MIN_BINS = 32
#: Largest N for :func:`exact_overlaps` (2^N floats per temperature and a WHT of O(N 2^N)).
MAX_EXACT_SPINS = 22
#: Largest memory for the kept samples of one run (bytes; n_samples x R x n_T x N int8).
MAX_SAMPLE_BYTES = 256_000_000
SAMPLERS = ("auto", "block", "metropolis", "heat_bath")


# ====================================================================================== kernels

def agreement_counts_reference(samples, pairs, starts, stops) -> np.ndarray:
    """Obvious reference: (S, P, T, G) int32 numbers of spins i in [starts[g], stops[g]) with s_i^a = s_i^b."""
    eq = samples[:, pairs[:, 0]] == samples[:, pairs[:, 1]]  # (S, P, T, N)
    return np.stack([eq[..., a:b].sum(axis=-1) for a, b in zip(starts, stops)], axis=-1).astype(np.int32)


@njit(cache=True)
def _agreement_kernel(samples, pair_a, pair_b, starts, stops, out):
    """out[s, p, t, g] = #{i in [starts[g], stops[g]) : s_i = s'_i} for replicas a = pair_a[p], b = pair_b[p]."""
    S, _, n_t, _ = samples.shape
    for s in range(S):
        for t in range(n_t):
            for p in range(pair_a.size):
                x = samples[s, pair_a[p], t]  # contiguous rows of int8 spins
                y = samples[s, pair_b[p], t]
                for g in range(starts.size):
                    d = 0
                    for i in range(starts[g], stops[g]):
                        d += x[i] != y[i]
                    out[s, p, t, g] = stops[g] - starts[g] - d


def agreement_counts(samples, pairs, starts, stops) -> np.ndarray:
    """Kernel call (same numbers as :func:`agreement_counts_reference`, without its (S, P, T, N) temporary).

    Inputs are validated by the public callers (:func:`overlaps_from_samples`).
    """
    samples = np.ascontiguousarray(samples, dtype=np.int8)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.empty((samples.shape[0], pairs.shape[0], samples.shape[2], len(starts)), dtype=np.int32)
    _agreement_kernel(samples, np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1]),
                      np.ascontiguousarray(starts, dtype=np.int64), np.ascontiguousarray(stops, dtype=np.int64), out)
    return out


@njit(cache=True)
def _moment_sums_kernel(agree, table, out):
    """out[s, t, g, m] = Σ_p table[g, agree[s, p, t, g], m]: per-sample sums over pairs of q, q², q⁴, |q|."""
    S, P, n_t, G = agree.shape
    for s in range(S):
        for p in range(P):
            for t in range(n_t):
                for g in range(G):
                    k = agree[s, p, t, g]
                    for m in range(table.shape[2]):
                        out[s, t, g, m] += table[g, k, m]


def moment_table(sizes) -> np.ndarray:
    """(G, max n + 1, 4) float64: q, q², q⁴, |q| for every k of each group (q = (2k - n)/n; rows beyond n are 0)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    table = np.zeros((sizes.size, int(sizes.max(initial=0)) + 1, 4))
    for g, n in enumerate(sizes):
        table[g, :n + 1] = _moments(overlap_grid(int(n)))
    return table


def moment_sums_reference(agree, sizes) -> np.ndarray:
    """NumPy reference of the kernel: (S, T, G, 4) sums over pairs of (q, q², q⁴, |q|)."""
    q = _q_of(np.asarray(agree, dtype=np.float64), np.asarray(sizes))  # (S, P, T, G)
    return _moments(q).sum(axis=1)


def moment_sums(agree, sizes) -> np.ndarray:
    """Kernel call: (S, T, G, 4) float64 sums over the pairs of each sample of (q, q², q⁴, |q|)."""
    agree = np.ascontiguousarray(agree, dtype=np.int32)
    S, _, n_t, G = agree.shape
    out = np.zeros((S, n_t, G, 4))
    _moment_sums_kernel(agree, moment_table(sizes), out)
    return out


def _moments(q):
    """(..., 4): q, q², q⁴, |q| (q⁴ as (q²)²: pow is slow)."""
    q2 = q * q
    return np.stack([q, q2, q2 * q2, np.abs(q)], axis=-1)


# ====================================================================================== overlaps

def _q_of(agree, n):
    """q = (2k - n)/n: exact negation under k -> n - k (a global flip of one replica)."""
    return (2.0 * agree - n) / n


def overlap_grid(n: int) -> np.ndarray:
    """The n + 1 possible overlaps of n spins, q = (2k - n)/n for k = 0..n agreeing spins."""
    return _q_of(np.arange(int(n) + 1), int(n))


def replica_pairs(n_replicas: int) -> np.ndarray:
    """All pairs a < b of ``n_replicas`` replicas, (R(R-1)/2, 2) int64, in lexicographic order."""
    a, b = np.triu_indices(n_replicas, k=1)
    return np.stack([a, b], axis=1).astype(np.int64)


@dataclass
class Overlaps:
    """Overlaps of every pair of replicas, for every kept sample, temperature and group.

    agree (n_samples, n_pairs, n_T, n_groups) int32: spins on which the two replicas agree;
    q = 2 agree / n - 1. sizes (n_groups,) spins per group (the last group is the whole
    network); names (n_groups,) labels; pairs (n_pairs, 2) replica indices a < b;
    run (n_samples,) int64: the independent run each sample comes from (chains of different
    runs are different chains).
    """

    agree: np.ndarray
    sizes: np.ndarray
    names: list
    pairs: np.ndarray
    n_replicas: int
    run: np.ndarray

    @property
    def n_samples(self) -> int:
        return int(self.agree.shape[0])

    @property
    def n_pairs(self) -> int:
        return int(self.pairs.shape[0])

    @property
    def n_temperatures(self) -> int:
        return int(self.agree.shape[2])

    @property
    def n_groups(self) -> int:
        return int(self.sizes.size)

    @property
    def n_runs(self) -> int:
        return int(np.unique(self.run).size)

    @property
    def q(self) -> np.ndarray:
        """(n_samples, n_pairs, n_T, n_groups) float64 overlaps q = 2k/n - 1."""
        return _q_of(self.agree, self.sizes)

    def merge(self, other: "Overlaps") -> "Overlaps":
        """Samples of both (``other``'s runs relabelled after this one's): same groups, replicas, temperatures."""
        if not isinstance(other, Overlaps):
            raise expected("other", "Overlaps", type(other).__name__)
        if (not np.array_equal(self.sizes, other.sizes) or self.n_replicas != other.n_replicas
                or self.n_temperatures != other.n_temperatures):
            raise expected("other", f"overlaps of {self.n_replicas} replicas at {self.n_temperatures} temperatures "
                                    f"with group sizes {self.sizes.tolist()}",
                           f"{other.n_replicas} replicas, {other.n_temperatures} temperatures, "
                           f"sizes {other.sizes.tolist()}")
        shift = (int(self.run.max()) + 1) if self.run.size else 0
        _, relabelled = np.unique(other.run, return_inverse=True)
        return Overlaps(agree=np.concatenate([self.agree, other.agree]), sizes=self.sizes, names=list(self.names),
                        pairs=self.pairs, n_replicas=self.n_replicas,
                        run=np.concatenate([self.run, shift + relabelled.astype(np.int64)]))

    def stats(self, *, min_bins: int = MIN_BINS) -> "OverlapStats":
        """Moments, q_EA and the Binder cumulant with jackknife errors: :func:`overlap_stats`."""
        return overlap_stats(self, min_bins=min_bins)


def _check_slices(layer_slices, n_spins):
    """User slices (or (start, stop) pairs) -> (starts, stops) int64 arrays."""
    if layer_slices is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    try:
        items = list(layer_slices)
    except TypeError as e:
        raise expected("layer_slices", "a list of slices", type(layer_slices).__name__) from e
    starts, stops = [], []
    for k, sl in enumerate(items):
        if isinstance(sl, slice):
            if sl.step not in (None, 1):
                raise expected(f"layer_slices[{k}]", "a slice with step 1", sl)
            a, b = sl.start if sl.start is not None else 0, sl.stop if sl.stop is not None else n_spins
        elif isinstance(sl, (tuple, list)) and len(sl) == 2:
            a, b = sl
        else:
            raise expected(f"layer_slices[{k}]", "a slice or a (start, stop) pair", sl)
        if not all(isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool) for v in (a, b)):
            raise expected(f"layer_slices[{k}]", "integer bounds", sl)
        if not 0 <= a < b <= n_spins:
            raise expected(f"layer_slices[{k}]", f"a non-empty range inside [0, {n_spins})", f"[{a}, {b})")
        starts.append(int(a))
        stops.append(int(b))
    return np.asarray(starts, np.int64), np.asarray(stops, np.int64)


def _check_samples(samples, *, values=True) -> np.ndarray:
    """(n_samples, R >= 2, n_T, N) ±1 as C-contiguous int8; ``values=False`` skips the ±1 scan
    (samples straight from :func:`engine.montecarlo.parallel_tempering`)."""
    arr = np.asarray(samples)
    if arr.ndim != 4:
        raise expected("samples", "a 4-d array (n_samples, n_replicas, n_T, N)", f"shape {arr.shape}")
    if arr.shape[1] < 2:
        raise expected("samples", "at least 2 replicas (axis 1) for an overlap", f"{arr.shape[1]} replica")
    if arr.shape[2] < 1 or arr.shape[3] < 1:
        raise expected("samples", "at least one temperature and one spin", f"shape {arr.shape}")
    if arr.dtype.kind not in "iuf":
        raise expected("samples", "a numeric array of ±1", f"dtype {arr.dtype}")
    if values and arr.size and not np.all(np.abs(arr) == 1):
        raise expected("samples", "entries ±1", "other values")
    return np.ascontiguousarray(arr, dtype=np.int8)


def overlaps_from_samples(samples, layer_slices=None, *, names=None, run=None, _check_values=True) -> Overlaps:
    """Overlaps q_ab and q_ab^(l) of every pair a < b of replicas, per sample and temperature.

    Parameters
    ----------
    samples : (n_samples, n_replicas, n_T, N) ±1 (int8), e.g. ``TemperingResult.samples``
        (temperature order); n_replicas >= 2.
    layer_slices : spin ranges of the layers (``IsingModel.layer_slices()``: slices or
        (start, stop) pairs; they may overlap or leave spins out). The whole network is
        appended as the last group (``layer=-1``).
    names : labels of the layers (default "layer 0", ...); "all spins" is appended.
    run : (n_samples,) run labels (default: one run).
    _check_values : internal; False skips the scan for ±1 (samples from the engine's own sampler).

    Returns
    -------
    Overlaps with ``agree`` (n_samples, R(R-1)/2, n_T, n_layers + 1):
    ``q^(l)_ab = (1/n_l) Σ_{i in l} s_i^a s_i^b = 2 agree / n_l - 1``.
    """
    S = _check_samples(samples, values=_check_values)
    n_samples, R, _, N = S.shape
    starts, stops = _check_slices(layer_slices, N)
    starts, stops = np.append(starts, 0), np.append(stops, N)
    if names is None:
        names = [f"layer {k}" for k in range(starts.size - 1)]
    names = [str(x) for x in names]
    if len(names) != starts.size - 1:
        raise expected("names", f"{starts.size - 1} labels (one per layer slice)", len(names))
    if run is None:
        run = np.zeros(n_samples, np.int64)
    else:
        run = np.asarray(run)
        if run.shape != (n_samples,) or run.dtype.kind not in "iu":
            raise expected("run", f"({n_samples},) integer run labels", f"shape {run.shape}, dtype {run.dtype}")
        run = run.astype(np.int64)
    pairs = replica_pairs(R)
    agree = agreement_counts(S, pairs, starts, stops)
    return Overlaps(agree=agree, sizes=(stops - starts).astype(np.int64), names=names + ["all spins"],
                    pairs=pairs, n_replicas=R, run=run)


# ====================================================================================== statistics

@dataclass
class OverlapStats:
    """Per temperature and group, (n_T, n_groups) arrays (see the module docstring for errors).

    q_mean <q>, q2 <q²>, q4 <q⁴>, q_abs <|q|>, q_ea sqrt(<q²>), binder ½(3 - <q⁴>/<q²>²), each
    with ``*_err`` = max(binning jackknife, run jackknife) (NaN-aware); ``err_bins`` and
    ``err_runs`` hold both, by name. q2_free = 1/n (T = ∞ value, the finite-size floor).
    q2_drift: <q²> of the later half of every run's samples minus that of the earlier half,
    with its error: an equilibration check (several error bars away from 0: still relaxing).
    n_items: (sample, pair) items per temperature; n_bins, bin_size (samples per bin),
    n_runs: jackknife units.
    """

    q_mean: np.ndarray
    q_mean_err: np.ndarray
    q2: np.ndarray
    q2_err: np.ndarray
    q4: np.ndarray
    q4_err: np.ndarray
    q_abs: np.ndarray
    q_abs_err: np.ndarray
    q_ea: np.ndarray
    q_ea_err: np.ndarray
    binder: np.ndarray
    binder_err: np.ndarray
    q2_free: np.ndarray
    q2_drift: np.ndarray
    q2_drift_err: np.ndarray
    err_bins: dict
    err_runs: dict
    n_items: int
    n_bins: int
    bin_size: int
    n_runs: int


def binder_cumulant(q2, q4):
    """g = ½ (3 - <q⁴>/<q²>²): 0 for a Gaussian P(q), 1 for two delta peaks at ±q_EA (arrays or numbers)."""
    q2 = np.asarray(q2, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 0.5 * (3.0 - np.asarray(q4, dtype=np.float64) / q2 ** 2)


def _estimates(means):
    """means (..., 4) of (q, q², q⁴, |q|) -> dict of estimator arrays (...)."""
    q, q2, q4, qa = (means[..., k] for k in range(4))
    with np.errstate(invalid="ignore"):
        return {"q_mean": q, "q2": q2, "q4": q4, "q_abs": qa, "q_ea": np.sqrt(q2), "binder": binder_cumulant(q2, q4)}


def _jackknife(sums, counts, fn):
    """Delete-one-unit jackknife: sums (U, ...) and counts (U,) of items; fn(means) -> dict of arrays.

    Returns (errors, bias-corrected estimates U θ - (U-1) mean(θ_(i)), number of usable units),
    dicts by estimator name. Both use only the items inside the units. Units whose removal
    leaves no item are skipped; fewer than 2 usable units give NaN.
    """
    total, n = sums.sum(axis=0), counts.sum()
    keep = counts < n
    U = int(keep.sum())
    if U < 2:
        nan = {k: np.full(np.shape(v), np.nan) for k, v in fn(np.full(total.shape, np.nan)).items()}
        return nan, nan, U
    whole = fn(total / n)
    left = (total[None] - sums[keep]) / (n - counts[keep]).reshape((-1,) + (1,) * (sums.ndim - 1))
    est = fn(left)
    errs, corrected = {}, {}
    for k, v in est.items():
        m = v.mean(axis=0)
        errs[k] = np.sqrt((U - 1) / U * ((v - m) ** 2).sum(axis=0))
        corrected[k] = U * whole[k] - (U - 1) * m
    return errs, corrected, U


def _bins(run: np.ndarray, min_bins: int):
    """Bin label per sample (-1: dropped) for bins of b consecutive samples within each run.

    b is the largest power of two that leaves at least ``min_bins`` bins over all runs; the
    earliest samples of a run that do not fill a bin are dropped. Returns (label, n_bins, b).
    """
    runs, counts = np.unique(run, return_counts=True)
    b = 1
    while sum(int(c) // (2 * b) for c in counts) >= min_bins:
        b *= 2
    label = np.full(run.size, -1, np.int64)
    next_label = 0
    for r in runs:
        idx = np.flatnonzero(run == r)  # in sample order
        nb = idx.size // b
        drop = idx.size - nb * b
        label[idx[drop:]] = next_label + np.arange(nb * b) // b
        next_label += nb
    return label, next_label, b


class _Units:
    """Jackknife units of a set of overlaps: time bins (all pairs at those times) and runs."""

    def __init__(self, ov: Overlaps, min_bins: int):
        self.label, self.n_bins, self.bin_size = _bins(ov.run, min_bins)
        self.runs, self.run_idx = np.unique(ov.run, return_inverse=True)
        S = ov.n_samples
        ok = self.label >= 0
        # sums over the samples of a bin / a run as sparse one-hot products (no big temporaries)
        self.to_bins = sp.csr_matrix((np.ones(int(ok.sum())), (self.label[ok], np.flatnonzero(ok))),
                                     shape=(self.n_bins, S))
        self.to_runs = sp.csr_matrix((np.ones(S), (self.run_idx, np.arange(S))), shape=(self.runs.size, S))
        self.bin_counts = np.asarray(self.to_bins.sum(axis=1)).ravel() * ov.n_pairs
        self.run_counts = np.asarray(self.to_runs.sum(axis=1)).ravel() * ov.n_pairs

    @staticmethod
    def _sum(matrix, per_sample):
        tail = per_sample.shape[1:]
        flat = per_sample.reshape(per_sample.shape[0], int(np.prod(tail)))
        return np.asarray(matrix @ flat).reshape((matrix.shape[0],) + tail)

    def errors(self, per_sample, fn):
        """(err_bins, err_runs, bias-corrected estimates over the bins) of the estimators ``fn``.

        ``per_sample`` (S, ...): sums over the pairs of each sample.
        """
        err_b, corrected, _ = _jackknife(self._sum(self.to_bins, per_sample), self.bin_counts, fn)
        err_r, _, _ = _jackknife(self._sum(self.to_runs, per_sample), self.run_counts, fn)
        return err_b, err_r, corrected


def overlap_stats(ov: Overlaps, *, min_bins: int = MIN_BINS) -> OverlapStats:
    """<q>, <q²>, <q⁴>, <|q|>, q_EA = sqrt(<q²>), Binder g per temperature and group, with errors.

    Pooled over all samples and pairs; errors by the two jackknives of the module docstring.
    With no samples every value is NaN.
    """
    if not isinstance(ov, Overlaps):
        raise expected("overlaps", "an Overlaps (from overlaps_from_samples)", type(ov).__name__)
    min_bins = integer("min_bins", min_bins, low=2)
    n_t, G = ov.n_temperatures, ov.n_groups
    units = _Units(ov, min_bins)
    per_sample = moment_sums(ov.agree, ov.sizes)  # (S, T, G, 4)
    n_items = ov.n_samples * ov.n_pairs
    full = _estimates(per_sample.sum(axis=0) / n_items if n_items else np.full((n_t, G, 4), np.nan))
    err_b, err_r, corrected = units.errors(per_sample, _estimates)
    if units.n_bins >= 2:  # jackknife bias correction of the nonlinear Binder ratio (over the binned samples)
        full["binder"] = corrected["binder"]
    comb = {k: np.fmax(err_b[k], err_r[k]) for k in full}
    drift, drift_err = _drift(ov, units, per_sample[..., 1])
    return OverlapStats(
        q_mean=full["q_mean"], q_mean_err=comb["q_mean"], q2=full["q2"], q2_err=comb["q2"], q4=full["q4"],
        q4_err=comb["q4"], q_abs=full["q_abs"], q_abs_err=comb["q_abs"], q_ea=full["q_ea"], q_ea_err=comb["q_ea"],
        binder=full["binder"], binder_err=comb["binder"], q2_free=np.tile(1.0 / ov.sizes, (n_t, 1)),
        q2_drift=drift, q2_drift_err=drift_err, err_bins=err_b, err_runs=err_r, n_items=n_items,
        n_bins=units.n_bins, bin_size=units.bin_size, n_runs=ov.n_runs)


def _later_half(run: np.ndarray) -> np.ndarray:
    """(S,) bool: the sample is in the later half of its run's samples (in sample order)."""
    out = np.zeros(run.size, dtype=bool)
    for r in np.unique(run):
        idx = np.flatnonzero(run == r)
        out[idx[idx.size // 2:]] = True
    return out


def _drift(ov: Overlaps, units: _Units, q2_sums):
    """<q²>(later halves) - <q²>(earlier halves) and its error (the larger jackknife).

    q2_sums (S, T, G): per-sample sums over pairs of q². The difference of two ratios is
    jackknifed from per-sample columns (x·early, early, x·late, late), so leaving out a unit
    updates both halves consistently.
    """
    late = _later_half(ov.run)[:, None, None].astype(np.float64)
    early = 1.0 - late
    P = float(ov.n_pairs)
    cols = np.stack([q2_sums * early, np.broadcast_to(early * P, q2_sums.shape),
                     q2_sums * late, np.broadcast_to(late * P, q2_sums.shape)], axis=-1)

    def fn(m):
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"d": m[..., 2] / m[..., 3] - m[..., 0] / m[..., 1]}

    total = cols.sum(axis=0)
    eb, er, _ = units.errors(cols, fn)
    return fn(total)["d"], np.fmax(eb["d"], er["d"])


def _histogram_units(ov: Overlaps, g: int, t: int, min_bins: int):
    """(units, per-sample counts (S, n+1) of k agreeing spins over the pairs) for group g at temperature t."""
    W = int(ov.sizes[g]) + 1
    per_sample = np.zeros((ov.n_samples, W))
    flat = np.arange(ov.n_samples) * W
    for p in range(ov.n_pairs):
        per_sample += np.bincount(flat + ov.agree[:, p, t, g], minlength=ov.n_samples * W).reshape(-1, W)
    return _Units(ov, min_bins), per_sample


def overlap_histogram(ov: Overlaps, layer: int, t_index: int, *, min_bins: int = MIN_BINS):
    """P(q) of group ``layer`` at temperature index ``t_index`` on the exact grid q = 2k/n - 1.

    Returns (q (n+1,), counts (n+1,), probability (n+1,), probability_err (n+1,)); each
    probability is the mean of an indicator over all (sample, pair) items, its error the larger
    of the two jackknives.
    """
    if not isinstance(ov, Overlaps):
        raise expected("overlaps", "an Overlaps (from overlaps_from_samples)", type(ov).__name__)
    g = _group_index(ov, layer)
    t = _t_index(ov.n_temperatures, t_index)
    min_bins = integer("min_bins", min_bins, low=2)
    n = int(ov.sizes[g])
    units, per_sample = _histogram_units(ov, g, t, min_bins)
    counts = per_sample.sum(axis=0)
    total = counts.sum()
    prob = counts / total if total else np.full(n + 1, np.nan)
    eb, er, _ = units.errors(per_sample, lambda m: {"p": m})
    return overlap_grid(n), counts, prob, np.fmax(eb["p"], er["p"])


def _t_index(n_t: int, t_index) -> int:
    return integer("t_index", t_index, low=-n_t, high=n_t - 1) % n_t


def _group_index(ov: Overlaps, layer) -> int:
    if isinstance(layer, str):
        if layer not in ov.names:
            raise expected("layer", f"one of {ov.names}", layer)
        return ov.names.index(layer)
    G = ov.n_groups
    return integer("layer", layer, low=-1, high=G - 2) % G


def free_overlap_distribution(n: int):
    """Exact P(q) of n independent spins (T = ∞): k agreeing spins ~ Binomial(n, ½).

    Returns (q (n+1,), probability (n+1,)); <q²> = 1/n, <q⁴> = 3/n² - 2/n³, g = 1/n.
    """
    n = integer("n", n, low=1)
    k = np.arange(n + 1)
    log_p = (math.lgamma(n + 1) - np.array([math.lgamma(i + 1) + math.lgamma(n - i + 1) for i in k])
             - n * math.log(2.0))
    return overlap_grid(n), np.exp(log_p)


# ====================================================================================== tempering

@dataclass
class ReplicaResult:
    """Overlaps from independent parallel-tempering runs (:func:`replica_overlaps`).

    T (n_T,) the ladder; overlaps (:class:`Overlaps`, samples of all runs); per run
    (n_runs, ...): swap_acceptance (n_runs, n_T-1), U (n_runs, n_T) mean total energy,
    sweeps (n_runs,) measured sweeps, run_ids (n_runs,) ``(seed entropy, run index)``;
    n_burn burn-in sweeps per run; n_spins, model_name, has_fields, sampler; stopped when
    a callback ended the work early; seconds of sampling.
    """

    T: np.ndarray
    overlaps: Overlaps
    swap_acceptance: np.ndarray
    U: np.ndarray
    sweeps: np.ndarray
    run_ids: list
    n_burn: int
    n_spins: int
    model_name: str
    has_fields: bool
    sampler: str
    stopped: bool = False
    seconds: float = 0.0

    @property
    def temperatures(self) -> np.ndarray:
        return self.T

    @property
    def n_runs(self) -> int:
        return len(self.run_ids)

    @property
    def n_replicas(self) -> int:
        return self.overlaps.n_replicas

    @property
    def layer_names(self) -> list:
        return list(self.overlaps.names)

    @property
    def sizes(self) -> np.ndarray:
        return self.overlaps.sizes

    @cached_property
    def stats(self) -> OverlapStats:
        return overlap_stats(self.overlaps)

    def pq(self, layer=ALL, t_index: int = 0):
        """P(q) of ``layer`` (index, -1 = whole network, or a name) at temperature ``T[t_index]``.

        A DataFrame on the exact grid: q, k (agreeing spins), count, probability,
        probability_err (jackknife), probability_free (independent spins, T = ∞).
        """
        import pandas as pd

        q, counts, prob, err = overlap_histogram(self.overlaps, layer, t_index)
        g = _group_index(self.overlaps, layer)
        return pd.DataFrame({"q": q, "k": np.arange(q.size), "count": counts.astype(np.int64),
                             "probability": prob, "probability_err": err,
                             "probability_free": free_overlap_distribution(int(self.sizes[g]))[1]})

    def central_weight(self, layer=ALL, t_index: int = 0, cut=None):
        """Weight of P(q) between the peaks, P(|q| < cut) (default cut = q_EA/2), with its error.

        Returns (weight, error, cut). It vanishes with N in a replica-symmetric ordered phase
        and stays finite under replica symmetry breaking; one size cannot decide which.
        """
        ov = self.overlaps
        g = _group_index(ov, layer)
        t = _t_index(self.T.size, t_index)
        cut = 0.5 * float(self.stats.q_ea[t, g]) if cut is None else positive("cut", cut)
        n = int(ov.sizes[g])
        inside = (np.abs(overlap_grid(n)) < cut).astype(np.float64)
        units, per_sample = _histogram_units(ov, g, t, MIN_BINS)
        eb, er, _ = units.errors(per_sample, lambda m: {"w": m @ inside})
        counts = per_sample.sum(axis=0)
        total = counts.sum()
        weight = float(counts @ inside / total) if total else math.nan
        return weight, float(np.fmax(eb["w"], er["w"])), cut

    def merge(self, other: "ReplicaResult") -> "ReplicaResult":
        """Both results' runs pooled (same ladder and groups; the same run twice is refused)."""
        if not isinstance(other, ReplicaResult):
            raise expected("other", "a ReplicaResult", type(other).__name__)
        if self.T.shape != other.T.shape or not np.allclose(self.T, other.T, rtol=1e-12, atol=0):
            raise expected("other", f"the same temperatures ({self.T.size} from {self.T[0]:.4g})",
                           f"{other.T.size} from {other.T[0]:.4g}")
        dup = set(map(tuple, self.run_ids)) & set(map(tuple, other.run_ids))
        if dup:
            raise expected("other", "runs not already in this result", f"run(s) {sorted(dup)} twice")
        return ReplicaResult(
            T=self.T, overlaps=self.overlaps.merge(other.overlaps),
            swap_acceptance=np.concatenate([self.swap_acceptance, other.swap_acceptance]),
            U=np.concatenate([self.U, other.U]), sweeps=np.concatenate([self.sweeps, other.sweeps]),
            run_ids=list(self.run_ids) + list(other.run_ids), n_burn=self.n_burn, n_spins=self.n_spins,
            model_name=self.model_name, has_fields=self.has_fields, sampler=self.sampler,
            stopped=self.stopped or other.stopped, seconds=self.seconds + other.seconds)

    def to_frame(self):
        """Long table, one row per (temperature, group): T, t_index, layer (-1 = whole network),
        layer_name, n_spins, every estimator with ``*_err`` (the larger jackknife) and the two
        jackknife errors (bins, runs) of q2 and binder, q2_free = 1/n, q2_drift and q2_drift_err
        (equilibration check), swap_acceptance_next (mean over runs, NaN on the last temperature),
        n_samples, n_pairs, n_runs."""
        import pandas as pd

        st = self.stats
        n_t, G = self.T.size, self.overlaps.n_groups
        layer = np.where(np.arange(G) == G - 1, -1, np.arange(G))
        swap = np.append(np.nanmean(self.swap_acceptance, axis=0) if self.n_runs else np.full(n_t - 1, np.nan),
                         np.nan)
        cols = {"T": np.repeat(self.T, G), "t_index": np.repeat(np.arange(n_t), G), "layer": np.tile(layer, n_t),
                "layer_name": np.tile(np.asarray(self.layer_names, dtype=object), n_t),
                "n_spins": np.tile(self.sizes, n_t)}
        for name in ("q_ea", "q_abs", "q2", "q4", "q_mean", "binder"):
            cols[name] = getattr(st, name).ravel()
            cols[name + "_err"] = getattr(st, name + "_err").ravel()
        for name in ("q2", "binder"):
            cols[name + "_err_bins"] = st.err_bins[name].ravel()
            cols[name + "_err_runs"] = st.err_runs[name].ravel()
        cols["q2_free"] = st.q2_free.ravel()
        cols["q2_drift"] = st.q2_drift.ravel()
        cols["q2_drift_err"] = st.q2_drift_err.ravel()
        cols["swap_acceptance_next"] = np.repeat(swap, G)
        cols["n_samples"] = self.overlaps.n_samples
        cols["n_pairs"] = self.overlaps.n_pairs
        cols["n_runs"] = self.n_runs
        return pd.DataFrame(cols)


def layer_names(model: IsingModel) -> list:
    """"input", "hidden 1", ..., "output" for a layered model; "all spins" is added by the overlaps."""
    if not model.is_layered:
        return []
    L = len(model.layer_sizes) - 1
    return ["input"] + [f"hidden {k}" for k in range(1, L)] + ["output"]


def _entropy(seed) -> int:
    """The integer every run seed derives from (an int seed is used as is)."""
    if isinstance(seed, (numbers.Integral, np.integer)) and not isinstance(seed, bool):
        return integer("seed", seed, low=0)
    return int(as_generator(seed).integers(0, 2**63))


def run_generator(entropy: int, run_index: int) -> np.random.Generator:
    """The generator of run ``run_index``: SeedSequence(entropy, spawn_key=(run_index,)).

    Run k of a seed is the same whatever ``n_runs`` and ``first_run`` it was asked in, so a
    page can add runs one at a time and get the numbers of a single call.
    """
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(int(run_index),)))


def _default_keep(n_sweeps: int, R: int, n_t: int, N: int) -> int:
    keep = max(1, n_sweeps // 2)  # every second sweep: the block heat-bath decorrelates in ~1 sweep at high T
    return int(max(1, min(keep, MAX_SAMPLE_BYTES // max(R * n_t * N, 1))))


def replica_overlaps(model, temperatures, n_sweeps, *, n_replicas=4, n_burn=None, keep_samples=None, n_runs=1,
                     first_run=0, seed=None, callback: Callback = None, sampler="auto",
                     n_threads=None) -> ReplicaResult:
    """Layer-wise replica overlaps from ``n_runs`` independent parallel-tempering runs.

    Each run is :func:`engine.montecarlo.parallel_tempering` of ``n_replicas`` (>= 2)
    independent chains over the ladder ``temperatures`` (``n_burn`` burn-in sweeps, default
    ``n_sweeps // 4``, then ``n_sweeps`` measured), keeping ``keep_samples`` configurations
    per chain and temperature (default every second sweep); the overlaps of all R(R-1)/2
    pairs of chains are computed at every kept sample (:func:`overlaps_from_samples`, groups
    = the model's layers + the whole network). Run k draws from :func:`run_generator`
    (seed, k), k = ``first_run`` ... ``first_run + n_runs - 1``.

    ``callback`` gets :class:`engine.progress.Progress` (``data``: the partial
    :class:`ReplicaResult` once samples exist); returning True stops and returns what was
    sampled (``stopped=True``).
    """
    if not isinstance(model, IsingModel):
        raise expected("model", "an engine.ising.IsingModel", type(model).__name__)
    T = increasing("temperatures", temperatures, positive_values=True)
    n_sweeps = integer("n_sweeps", n_sweeps, low=1)
    n_replicas = integer("n_replicas", n_replicas, low=2)
    n_burn = n_sweeps // 4 if n_burn is None else integer("n_burn", n_burn, low=0)
    n_runs = integer("n_runs", n_runs, low=1)
    first_run = integer("first_run", first_run, low=0)
    sampler = choice("sampler", sampler, SAMPLERS)
    N = model.n_spins
    if keep_samples is None:
        keep = _default_keep(n_sweeps, n_replicas, T.size, N)
    else:
        keep = integer("keep_samples", keep_samples, low=1, high=n_sweeps)
        if keep * n_replicas * T.size * N > MAX_SAMPLE_BYTES:
            raise expected("keep_samples", f"at most {MAX_SAMPLE_BYTES // (n_replicas * T.size * N)} "
                                           f"({MAX_SAMPLE_BYTES / 1e6:g} MB of samples per run)", keep)
    entropy = _entropy(seed)
    slices = model.layer_slices() if model.is_layered else None
    names = layer_names(model)
    per_run = n_burn + n_sweeps
    total = n_runs * per_run
    started = time.perf_counter()
    done: list[ReplicaResult] = []

    def one(pt, k) -> ReplicaResult:
        if pt.samples.shape[0]:
            ov = overlaps_from_samples(pt.samples, slices, names=names, _check_values=False)
        else:
            ov = _empty(slices, names, N, n_replicas, T.size)
        return ReplicaResult(T=T, overlaps=ov, swap_acceptance=pt.swap_acceptance[None].copy(), U=pt.U[None].copy(),
                             sweeps=np.array([pt.n_sweeps]), run_ids=[(entropy, k)], n_burn=n_burn, n_spins=N,
                             model_name=model.name, has_fields=model.has_fields, sampler=pt.sampler,
                             stopped=pt.stopped, seconds=pt.seconds)

    def pooled(extra=None) -> ReplicaResult | None:
        parts = done + ([extra] if extra is not None else [])
        if not parts:
            return None
        out = parts[0]
        for p in parts[1:]:
            out = out.merge(p)
        out.seconds = time.perf_counter() - started
        return out

    stopped = False
    for j in range(n_runs):
        k = first_run + j

        def inner(p, j=j, k=k):
            data = None
            if p.data is not None and p.data.samples.shape[0]:
                data = pooled(one(p.data, k))
            return report(callback, j * per_run + p.done, total, f"run {j + 1} of {n_runs}: {p.message}", data)

        pt = parallel_tempering(model, T, n_sweeps, n_replicas=n_replicas, n_burn=n_burn,
                                seed=run_generator(entropy, k), callback=inner if callback is not None else None,
                                keep_samples=keep, sampler=sampler, n_threads=n_threads)
        if pt.samples.shape[0] or not pt.stopped:
            done.append(one(pt, k))
        if pt.stopped:
            stopped = True
            break
    out = pooled()
    if out is None:  # stopped before the first sample: an empty result
        out = ReplicaResult(T=T, overlaps=_empty(slices, names, N, n_replicas, T.size),
                            swap_acceptance=np.zeros((0, T.size - 1)), U=np.zeros((0, T.size)),
                            sweeps=np.zeros(0, np.int64), run_ids=[], n_burn=n_burn, n_spins=N, model_name=model.name,
                            has_fields=model.has_fields, sampler=sampler, seconds=time.perf_counter() - started)
    out.stopped = stopped
    return out


def _empty(slices, names, N, R, n_t) -> Overlaps:
    starts, stops = _check_slices(slices, N)
    sizes = np.append(stops - starts, N).astype(np.int64)
    return Overlaps(agree=np.zeros((0, R * (R - 1) // 2, n_t, sizes.size), np.int32), sizes=sizes,
                    names=list(names) + ["all spins"], pairs=replica_pairs(R), n_replicas=R, run=np.zeros(0, np.int64))


# ====================================================================================== exact

@dataclass
class ExactOverlaps:
    """Exact overlap statistics of two independent replicas (:func:`exact_overlaps`).

    T (n_T,); sizes (n_groups,) with the whole network last; names; pq: list over groups of
    (n_T, n_g + 1) probabilities on q = 2k/n_g - 1; q_mean, q2, q4, q_abs, q_ea, binder
    (n_T, n_groups).
    """

    T: np.ndarray
    sizes: np.ndarray
    names: list
    pq: list
    q_mean: np.ndarray
    q2: np.ndarray
    q4: np.ndarray
    q_abs: np.ndarray
    q_ea: np.ndarray
    binder: np.ndarray

    def grid(self, layer=ALL) -> np.ndarray:
        n = int(self.sizes[layer])
        return overlap_grid(n)


def walsh_hadamard(a) -> np.ndarray:
    """Unnormalised Walsh-Hadamard transform of a length-2^n vector: (Ha)(u) = Σ_c (-1)^{popcount(u & c)} a(c)."""
    a = np.array(a, dtype=np.float64)
    n = a.size
    if n & (n - 1):
        raise expected("a", "a length that is a power of 2", n)
    h = 1
    while h < n:
        v = a.reshape(-1, 2, h)
        a = np.concatenate([v[:, :1] + v[:, 1:], v[:, :1] - v[:, 1:]], axis=1).reshape(n)
        h *= 2
    return a


def exact_overlaps(model, temperatures) -> ExactOverlaps:
    """Exact P(q^(l)) and moments of two independent replicas, by enumerating all 2^N states (N <= 22).

    With Boltzmann weights p(c) ∝ exp(-E(c)/T) (:func:`engine.exact.exact_energies`; bit i of c
    set means s_i = -1), the disagreement pattern x = c ⊕ c' has P(x) = Σ_c p(c) p(c ⊕ x)
    = H[(Hp)²] / 2^N (H the Walsh-Hadamard transform), and q_g(x) = 1 - 2 popcount(x & m_g)/n_g.
    """
    from .exact import exact_energies

    if not isinstance(model, IsingModel):
        raise expected("model", "an engine.ising.IsingModel", type(model).__name__)
    if model.n_spins > MAX_EXACT_SPINS:
        raise expected("model", f"at most {MAX_EXACT_SPINS} spins for exact overlaps (2^N states)",
                       f"N = {model.n_spins}")
    T = increasing("temperatures", np.atleast_1d(np.asarray(temperatures, dtype=np.float64)), positive_values=True)
    N = model.n_spins
    E = exact_energies(model)
    slices = model.layer_slices() if model.is_layered else []
    starts, stops = _check_slices(slices, N)
    starts, stops = np.append(starts, 0), np.append(stops, N)
    sizes = (stops - starts).astype(np.int64)
    x = np.arange(1 << N, dtype=np.uint64)
    disagree = [np.bitwise_count(x & np.uint64(((1 << int(b)) - 1) ^ ((1 << int(a)) - 1))).astype(np.int64)
                for a, b in zip(starts, stops)]
    pq = [np.zeros((T.size, int(n) + 1)) for n in sizes]
    for t, temp in enumerate(T):
        w = np.exp(-(E - E.min()) / temp)
        p = w / w.sum()
        px = walsh_hadamard(walsh_hadamard(p) ** 2) / p.size
        px = np.clip(px, 0.0, None)  # round-off can leave -1e-17
        px /= px.sum()
        for g, d in enumerate(disagree):
            counts = np.bincount(d, weights=px, minlength=int(sizes[g]) + 1)
            pq[g][t] = counts[::-1]  # index k = agreeing spins = n - disagreeing
    moments = np.zeros((T.size, sizes.size, 4))
    for g, n in enumerate(sizes):
        q = overlap_grid(n)
        moments[:, g] = pq[g] @ _moments(q)
    est = _estimates(moments)
    return ExactOverlaps(T=T, sizes=sizes, names=layer_names(model) + ["all spins"], pq=pq, q_mean=est["q_mean"],
                         q2=est["q2"], q4=est["q4"], q_abs=est["q_abs"], q_ea=est["q_ea"], binder=est["binder"])


# ====================================================================================== warm-up

def _warm() -> None:
    """Compile or load the kernel on a tiny problem (called by :mod:`engine.warm`)."""
    moment_sums(np.zeros((1, 1, 1, 1), np.int32), np.array([3]))
    agreement_counts(np.ones((1, 2, 1, 3), np.int8), replica_pairs(2), np.array([0]), np.array([3]))


__all__ = ["ALL", "Overlaps", "OverlapStats", "ReplicaResult", "ExactOverlaps", "overlaps_from_samples",
           "overlap_stats", "overlap_histogram", "binder_cumulant", "free_overlap_distribution", "replica_pairs",
           "replica_overlaps", "run_generator", "overlap_grid", "exact_overlaps", "walsh_hadamard", "layer_names",
           "agreement_counts", "agreement_counts_reference", "moment_sums", "moment_sums_reference", "moment_table"]
