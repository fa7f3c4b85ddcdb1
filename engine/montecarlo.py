"""Monte Carlo for the Ising model of a network: samplers, parallel tempering, quench, anneal.

The model (Stosic, Stosic & Stosic, "Ising models of deep neural networks", arXiv:2209.08678;
PHYSICS.md sections 1 and 3) is ``E(s) = -Σ_{i<j} J_ij s_i s_j - Σ_i b_i s_i`` on spins ±1
(:class:`engine.ising.IsingModel`); temperatures are in the units of the couplings (k_B = 1).

Samplers (numba kernels in :mod:`engine.kernels.spin_flip` and :mod:`engine.kernels.block`):

* :func:`metropolis`, :func:`heat_bath` -- single-spin updates with cached local fields
  ``h_i = Σ_j J_ij s_j + b_i``, ``ΔE = 2 s_i h_i``, in *sequential* sweeps (spins 0..N-1 in
  order; cheaper than random site choice, and like it leaves the Boltzmann law invariant:
  global balance). Layered models stream rows of W_l and W_lᵀ; other graphs use CSR.
  ``heat_bath(..., block=True)`` samples whole layers at once (layered models only): given the
  odd layers the even layers are independent, so a sweep is "all even layers, then all odd
  layers", each a matrix product over all replicas (a GEMM, float32) and a heat-bath draw
  ``P(s_i=+1) = 1/(1+e^{-2h_i/T})``.
* :func:`parallel_tempering` -- ``n_replicas`` independent chains, each over a ladder of
  temperatures; after every sweep neighbouring temperatures try to swap (deterministic
  even-odd rounds: pairs (0,1),(2,3),... after even sweeps, (1,2),(3,4),... after odd ones;
  Hukushima & Nemoto, J. Phys. Soc. Jpn. 65, 1604 (1996); Okabe et al., Chem. Phys. Lett. 335,
  435 (2001)). Layered models use the block heat-bath, other graphs single-spin Metropolis.
* :func:`quench` -- greedy zero-temperature single-spin flips (flip only if E strictly falls)
  until no flip lowers E: a local minimum. From all spins +1 by default, as the paper.
* :func:`anneal` -- geometric cooling of many replicas, then a quench; best of the replicas
  estimates the ground state.

Errors of thermal averages (:func:`thermal_averages`): the measured energies of each chain
and temperature are cut into B bins of b consecutive sweeps (b the largest power of two that
leaves at least ``min_bins`` = 32 bins over all chains); bins of all chains are pooled.
``U = <E>`` with error std(bin means)/sqrt(B); the specific heat ``C = (<E²> - <E>²)/T²``
(total, not per spin: divide by N for per spin) and its error come from a jackknife over the
same bins (bias-corrected). ``tau_int = b var(bin means) / (2 var(E))`` estimates the
integrated autocorrelation time in sweeps (0.5 for independent samples); error bars are
trustworthy when the bins are long compared with it (``n_independent`` >~ 100).

Randomness: every function takes ``seed``; each row (replica at one temperature) and each
chain's swap decisions own a xoshiro256+ stream seeded from it, so results for a seed do not
depend on the number of threads (chains run in parallel threads; the kernels release the GIL).
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import expected
from .ising import IsingModel
from .kernels import block as _block
from .kernels import spin_flip as _sf
from .kernels.rng import seeded_state
from .progress import Callback, report
from .random import as_generator, kernel_seeds
from .threads import run_rows, thread_count
from .validation import choice, finite_array, increasing, integer, positive

#: Fewest bins over all chains used for error bars (see :func:`thermal_averages`).
MIN_BINS = 32
#: Fewest spin updates in one kernel call worth handing to threads (a hand-off costs ~0.1 ms);
#: the numbers do not depend on it.
MIN_UPDATES_FOR_THREADS = 200_000
#: Largest energy trace + samples a tempering run may hold in memory (bytes).
MAX_RECORD_BYTES = 1_000_000_000
SAMPLERS = ("auto", "block", "metropolis", "heat_bath")


# ====================================================================================== results

@dataclass
class SamplingResult:
    """Result of :func:`metropolis` or :func:`heat_bath` (shapes for R replicas; no R axis if one).

    spins (R, N) int8 final configurations; energies (R, n_sweeps) total energy after each
    sweep; initial_energy (R,); acceptance (R,) accepted / attempted single-spin flips (for
    heat-bath: the fraction of spin updates that changed the spin); temperature (R,).
    Energies of the block sampler carry float32 rounding (~1e-7 relative).
    """

    spins: np.ndarray
    energies: np.ndarray
    initial_energy: np.ndarray
    acceptance: np.ndarray
    temperature: np.ndarray
    n_spins: int
    method: str
    seconds: float = 0.0

    @property
    def energy(self):
        """Energy of the final configuration(s)."""
        return self.energies[..., -1]

    @property
    def energies_per_spin(self) -> np.ndarray:
        return self.energies / self.n_spins

    def to_frame(self):
        """Long table: replica, sweep (1..n_sweeps), temperature, energy, energy per spin."""
        import pandas as pd

        E = np.atleast_2d(self.energies)
        R, n = E.shape
        T = np.broadcast_to(np.atleast_1d(self.temperature), (R,))
        return pd.DataFrame({
            "replica": np.repeat(np.arange(R), n), "sweep": np.tile(np.arange(1, n + 1), R),
            "temperature": np.repeat(T, n), "energy": E.ravel(), "energy_per_spin": E.ravel() / self.n_spins,
        })


@dataclass
class ThermalAverages:
    """Per-temperature averages from energy series, errors by binning (see module docstring).

    T, U, U_err, C, C_err, tau_int, n_independent: (n_T,); U, C are totals (per spin: / N).
    bin_size: sweeps per bin; n_bins: bins pooled over chains; u_err_by_level (n_levels, n_T):
    the error of U for bin sizes 1, 2, 4, ... (a plateau means the bins are long enough).
    """

    T: np.ndarray
    U: np.ndarray
    U_err: np.ndarray
    C: np.ndarray
    C_err: np.ndarray
    tau_int: np.ndarray
    n_independent: np.ndarray
    bin_size: int
    n_bins: int
    u_err_by_level: np.ndarray


@dataclass
class TemperingResult:
    """Result of :func:`parallel_tempering`.

    T (n_T,) the ladder; U, U_err, C, C_err (n_T,) mean energy and specific heat, totals
    (``*_per_spin`` divide by N); tau_int, n_independent (n_T,) from the binning analysis;
    swap_acceptance (n_T-1,) for the pairs (T_k, T_k+1), pooled over chains, measured after
    burn-in; spins (n_replicas, n_T, N) int8 final configurations by temperature; samples
    (n_samples, n_replicas, n_T, N) int8 evenly spaced over the measured sweeps, by temperature
    (``sample_sweeps`` gives their sweep index after burn-in); energies (n_burn + n_sweeps,
    n_replicas, n_T) the whole energy trace by temperature; n_burn, n_sweeps the burn-in and
    measured sweeps actually run; stopped when the callback ended the run early.
    """

    T: np.ndarray
    U: np.ndarray
    U_err: np.ndarray
    C: np.ndarray
    C_err: np.ndarray
    tau_int: np.ndarray
    n_independent: np.ndarray
    swap_acceptance: np.ndarray
    spins: np.ndarray
    samples: np.ndarray
    sample_sweeps: np.ndarray
    energies: np.ndarray
    n_spins: int
    n_burn: int
    n_sweeps: int
    sampler: str
    bin_size: int
    n_bins: int
    u_err_by_level: np.ndarray = field(repr=False)
    stopped: bool = False
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def temperatures(self) -> np.ndarray:
        return self.T

    @property
    def u_per_spin(self) -> np.ndarray:
        return self.U / self.n_spins

    @property
    def u_err_per_spin(self) -> np.ndarray:
        return self.U_err / self.n_spins

    @property
    def c_per_spin(self) -> np.ndarray:
        return self.C / self.n_spins

    @property
    def c_err_per_spin(self) -> np.ndarray:
        return self.C_err / self.n_spins

    @property
    def measured_energies(self) -> np.ndarray:
        """(n_sweeps, n_replicas, n_T) energies after burn-in."""
        return self.energies[self.n_burn:]

    def to_frame(self):
        """One row per temperature: U, C (total and per spin) with errors, tau_int, swap acceptance
        to the next temperature (NaN on the last row)."""
        import pandas as pd

        N = self.n_spins
        return pd.DataFrame({
            "T": self.T, "U": self.U, "U_err": self.U_err, "C": self.C, "C_err": self.C_err,
            "U_per_spin": self.U / N, "U_err_per_spin": self.U_err / N,
            "C_per_spin": self.C / N, "C_err_per_spin": self.C_err / N,
            "tau_int": self.tau_int, "n_independent": self.n_independent,
            "swap_acceptance_next": np.append(self.swap_acceptance, np.nan),
        })


@dataclass
class QuenchResult:
    """Result of :func:`quench` (no R axis for a single start).

    spins (R, N) int8 local minima; energy (R,) their energies; n_sweeps (R,) sweeps until no
    spin flipped (the last sweep checks); converged (R,) False if ``max_sweeps`` ran out.
    """

    spins: np.ndarray
    energy: np.ndarray
    n_sweeps: np.ndarray
    converged: np.ndarray
    n_spins: int

    @property
    def energy_per_spin(self):
        return self.energy / self.n_spins

    def to_frame(self):
        import pandas as pd

        one = np.atleast_1d
        return pd.DataFrame({"energy": one(self.energy), "energy_per_spin": one(self.energy_per_spin),
                             "n_sweeps": one(self.n_sweeps), "converged": one(self.converged)})


@dataclass
class AnnealResult:
    """Result of :func:`anneal`.

    spins (R, N) int8 and energies (R,): each replica after cooling and a final quench;
    best_spins (N,), best_energy: the lowest of them (a ground-state estimate, an upper bound
    on E_min); schedule (n_sweeps,) the temperature of each sweep; trace (R, n_sweeps) the
    energy after each sweep of the cooling.
    """

    spins: np.ndarray
    energies: np.ndarray
    best_spins: np.ndarray
    best_energy: float
    schedule: np.ndarray
    trace: np.ndarray
    n_spins: int
    stopped: bool = False
    seconds: float = 0.0

    @property
    def best_energy_per_spin(self) -> float:
        return self.best_energy / self.n_spins

    def to_frame(self):
        """Cooling curve: sweep, temperature, best and mean energy over replicas (total and per spin)."""
        import pandas as pd

        n = self.trace.shape[1]
        return pd.DataFrame({
            "sweep": np.arange(1, n + 1), "temperature": self.schedule[:n],
            "energy_min": self.trace.min(axis=0), "energy_mean": self.trace.mean(axis=0),
            "energy_min_per_spin": self.trace.min(axis=0) / self.n_spins,
            "energy_mean_per_spin": self.trace.mean(axis=0) / self.n_spins,
        })


# ====================================================================================== chains

_BLAS = None


def _one_blas_thread():
    """A context that keeps BLAS single-threaded while our own threads run GEMMs side by side."""
    global _BLAS
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    if _BLAS is None:
        import scipy.linalg.cython_blas  # noqa: F401  (the BLAS numba calls must be loaded first)

        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


class _Chains:
    """Kernel state of C independent chains of P rows on one model (internal).

    Rows own random streams and inverse temperatures; ``pos_of_temp[c, k]`` is the row of
    chain c at the k-th temperature (tempering swaps permute it). ``kind`` is "layered" or
    "csr" (single-spin ``rule``) or "block" (block heat-bath).
    """

    def __init__(self, model: IsingModel, spins, betas, rng, kind: str, rule: int = _sf.METROPOLIS,
                 n_threads=None):
        C, P, N = spins.shape
        self.model, self.kind, self.rule = model, kind, rule
        self.shape = (C, P, N)
        seeds = kernel_seeds(rng, C * P + C)
        states = np.stack([seeded_state(s) for s in seeds])
        self.rng = np.ascontiguousarray(states[:C * P].reshape(C, P, 4))
        self.swap_rng = np.ascontiguousarray(states[C * P:])
        self.betas = np.ascontiguousarray(betas, dtype=np.float64).reshape(C, P).copy()
        self.pos = np.tile(np.arange(P, dtype=np.int64), (C, 1))
        self.swap_acc = np.zeros((C, max(P - 1, 0)), dtype=np.int64)
        self.swap_att = np.zeros_like(self.swap_acc)
        self.flips = np.zeros((C, P), dtype=np.int64)
        self.n_done = np.zeros(C, dtype=np.int64)
        self.t = 0
        flat = spins.reshape(C * P, N)
        if kind == "block":
            self.e = np.asarray(model.energy(flat), dtype=np.float64).reshape(C, P).copy()
            self.w, self.wt, self.w_off, self.offsets = _sf.pack_layers(model, _block.DTYPE)
            self.x = _block.to_block_layout(spins, self.offsets)
            self.a = np.zeros((C, P * max(model.layer_sizes)), dtype=_block.DTYPE)
            self.b = np.zeros_like(self.a)
        else:
            self.spins = np.ascontiguousarray(spins, dtype=np.int8).copy()
            h = model.local_fields(flat)
            self.h = np.ascontiguousarray(h.reshape(C, P, N))
            # E = -½ Σ s_i (h_i - b_i) - Σ b_i s_i from the fields just computed
            self.e = (-0.5 * np.einsum("ri,ri->r", flat, h + model.fields)).reshape(C, P)
            if kind == "layered":  # float32 when that is exact (IsingModel.kernel_data): the same numbers
                self.w, self.wt, self.w_off, self.offsets = _sf.pack_layers(model, model.kernel_data.dtype)
        self.n_threads = thread_count(C, n_threads)

    def run(self, n_sweeps: int, *, do_swap=False, scale=None, trace=None, sample_at=None, samples=None):
        """``n_sweeps`` sweeps of every chain (optionally with swaps); fills trace[:n_sweeps]."""
        C, P, N = self.shape
        scale = np.ones(n_sweeps) if scale is None else np.ascontiguousarray(scale, dtype=np.float64)
        trace = np.empty((0, C, P)) if trace is None else trace
        sample_at = np.full(n_sweeps, -1, dtype=np.int64) if sample_at is None else sample_at
        samples = np.empty((0, C, P, N), dtype=np.int8) if samples is None else samples
        tail = (self.pos, self.swap_rng, self.swap_acc, self.swap_att, bool(do_swap), self.t, trace,
                sample_at, samples)
        if self.kind == "block":
            args = (self.x, self.a, self.b, self.w, self.wt, self.w_off, self.offsets, self.model.fields,
                    self.e, self.betas, self.rng, self.flips, scale) + tail
            kernel = _block.block_chains
        elif self.kind == "layered":
            args = (self.spins, self.h, self.e, self.betas, self.rng, self.flips, self.w, self.wt, self.w_off,
                    self.offsets, self.rule, scale) + tail + (self.n_done,)
            kernel = _sf.layered_chains
        else:
            args = (self.spins, self.h, self.e, self.betas, self.rng, self.flips, self.model.indptr,
                    self.model.indices, self.model.kernel_data, self.rule, scale) + tail + (self.n_done,)
            kernel = _sf.csr_chains
        if self.n_threads == 1 or n_sweeps * C * P * N < MIN_UPDATES_FOR_THREADS:
            kernel(0, C, *args)
        else:  # disjoint ranges of independent chains: the same numbers whatever the thread count
            with (_one_blas_thread() if self.kind == "block" else contextlib.nullcontext()):
                run_rows(kernel, C, self.n_threads, *args)
        self.t += n_sweeps

    def row_spins(self) -> np.ndarray:
        """(C, P, N) int8 spins in row order."""
        if self.kind == "block":
            return _block.from_block_layout(self.x, self.offsets, self.shape[1])
        return self.spins.copy()

    def spins_by_temperature(self) -> np.ndarray:
        """(C, P, N) int8 spins with axis 1 in temperature order."""
        return np.take_along_axis(self.row_spins(), self.pos[:, :, None], axis=1)


def _run_chunked(chains: _Chains, n_sweeps: int, callback: Callback, message, partial=None, *, offset=0,
                 total=None, target_seconds=0.25, **kwargs):
    """Run ``n_sweeps`` sweeps, in chunks of about ``target_seconds`` when a callback listens.

    Arrays in ``kwargs`` indexed by sweep (scale, trace, sample_at) are sliced per chunk; the
    numbers do not depend on the chunking. Progress reports ``offset + done`` of ``total``;
    ``message(done)`` and ``partial(done)`` receive that global count. Returns (done, stopped).
    """
    if callback is None:
        chains.run(n_sweeps, **kwargs)
        return n_sweeps, False
    total = n_sweeps if total is None else total
    done, chunk = 0, 8
    while done < n_sweeps:
        k = min(chunk, n_sweeps - done)
        part = {name: (v[done:done + k] if name in ("scale", "trace", "sample_at") and v is not None else v)
                for name, v in kwargs.items()}
        t0 = time.perf_counter()
        chains.run(k, **part)
        done += k
        dt = time.perf_counter() - t0
        chunk = int(max(1, min(4 * chunk, chunk * target_seconds / max(dt, 1e-6))))
        now = offset + done
        if report(callback, now, total, message(now), partial(now) if partial else None):
            return done, done < n_sweeps or offset + done < total
    return done, False


# ====================================================================================== validation

def _check_model(model) -> IsingModel:
    if not isinstance(model, IsingModel):
        raise expected("model", "an engine.ising.IsingModel", type(model).__name__)
    return model


def _spins(model: IsingModel, spins) -> np.ndarray:
    """User spins (N,) or (R, N) of ±1 -> int8 (raises EngineError otherwise)."""
    return model.check_spins(spins).astype(np.int8)


def _temperatures(name, temperature, n_rows) -> np.ndarray:
    """A temperature > 0, or one per replica: (n_rows,) float64."""
    if np.ndim(temperature) == 0:
        value = temperature.item() if isinstance(temperature, np.ndarray) else temperature
        return np.full(n_rows, positive(name, value))
    arr = finite_array(name, temperature, ndim=1, shape=(n_rows,))
    if np.any(arr <= 0):
        raise expected(name, "all > 0", arr.tolist() if arr.size <= 8 else f"minimum {arr.min()!r}")
    return arr


def _method_name(kind: str, rule: int) -> str:
    if kind == "block":
        return "block heat-bath"
    return {_sf.METROPOLIS: "metropolis", _sf.HEAT_BATH: "heat-bath", _sf.GREEDY: "greedy"}[rule]


def _threads(n_threads):
    return None if n_threads is None else integer("n_threads", n_threads, low=1)


def _kind(model: IsingModel, sampler: str) -> str:
    if sampler == "block":
        if not model.is_layered:
            raise expected("sampler", "'block' only for a layered model (from a network)", "a coupling graph")
        return "block"
    return "layered" if model.is_layered else "csr"


# ====================================================================================== samplers

def _single(model, temperature, n_sweeps, spins, seed, rule, block, n_threads) -> SamplingResult:
    model = _check_model(model)
    n_sweeps = integer("n_sweeps", n_sweeps, low=1)
    n_threads = _threads(n_threads)
    rng = as_generator(seed)
    s = model.random_spins(seed=rng) if spins is None else _spins(model, spins)
    one = s.ndim == 1
    S = np.atleast_2d(s)
    R, N = S.shape
    T = _temperatures("temperature", temperature, R)
    started = time.perf_counter()
    if block:
        if not model.is_layered:
            raise expected("block", "False for a coupling graph (block heat-bath needs a layered model)", True)
        chains = _Chains(model, S[None], 1.0 / T[None], rng, "block")  # one chain: one GEMM over all replicas
    else:
        chains = _Chains(model, S[:, None], (1.0 / T)[:, None], rng, _kind(model, "auto"), rule, n_threads)
    e0 = chains.e.reshape(R).copy()
    trace = np.empty((n_sweeps,) + chains.e.shape)
    chains.run(n_sweeps, trace=trace)
    energies = trace.reshape(n_sweeps, R).T.copy()
    acceptance = chains.flips.reshape(R) / (n_sweeps * N)
    final = chains.row_spins().reshape(R, N)
    method = _method_name(chains.kind, rule)
    squeeze = (lambda a: a[0]) if one else (lambda a: a)  # noqa: E731
    return SamplingResult(spins=squeeze(final), energies=squeeze(energies), initial_energy=squeeze(e0),
                          acceptance=squeeze(acceptance), temperature=squeeze(T), n_spins=N, method=method,
                          seconds=time.perf_counter() - started)


def metropolis(model, temperature, n_sweeps, *, spins=None, seed=None, n_threads=None) -> SamplingResult:
    """Single-spin Metropolis sweeps at temperature ``temperature``.

    Flip spin i (sequential sweeps i = 0..N-1) with probability min(1, exp(-ΔE/T)),
    ``ΔE = 2 s_i h_i``. ``spins``: start, (N,) or (R, N) ±1 for R independent replicas
    (default: one uniformly random configuration); ``temperature``: a number > 0 or one per
    replica (R,). Replicas run in parallel threads (``n_threads``, default: all cores).
    """
    return _single(model, temperature, n_sweeps, spins, seed, _sf.METROPOLIS, False, n_threads)


def heat_bath(model, temperature, n_sweeps, *, spins=None, seed=None, block=False, n_threads=None) -> SamplingResult:
    """Heat-bath (Glauber) sweeps: each spin is redrawn with ``P(s_i=+1) = 1/(1+e^{-2h_i/T})``.

    Same arguments as :func:`metropolis`. ``block=True`` (layered models) samples all even
    layers then all odd layers at once, as matrix products over the replicas (float32 GEMM).
    """
    return _single(model, temperature, n_sweeps, spins, seed, _sf.HEAT_BATH, bool(block), n_threads)


# ====================================================================================== statistics

def thermal_averages(energies, temperatures, *, min_bins: int = MIN_BINS) -> ThermalAverages:
    """U, C and their errors by binning from measured energies (n_sweeps, n_chains, n_T).

    Bins of b consecutive sweeps (b the largest power of two leaving >= ``min_bins`` bins over
    all chains; the earliest sweeps that do not fill a bin are dropped), pooled over chains:
    ``U = <E>``, error std(bin means)/sqrt(B); ``C = (<E²> - <E>²)/T²`` bias-corrected by a
    jackknife over the bins, which also gives its error; ``tau_int = b var(bin means)/(2 var E)``.
    """
    E = np.asarray(energies, dtype=np.float64)
    if E.ndim != 3:
        raise expected("energies", "a 3-d array (n_sweeps, n_chains, n_T)", f"shape {E.shape}")
    T = np.asarray(temperatures, dtype=np.float64)
    n, n_chains, n_t = E.shape
    nan = np.full(n_t, np.nan)
    if n == 0:
        return ThermalAverages(T, nan, nan, nan, nan, nan, nan, 0, 0, np.empty((0, n_t)))
    b = 1
    while (n // (2 * b)) * n_chains >= min_bins:
        b *= 2
    shift = E.mean(axis=(0, 1))  # subtract before squaring: no cancellation in <E²> - <E>²
    X = E - shift
    var = X.reshape(-1, n_t).var(axis=0)
    levels = []
    size = 1
    while (n // size) * n_chains >= 2:
        m = X[n - (n // size) * size:].reshape(n // size, size, n_chains, n_t).mean(axis=1).reshape(-1, n_t)
        levels.append(m.std(axis=0, ddof=1) / math.sqrt(m.shape[0]))
        size *= 2
    nb = n // b
    Xb = X[n - nb * b:].reshape(nb, b, n_chains, n_t)
    m1 = Xb.mean(axis=1).reshape(-1, n_t)
    m2 = (Xb ** 2).mean(axis=1).reshape(-1, n_t)
    B = m1.shape[0]
    U = shift + m1.mean(axis=0)
    c_full = (m2.mean(axis=0) - m1.mean(axis=0) ** 2) / T ** 2
    if B < 2:
        return ThermalAverages(T, U, nan, c_full, nan, nan, nan, b, B, np.asarray(levels).reshape(-1, n_t))
    u_err = m1.std(axis=0, ddof=1) / math.sqrt(B)
    j1 = (m1.sum(axis=0) - m1) / (B - 1)
    j2 = (m2.sum(axis=0) - m2) / (B - 1)
    cj = (j2 - j1 ** 2) / T ** 2
    C = B * c_full - (B - 1) * cj.mean(axis=0)
    c_err = np.sqrt((B - 1) / B * ((cj - cj.mean(axis=0)) ** 2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.where(var > 0, 0.5 * b * m1.var(axis=0, ddof=1) / var, 0.5)
        tau = np.maximum(tau, 0.5)
        n_ind = n * n_chains / (2 * tau)
    return ThermalAverages(T, U, u_err, C, c_err, tau, n_ind, b, B, np.asarray(levels).reshape(-1, n_t))


# ====================================================================================== tempering

def parallel_tempering(model, temperatures, n_sweeps, *, n_replicas=2, n_burn=None, seed=None, callback=None,
                       keep_samples=0, sampler="auto", n_threads=None) -> TemperingResult:
    """Parallel tempering over a ladder of temperatures: U(T), C(T) with error bars.

    ``n_replicas`` independent chains, each one replica per temperature (uniformly random
    start), run ``n_burn`` (default ``n_sweeps // 4``) sweeps to equilibrate and then
    ``n_sweeps`` measured sweeps; after every sweep neighbouring temperatures try to swap
    (even-odd rounds). ``sampler``: "auto" (block heat-bath for layered models, Metropolis
    otherwise), "block", "metropolis" or "heat_bath". ``temperatures``: strictly increasing,
    > 0 (see :func:`geometric_ladder`, :func:`tune_ladder`). ``keep_samples``: that many
    configurations per chain and temperature, evenly spaced over the measured sweeps.
    ``callback`` gets :class:`engine.progress.Progress` every ~0.25 s (``data``: the partial
    result once measuring); returning True stops the run and returns the partial result
    (``stopped=True``). Chains run in parallel threads (``n_threads``, default all cores);
    the numbers for a seed do not depend on it. Errors by binning: :func:`thermal_averages`.
    """
    model = _check_model(model)
    T = increasing("temperatures", temperatures, positive_values=True)
    n_sweeps = integer("n_sweeps", n_sweeps, low=1)
    n_replicas = integer("n_replicas", n_replicas, low=1)
    n_burn = n_sweeps // 4 if n_burn is None else integer("n_burn", n_burn, low=0)
    keep_samples = integer("keep_samples", keep_samples, low=0, high=n_sweeps)
    sampler = choice("sampler", sampler, SAMPLERS)
    n_threads = _threads(n_threads)
    kind = _kind(model, sampler)
    if sampler == "auto" and kind == "layered":
        kind = "block"
    rule = _sf.HEAT_BATH if sampler == "heat_bath" else _sf.METROPOLIS
    C, P, N = n_replicas, T.size, model.n_spins
    n_total = n_burn + n_sweeps
    need = n_total * C * P * 8 + keep_samples * C * P * N
    if need > MAX_RECORD_BYTES:
        raise expected("n_sweeps", f"a run whose energy trace and samples fit in {MAX_RECORD_BYTES / 1e9:g} GB",
                       f"{need / 1e9:.2g} GB ({n_total} sweeps x {C} chains x {P} temperatures, "
                       f"{keep_samples} samples of {N} spins)")
    rng = as_generator(seed)
    started, cpu0 = time.perf_counter(), time.process_time()
    spins = model.random_spins(C * P, seed=rng).reshape(C, P, N)
    chains = _Chains(model, spins, np.tile(1.0 / T, (C, 1)), rng, kind, rule, n_threads)
    trace = np.full((n_total, C, P), np.nan)
    sample_at = np.full(n_total, -1, dtype=np.int64)
    sample_sweeps = (np.arange(1, keep_samples + 1) * n_sweeps) // max(keep_samples, 1) - 1
    sample_at[n_burn + sample_sweeps] = np.arange(keep_samples)
    samples = np.zeros((keep_samples, C, P, N), dtype=np.int8)
    at_burn = {}
    method = _method_name(kind, rule)

    def mark_burn(done):
        if done >= n_burn and not at_burn:
            at_burn["acc"], at_burn["att"] = chains.swap_acc.copy(), chains.swap_att.copy()

    def result(done, stopped=False):
        if done < n_burn or not at_burn:
            acc, att = chains.swap_acc, chains.swap_att
        else:
            acc, att = chains.swap_acc - at_burn["acc"], chains.swap_att - at_burn["att"]
        measured = max(0, done - n_burn)
        stats = thermal_averages(trace[n_burn:done] if measured else np.empty((0, C, P)), T)
        with np.errstate(invalid="ignore", divide="ignore"):
            swap = acc.sum(axis=0) / att.sum(axis=0)
        kept = int(np.count_nonzero(sample_sweeps < measured))
        return TemperingResult(
            T=T, U=stats.U, U_err=stats.U_err, C=stats.C, C_err=stats.C_err, tau_int=stats.tau_int,
            n_independent=stats.n_independent, swap_acceptance=swap, spins=chains.spins_by_temperature(),
            samples=samples[:kept], sample_sweeps=sample_sweeps[:kept], energies=trace[:done],
            n_spins=N, n_burn=min(done, n_burn), n_sweeps=measured, sampler=method, bin_size=stats.bin_size,
            n_bins=stats.n_bins, u_err_by_level=stats.u_err_by_level, stopped=stopped,
            seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu0)

    # Burn-in and measurement run as one stream of sweeps; the swap counters are read at the
    # burn-in boundary, so the run is split there (the chunking does not change the numbers).
    done = 0
    stopped = False
    for stop_at in (n_burn, n_total):
        if stop_at <= done:
            mark_burn(done)
            continue
        k, stopped = _run_chunked(
            chains, stop_at - done, callback,
            lambda d: f"parallel tempering: {'burn-in' if d <= n_burn else 'measuring'}, sweep {d} of {n_total}",
            lambda d: result(d) if d > n_burn else None, offset=done, total=n_total,
            do_swap=True, trace=trace[done:stop_at], sample_at=sample_at[done:stop_at], samples=samples)
        done += k
        mark_burn(done)
        if stopped:
            break
    return result(done, stopped)


def geometric_ladder(t_min, t_max, n) -> np.ndarray:
    """``n`` temperatures from ``t_min`` to ``t_max`` in geometric progression (constant ratio)."""
    t_min = positive("t_min", t_min)
    t_max = positive("t_max", t_max)
    n = integer("n", n, low=2)
    if t_max <= t_min:
        raise expected("t_max", f"> t_min = {t_min}", t_max)
    return np.geomspace(t_min, t_max, n)


def ladder_from_specific_heat(temperatures, specific_heat, n, *, floor=0.1) -> np.ndarray:
    """A ladder of ``n`` temperatures over the same range with about equal swap acceptance.

    For near-Gaussian energy distributions the acceptance of a pair depends on
    Δβ σ_E = Δ(ln T) sqrt(C); so the new points split ∫ sqrt(C(T)) d ln T (C interpolated
    linearly in ln T from the given points) into equal parts. sqrt(C) is floored at ``floor``
    times its maximum so that no stretch of the range is left empty.
    """
    T = increasing("temperatures", temperatures, positive_values=True)
    Cv = np.asarray(specific_heat, dtype=np.float64)
    if Cv.shape != T.shape:
        raise expected("specific_heat", f"shape {T.shape}", f"shape {Cv.shape}")
    n = integer("n", n, low=2)
    if T.size < 2:
        raise expected("temperatures", "at least 2 temperatures", T.size)
    root = np.sqrt(np.clip(np.nan_to_num(Cv, nan=0.0), 0.0, None))
    root = np.maximum(root, floor * root.max() if root.max() > 0 else 1.0)
    x = np.log(T)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (root[1:] + root[:-1]) * np.diff(x))])
    return np.exp(np.interp(np.linspace(0.0, cum[-1], n), cum, x))


def tune_ladder(model, t_min, t_max, n_temperatures, *, n_sweeps=1000, n_rounds=2, n_replicas=2, seed=None,
                sampler="auto") -> np.ndarray:
    """A ladder from ``t_min`` to ``t_max`` with about equal swap acceptance between neighbours.

    Starts from :func:`geometric_ladder`, then ``n_rounds`` times runs a short tempering run
    (``n_sweeps``) and redistributes the temperatures with :func:`ladder_from_specific_heat`.
    """
    ladder = geometric_ladder(t_min, t_max, n_temperatures)
    n_rounds = integer("n_rounds", n_rounds, low=0)
    rng = as_generator(seed)
    for _ in range(n_rounds):
        run = parallel_tempering(model, ladder, n_sweeps, n_replicas=n_replicas, seed=rng, sampler=sampler)
        new = ladder_from_specific_heat(run.T, run.C, n_temperatures)
        if np.any(np.diff(new) <= 0):
            break
        ladder = new
    return ladder


# ====================================================================================== ground states

def quench(model, *, spins=None, seed=None, max_sweeps=100_000) -> QuenchResult:
    """Greedy zero-temperature descent to a local minimum (PHYSICS.md section 1).

    Sequential sweeps flip spin i only if that strictly lowers E (ΔE = 2 s_i h_i < 0), until
    a sweep flips nothing: no single flip then lowers E. ``spins``: None (all +1, as the
    paper), "random" (uniform, from ``seed``), or a start (N,) or (R, N) of ±1.
    """
    model = _check_model(model)
    max_sweeps = integer("max_sweeps", max_sweeps, low=1)
    rng = as_generator(seed)
    if spins is None:
        s = np.ones(model.n_spins, dtype=np.int8)
    elif isinstance(spins, str):
        if spins != "random":
            raise expected("spins", "None, 'random' or an array of ±1", spins)
        s = model.random_spins(seed=rng)
    else:
        s = _spins(model, spins)
    one = s.ndim == 1
    S = np.atleast_2d(s)
    R, N = S.shape
    chains = _Chains(model, S[:, None], np.ones((R, 1)), rng, _kind(model, "auto"), _sf.GREEDY)
    chains.run(max_sweeps)
    final = chains.row_spins().reshape(R, N)
    energy = np.asarray(model.energy(final), dtype=np.float64).reshape(R)  # fresh, not accumulated
    n = chains.n_done.copy()
    conv = n < max_sweeps
    if one:
        return QuenchResult(spins=final[0], energy=float(energy[0]), n_sweeps=int(n[0]), converged=bool(conv[0]),
                            n_spins=N)
    return QuenchResult(spins=final, energy=energy, n_sweeps=n, converged=conv, n_spins=N)


def typical_field(model) -> float:
    """rms local field over uniformly random spins, sqrt(mean_i (Σ_j J_ij² + b_i²)): a temperature scale."""
    model = _check_model(model)
    row2 = np.bincount(np.repeat(np.arange(model.n_spins), np.diff(model.indptr)), weights=model.data ** 2,
                       minlength=model.n_spins)
    return float(np.sqrt(np.mean(row2 + model.fields ** 2)))


def anneal(model, *, t_start=None, t_end=None, n_sweeps=1000, n_replicas=8, seed=None, sampler="auto",
           callback=None) -> AnnealResult:
    """Simulated annealing of ``n_replicas`` replicas, then a quench: a ground-state estimate.

    Temperatures fall geometrically from ``t_start`` to ``t_end`` over ``n_sweeps`` sweeps
    (one sweep per temperature; defaults 2 and 0.01 times :func:`typical_field`), with the
    block heat-bath for layered models ("auto") or single-spin Metropolis; each replica is then
    quenched (greedy) to a local minimum. ``best_energy`` is the lowest: an upper bound on the
    ground-state energy. ``callback`` as in :func:`parallel_tempering`.
    """
    model = _check_model(model)
    scale_t = typical_field(model) if (t_start is None or t_end is None) else 1.0
    if scale_t <= 0:
        scale_t = 1.0
    t_start = 2.0 * scale_t if t_start is None else positive("t_start", t_start)
    t_end = 0.01 * scale_t if t_end is None else positive("t_end", t_end)
    if t_end > t_start:
        raise expected("t_end", f"<= t_start = {t_start}", t_end)
    n_sweeps = integer("n_sweeps", n_sweeps, low=1)
    n_replicas = integer("n_replicas", n_replicas, low=1)
    sampler = choice("sampler", sampler, SAMPLERS)
    kind = _kind(model, sampler)
    if sampler == "auto" and kind == "layered":
        kind = "block"
    rule = _sf.HEAT_BATH if sampler == "heat_bath" else _sf.METROPOLIS
    rng = as_generator(seed)
    started = time.perf_counter()
    R, N = n_replicas, model.n_spins
    schedule = t_start * (t_end / t_start) ** (np.arange(n_sweeps) / max(n_sweeps - 1, 1))
    S = model.random_spins(R, seed=rng)
    if kind == "block":  # one chain: one GEMM over all replicas
        chains = _Chains(model, S[None], np.full((1, R), 1.0 / t_start), rng, kind)
    else:
        chains = _Chains(model, S[:, None], np.full((R, 1), 1.0 / t_start), rng, kind, rule)
    trace = np.full((n_sweeps,) + chains.e.shape, np.nan)
    done, stopped = _run_chunked(chains, n_sweeps, callback, lambda d: f"annealing: sweep {d} of {n_sweeps}",
                                 scale=t_start / schedule, trace=trace)
    q = quench(model, spins=chains.row_spins().reshape(R, N))
    best = int(np.argmin(q.energy))
    return AnnealResult(spins=q.spins, energies=q.energy, best_spins=q.spins[best].copy(),
                        best_energy=float(q.energy[best]), schedule=schedule,
                        trace=trace[:done].reshape(done, R).T.copy(), n_spins=N, stopped=stopped,
                        seconds=time.perf_counter() - started)


# ====================================================================================== warm-up

def _warm() -> None:
    """Compile or load every kernel on a tiny model (called by :mod:`engine.warm`)."""
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(2, 3)), rng.normal(size=(2, 2))]
    for ws in (weights, [w.astype(np.float32).astype(np.float64) for w in weights]):  # float64, float32 kernel_data
        layered = IsingModel.from_layers(ws)
        graph = IsingModel.from_couplings(layered.dense_couplings())
        for m in (layered, graph):
            metropolis(m, 1.0, 2, seed=0)
            quench(m)
        parallel_tempering(layered, [1.0, 2.0], 4, seed=0, n_threads=1)


__all__ = ["SamplingResult", "TemperingResult", "QuenchResult", "AnnealResult", "ThermalAverages", "metropolis",
           "heat_bath", "parallel_tempering", "thermal_averages", "geometric_ladder", "ladder_from_specific_heat",
           "tune_ladder", "quench", "anneal", "typical_field"]
