"""Hopfield networks: Hebbian storage, recall, storage capacity and the AGS phase diagram.

Böttcher & Wheeler, "Statistical Mechanics and Artificial Neural Networks: Principles,
Models, and Applications", arXiv:2405.10957 (2024), chapter on Hopfield networks
(PHYSICS.md section 8); theory: D. J. Amit, H. Gutfreund & H. Sompolinsky, "Storing
infinite numbers of patterns in a spin-glass model of neural networks", Phys. Rev. Lett.
55, 1530 (1985) and "Statistical mechanics of neural networks near saturation",
Ann. Phys. 173, 30 (1987) (AGS).

Model. N neurons s_i = ±1 store P patterns ξ^μ ∈ {±1}^N with the Hebbian rule::

    w_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ,  w_ii = 0,      E(s) = -½ Σ_ij w_ij s_i s_j,
    h_i = Σ_j w_ij s_j,                           m_μ = (1/N) Σ_i ξ_i^μ s_i.

Storage ratio α = P/N. Because N w_ij is an integer, the zero-temperature kernel works
with the integer couplings C = N w (int16) and integer fields N h: ties h_i = 0 are
exact (the spin is kept), energies and overlaps are exact, and the kernel equals its
NumPy reference bit for bit.

Correlated patterns. Binarised digits overlap strongly (0.3-0.75, mostly shared
background), and Hebbian storage of more than two of them gives mixture states. As an
option (not part of the capacity theory) ``store(..., rule="pseudo_inverse")`` uses the
projection rule w = (1/N) ξᵀ Q⁺ ξ, Q_μν = ξ^μ·ξ^ν/N, zero diagonal (L. Personnaz,
I. Guyon & G. Dreyfus, J. Phys. Lett. 46, L359 (1985); I. Kanter & H. Sompolinsky, Phys.
Rev. A 35, 380 (1987)), for which every stored pattern is a fixed point whatever the
correlations (for P well below N); couplings are then float64 and the same kernel runs
on float fields.

Recall. Zero temperature: asynchronous updates s_i <- sgn(h_i) (ties keep s_i) in a
random sequential order, a fresh permutation each sweep drawn from the kernel's own
xoshiro256+ stream (:mod:`engine.kernels.rng`); each update never raises E, and the run
stops at a fixed point (a sweep without a flip). Temperature T > 0: heat-bath sweeps,
P(s_i = +1) = 1/(1 + e^{-2 h_i/T}), run by the Ising engine
(:func:`engine.montecarlo.heat_bath` on ``IsingModel.from_couplings(w)``; its energy
-Σ_{i<j} J_ij s_i s_j is exactly E above).

Replica-symmetric theory (AGS 1987), one condensed pattern, x = m + σ z, z ~ N(0, 1),
σ² = α r, β = 1/T, ⟨·⟩ the Gaussian average over z::

    m = ⟨tanh βx⟩,   q = ⟨tanh² βx⟩,   r = q / (1 - C)²,   C = β(1 - q) = β⟨sech² βx⟩
    f = ½m² + α/2 + (α/2)[T ln(1 - C) - q/(1 - C) + qC/(1 - C)²] - T⟨ln 2cosh βx⟩

T = 0: m = erf(m/(σ√2)), C = √(2/π)/σ e^{-m²/2σ²}, T⟨ln 2cosh βx⟩ -> ⟨|x|⟩. The solver
parameterises each branch by one variable and reads α off explicitly (σ² = α r):
retrieval states by m (solve the m equation for σ, then α = σ²(1-C)²/q), spin-glass
states (m = 0) by σ. This gives the retrieval line α_M(T) (the largest α with a
retrieval solution; T = 0: α_c = 0.1379; the RS line is slightly re-entrant, with a maximum
0.1382 near T = 0.02, as AGS found), the line α_c(T) where retrieval states
become global minima (f_retrieval = f_spin-glass; T = 0: 0.051) and the spin-glass
line T_g = 1 + √α (q > 0 below it). α -> 0 gives Curie-Weiss, m = tanh(m/T).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit
from scipy import optimize

from .errors import EngineError, expected
from .kernels.rng import next_below, reference_uniforms, seeded_state
from .progress import Callback, report
from .random import as_generator, kernel_seeds
from .validation import choice, finite_array, fraction, integer, real

#: Smallest network accepted.
MIN_NEURONS = 4
#: Largest network for zero-temperature recall (int16 couplings: 2 N² bytes, 32 MB).
MAX_NEURONS = 4000
#: Largest network for T > 0: the Ising engine keeps a dense CSR (about 24 N² bytes, 96 MB).
MAX_NEURONS_THERMAL = 2000
#: The critical storage ratio at T = 0 marked on plots (AGS 1985; :func:`ags_critical_alpha` = 0.1379).
ALPHA_C = 0.138


# ------------------------------------------------------------------------------- network

@dataclass
class HopfieldNetwork:
    """P stored patterns and their couplings.

    Attributes
    ----------
    patterns : (P, N) int8 ±1, ξ^μ.
    couplings : (N, N) C = N w with zero diagonal: int16 Σ_μ ξ^μ ξ^μᵀ (exact integers) for the
        Hebbian rule, float64 ξᵀ Q⁺ ξ for the pseudo-inverse rule.
    image_shape : shape to show a state as an image (e.g. (8, 8)), or None.
    labels : one label per pattern (e.g. the digit).
    rule : "hebbian" or "pseudo_inverse".
    """

    patterns: np.ndarray
    couplings: np.ndarray
    image_shape: tuple | None = None
    labels: list = field(default_factory=list)
    rule: str = "hebbian"

    @property
    def n_neurons(self) -> int:
        return int(self.patterns.shape[1])

    @property
    def n_patterns(self) -> int:
        return int(self.patterns.shape[0])

    @property
    def alpha(self) -> float:
        """Storage ratio α = P/N."""
        return self.n_patterns / self.n_neurons

    @property
    def weights(self) -> np.ndarray:
        """w = C/N, (N, N) float64."""
        return self.couplings / float(self.n_neurons)

    def pattern_overlaps(self) -> np.ndarray:
        """(P, P) float64, (1/N) ξ^μ·ξ^ν: 1 on the diagonal; O(1/√N) for random patterns."""
        xi = self.patterns.astype(np.float64)
        return xi @ xi.T / self.n_neurons

    def _states(self, s) -> np.ndarray:
        arr = np.asarray(s)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n_neurons:
            raise expected("state", f"shape ({self.n_neurons},) or (R, {self.n_neurons})", f"shape {arr.shape}")
        if not np.all(np.abs(arr) == 1):
            raise expected("state", "entries ±1", "other values")
        return arr.astype(np.float64)

    def local_fields(self, s) -> np.ndarray:
        """h = w s, (N,) or (R, N) for states (N,) or (R, N)."""
        S = self._states(s)
        return S @ self.weights  # w is symmetric

    def energy(self, s):
        """E(s) = -½ sᵀ w s; a float for one state (N,), an (R,) array for (R, N)."""
        S = self._states(s)
        return -0.5 * np.einsum("...i,...i->...", S, S @ self.weights)

    def overlaps(self, s) -> np.ndarray:
        """m_μ = (1/N) Σ_i ξ_i^μ s_i: (P,) for one state, (R, P) for (R, N)."""
        S = self._states(s)
        return S @ self.patterns.T.astype(np.float64) / self.n_neurons

    def as_images(self, states) -> np.ndarray:
        """States (..., N) reshaped to (..., *image_shape) (raises if the network has no image shape)."""
        if self.image_shape is None:
            raise EngineError("this network stores no images (image_shape is None)")
        s = np.asarray(states)
        return s.reshape(s.shape[:-1] + tuple(self.image_shape))

    def to_ising(self):
        """The same energy as an :class:`engine.ising.IsingModel` (J = w, no fields).

        ``IsingModel.energy`` = -Σ_{i<j} w_ij s_i s_j = E(s). Needs N <= MAX_NEURONS_THERMAL.
        """
        from .ising import IsingModel

        if self.n_neurons > MAX_NEURONS_THERMAL:
            raise expected("n_neurons", f"<= {MAX_NEURONS_THERMAL} for the Ising engine (T > 0)", self.n_neurons)
        return IsingModel.from_couplings(self.weights, name=f"Hopfield N={self.n_neurons} P={self.n_patterns}")


def hebbian_couplings(patterns: np.ndarray) -> np.ndarray:
    """C = N w = Σ_μ ξ^μ ξ^μᵀ with zero diagonal, (N, N) int16, from (P, N) ±1 patterns.

    Entries are integers |C_ij| <= P, so the float64 product (exact below 2^53) is rounded
    exactly; int16 holds them for P <= N <= MAX_NEURONS.
    """
    xi = np.asarray(patterns, dtype=np.float64)
    c = xi.T @ xi
    np.fill_diagonal(c, 0.0)
    return np.ascontiguousarray(np.rint(c).astype(np.int16))


def hebbian_weights(patterns: np.ndarray) -> np.ndarray:
    """w_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ, w_ii = 0; (N, N) float64 from (P, N) ±1 patterns."""
    p = np.asarray(patterns)
    return hebbian_couplings(p) / float(p.shape[1])


def pseudo_inverse_couplings(patterns: np.ndarray) -> np.ndarray:
    """C = N w = ξᵀ Q⁺ ξ with Q = ξ ξᵀ/N (Moore-Penrose inverse) and zero diagonal; (N, N) float64.

    Without the diagonal, h = w ξ^ν = (1 - w_ii) ξ_i^ν, so every stored pattern is a fixed point
    while w_ii = (ξᵀQ⁺ξ)_ii/N < 1 (on average P/N).
    """
    xi = np.asarray(patterns, dtype=np.float64)
    N = xi.shape[1]
    c = xi.T @ np.linalg.pinv(xi @ xi.T / N) @ xi
    c = 0.5 * (c + c.T)  # exactly symmetric despite rounding
    np.fill_diagonal(c, 0.0)
    return np.ascontiguousarray(c)


RULES = {"hebbian": hebbian_couplings, "pseudo_inverse": pseudo_inverse_couplings}


def _check_patterns(patterns) -> np.ndarray:
    arr = finite_array("patterns", patterns)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise expected("patterns", "a (P, N) array", f"shape {arr.shape}")
    P, N = arr.shape
    if P == 0:
        raise expected("patterns", "at least one pattern (P >= 1)", "P = 0")
    if not MIN_NEURONS <= N <= MAX_NEURONS:
        raise expected("patterns", f"N between {MIN_NEURONS} and {MAX_NEURONS} neurons (columns)", f"N = {N}")
    if P > N:
        # beyond α = 1 the Hebbian matrix stores nothing (α_c ≈ 0.138); refuse rather than waste memory
        raise expected("patterns", f"at most N = {N} patterns (α = P/N <= 1)", f"P = {P}")
    if not np.all(np.abs(arr) == 1):
        raise expected("patterns", "entries ±1", "other values")
    return np.ascontiguousarray(arr, dtype=np.int8)


def store(patterns, *, image_shape=None, labels=None, rule: str = "hebbian") -> HopfieldNetwork:
    """A Hopfield network storing ``patterns`` (P, N) ±1 with the Hebbian rule (or ``rule="pseudo_inverse"``).

    Raises ``EngineError`` for P = 0, P > N, N outside [MIN_NEURONS, MAX_NEURONS], entries not ±1,
    an unknown rule, or an ``image_shape`` that does not hold N pixels.
    """
    choice("rule", rule, RULES)
    xi = _check_patterns(patterns)
    if image_shape is not None:
        image_shape = tuple(int(k) for k in image_shape)
        if int(np.prod(image_shape)) != xi.shape[1]:
            raise expected("image_shape", f"{xi.shape[1]} pixels", image_shape)
    labels = [str(x) for x in labels] if labels is not None else [str(k) for k in range(xi.shape[0])]
    if len(labels) != xi.shape[0]:
        raise expected("labels", f"one per pattern ({xi.shape[0]})", len(labels))
    return HopfieldNetwork(xi, RULES[rule](xi), image_shape, labels, rule)


def random_patterns(n_patterns: int, n_neurons: int, *, seed=None) -> np.ndarray:
    """(P, N) int8 patterns with independent, equally likely ±1 entries."""
    N = integer("n_neurons", n_neurons, low=MIN_NEURONS, high=MAX_NEURONS)
    P = integer("n_patterns", n_patterns, low=1, high=N)
    rng = as_generator(seed)
    return (2 * rng.integers(0, 2, size=(P, N), dtype=np.int8) - 1).astype(np.int8)


def digit_patterns(digits=(0, 1), *, upscale: int = 1, prototype: str = "mean"):
    """Binarised 8×8 digits as ±1 patterns: ``(patterns (P, N) int8, image_shape, labels)``.

    Each digit class is represented by one image: ``prototype="mean"`` takes the sign of
    the class mean of the binarised images (ink = +1; ties go to +1), ``"first"`` the first
    image of the class. ``upscale = k`` repeats every pixel in a k×k block (N = 64 k²),
    which makes the images larger without changing their mutual overlaps.

    Digits share most of their background, so their overlaps are 0.4-0.75 (not O(1/√N), see
    :meth:`HopfieldNetwork.pattern_overlaps`): with the Hebbian rule two digits (e.g. 0 and 1) are
    retrieved, but three or more fall into mixture states even when started at a stored digit.
    ``store(..., rule="pseudo_inverse")`` retrieves all of them (measured: the ten digits with
    ``upscale=2``, N = 256, from 20% noise). The default, digits 0 and 1, works with either rule.
    """
    from .data import load_dataset

    choice("prototype", prototype, ("mean", "first"))
    k = integer("upscale", upscale, low=1, high=7)
    digits = [integer("digits[i]", d, low=0, high=9) for d in np.atleast_1d(digits).tolist()]
    if not digits or len(set(digits)) != len(digits):
        raise expected("digits", "distinct digits 0-9", digits)
    ds = load_dataset("digits", binarize=True)
    X = np.concatenate([ds.X_train, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    rows = []
    for d in digits:
        imgs = X[y == d]
        img = np.where(imgs.mean(axis=0) >= 0, 1, -1) if prototype == "mean" else imgs[0]
        rows.append(np.kron(img.reshape(8, 8), np.ones((k, k))).ravel())
    return np.asarray(rows, dtype=np.int8), (8 * k, 8 * k), [str(d) for d in digits]


def corrupt(pattern, noise: float, *, seed=None) -> np.ndarray:
    """Flip each entry of a ±1 ``pattern`` (N,) independently with probability ``noise``; int8 (N,)."""
    p = fraction("noise", noise)
    s = np.asarray(pattern)
    if s.ndim != 1 or not np.all(np.abs(s) == 1):
        raise expected("pattern", "a 1-d array of ±1", f"shape {s.shape}")
    rng = as_generator(seed)
    flip = rng.random(s.shape[0]) < p
    return np.where(flip, -s, s).astype(np.int8)


# ------------------------------------------------------------------- zero-T recall kernel

@njit(cache=True)
def _recall_zero_t_kernel(C, xi_t, s, seed, n_sweeps, interval, H, times, states, e2, overlaps, flips):
    """Asynchronous s_i <- sgn(h_i) in random sequential order; records every ``interval`` updates.

    C (N, N) = N w, int16 (Hebbian) or float64; xi_t (N, P) int8 (patterns, neuron-major so that
    ξ_i^· is one row); s (N,) int8, updated in place; H (N,) work array of the field type (int64
    for integer C: exact). State: H = C s (N h), e2 = sᵀ C s (E = -e2/(2N)), M = ξ s (N m).
    Outputs are preallocated: times (K,) int64 update counts, states (K, N), e2 (K,) of H's
    type, overlaps (K, P) int64, flips (n_sweeps,) int64 flips per sweep.
    Returns (number of records, sweeps done, converged).
    """
    N = s.shape[0]
    P = xi_t.shape[1]
    for i in range(N):
        H[i] = 0
        for j in range(N):
            H[i] += C[i, j] * s[j]
    E2 = H[0] * 0
    for i in range(N):
        E2 += s[i] * H[i]
    M = np.zeros(P, dtype=np.int64)
    for i in range(N):
        for mu in range(P):
            M[mu] += xi_t[i, mu] * s[i]
    rng = seeded_state(seed)
    perm = np.empty(N, dtype=np.int64)
    k = 0
    times[k] = 0
    states[k, :] = s
    e2[k] = E2
    overlaps[k, :] = M
    k += 1
    t = 0
    done = 0
    converged = False
    for sweep in range(n_sweeps):
        for i in range(N):
            perm[i] = i
        for a in range(N - 1, 0, -1):  # Fisher-Yates, one draw per position
            b = next_below(rng, a + 1)
            tmp = perm[a]
            perm[a] = perm[b]
            perm[b] = tmp
        n_flip = 0
        for a in range(N):
            i = perm[a]
            hi = H[i]
            si = s[i]
            if (hi > 0 and si < 0) or (hi < 0 and si > 0):  # ties (hi == 0) keep the spin
                E2 -= 4 * si * hi
                ds = -2 * si
                s[i] = -si
                for j in range(N):  # C is symmetric: stream row i, not column i
                    H[j] += C[i, j] * ds
                for mu in range(P):
                    M[mu] += xi_t[i, mu] * ds
                n_flip += 1
            t += 1
            if t % interval == 0:
                times[k] = t
                states[k, :] = s
                e2[k] = E2
                overlaps[k, :] = M
                k += 1
        flips[sweep] = n_flip
        done = sweep + 1
        if n_flip == 0:
            converged = True
            break
    if times[k - 1] != t:
        times[k] = t
        states[k, :] = s
        e2[k] = E2
        overlaps[k, :] = M
        k += 1
    return k, done, converged


def _recall_zero_t(C, xi_t, s, seed, n_sweeps, interval):
    """Allocate the outputs, run :func:`_recall_zero_t_kernel`, trim them to what was recorded."""
    N, P = xi_t.shape
    K = n_sweeps * N // interval + 2
    field = np.int64 if C.dtype.kind == "i" else np.float64
    times = np.zeros(K, dtype=np.int64)
    states = np.zeros((K, N), dtype=np.int8)
    e2 = np.zeros(K, dtype=field)
    overlaps = np.zeros((K, P), dtype=np.int64)
    flips = np.zeros(n_sweeps, dtype=np.int64)
    k, done, converged = _recall_zero_t_kernel(C, xi_t, s, np.uint64(seed), n_sweeps, interval,
                                               np.zeros(N, dtype=field), times, states, e2, overlaps, flips)
    return times[:k], states[:k], e2[:k], overlaps[:k], flips[:done], bool(converged)


def recall_zero_t_reference(C, xi_t, s, seed, n_sweeps, interval):
    """NumPy reference of :func:`_recall_zero_t` (same stream, fields recomputed at every update).

    Returns (times, states, e2, overlaps, flips, converged) as the kernel does; ``s`` is updated
    in place.
    """
    C = np.asarray(C, dtype=np.int64 if np.asarray(C).dtype.kind == "i" else np.float64)
    xi = np.asarray(xi_t, dtype=np.int64)
    N = s.shape[0]
    u = iter(reference_uniforms(int(seed), n_sweeps * (N - 1)))
    out_t, out_s, out_e, out_m, flips = [0], [s.copy()], [s @ C @ s], [s.astype(np.int64) @ xi], []
    t, converged = 0, False
    for _ in range(n_sweeps):
        perm = np.arange(N)
        for a in range(N - 1, 0, -1):
            b = int(next(u) * (a + 1))
            perm[a], perm[b] = perm[b], perm[a]
        n_flip = 0
        for i in perm:
            h = C[i] @ s
            if h != 0 and np.sign(h) != s[i]:
                s[i] = -s[i]
                n_flip += 1
            t += 1
            if t % interval == 0:
                out_t.append(t)
                out_s.append(s.copy())
                out_e.append(s @ C @ s)
                out_m.append(s.astype(np.int64) @ xi)
        flips.append(n_flip)
        if n_flip == 0:
            converged = True
            break
    if out_t[-1] != t:
        out_t.append(t)
        out_s.append(s.copy())
        out_e.append(s @ C @ s)
        out_m.append(s.astype(np.int64) @ xi)
    return (np.array(out_t), np.array(out_s, dtype=np.int8), np.array(out_e), np.array(out_m),
            np.array(flips, dtype=np.int64), converged)


# ------------------------------------------------------------------------------ recall

@dataclass
class RecallResult:
    """A recall run: the state, energy and overlaps over time.

    Attributes
    ----------
    times : (K,) float64, time in sweeps (N single-spin updates = 1 sweep).
    states : (K, N) int8, the state at each time (``network.as_images(states)`` for pictures).
    energies : (K,) float64, E = -½ sᵀ w s (total; ``energy_per_neuron`` divides by N).
    overlaps : (K, P) float64, m_μ(t) with every stored pattern.
    flips : (n_sweeps,) int64, spins flipped in each sweep (zero temperature; at T > 0 the
        spins that differ from the previous sweep).
    temperature : T (0 = deterministic asynchronous dynamics).
    n_sweeps : sweeps run; converged : a fixed point was reached (T = 0 only).
    target : index of the pattern the run started from, if any. stopped : the callback stopped it.
    """

    times: np.ndarray
    states: np.ndarray
    energies: np.ndarray
    overlaps: np.ndarray
    flips: np.ndarray
    temperature: float
    n_sweeps: int
    converged: bool
    n_neurons: int
    target: int | None = None
    stopped: bool = False

    @property
    def energy_per_neuron(self) -> np.ndarray:
        return self.energies / self.n_neurons

    @property
    def final_state(self) -> np.ndarray:
        return self.states[-1]

    @property
    def final_overlaps(self) -> np.ndarray:
        return self.overlaps[-1]

    @property
    def retrieved(self) -> int:
        """Index of the pattern with the largest |m_μ| at the end."""
        return int(np.argmax(np.abs(self.final_overlaps)))

    def to_frame(self):
        """One row per recorded time: time (sweeps), energy, energy per neuron, m_0 ... m_{P-1}."""
        import pandas as pd

        cols = {"time_sweeps": self.times, "energy": self.energies, "energy_per_neuron": self.energy_per_neuron}
        cols.update({f"m_{mu}": self.overlaps[:, mu] for mu in range(self.overlaps.shape[1])})
        return pd.DataFrame(cols)


def _check_temperature(temperature, n_neurons) -> float:
    T = real("temperature", temperature, low=0.0)
    if T > 0 and n_neurons > MAX_NEURONS_THERMAL:
        raise expected("n_neurons", f"<= {MAX_NEURONS_THERMAL} at temperature > 0 (the Ising engine)", n_neurons)
    return T


def recall(network: HopfieldNetwork, initial, *, temperature: float = 0.0, n_sweeps: int = 20,
           frames_per_sweep: int = 1, target: int | None = None, seed=None, callback: Callback = None
           ) -> RecallResult:
    """Run the network from ``initial`` (N,) ±1 and record state, energy and overlaps.

    Zero temperature: asynchronous s_i <- sgn(h_i) (ties keep s_i) in a fresh random order each
    sweep, ``frames_per_sweep`` records per sweep (1..N), stopping early at a fixed point.
    ``temperature`` T > 0: heat-bath sweeps through the Ising engine,
    P(s_i = +1) = 1/(1 + e^{-2 h_i/T}), one record per sweep (``frames_per_sweep`` must be 1),
    ``callback`` called after every sweep (return True to stop; the partial run is returned).
    ``target``: the pattern index the run is compared with (kept in the result).
    """
    if not isinstance(network, HopfieldNetwork):
        raise expected("network", "a HopfieldNetwork (from store())", type(network).__name__)
    N = network.n_neurons
    s = np.asarray(initial)
    if s.shape != (N,) or not np.all(np.abs(s) == 1):
        raise expected("initial", f"a ({N},) array of ±1", f"shape {s.shape}")
    T = _check_temperature(temperature, N)
    n_sweeps = integer("n_sweeps", n_sweeps, low=1, high=100_000)
    fps = integer("frames_per_sweep", frames_per_sweep, low=1, high=N)
    if T > 0 and fps != 1:
        raise expected("frames_per_sweep", "1 at temperature > 0 (the Ising engine records whole sweeps)", fps)
    if target is not None:
        target = integer("target", target, low=0, high=network.n_patterns - 1)
    rng = as_generator(seed)
    s = np.ascontiguousarray(s, dtype=np.int8).copy()
    if T == 0:
        xi_t = np.ascontiguousarray(network.patterns.T)
        times, states, e2, m, flips, conv = _recall_zero_t(network.couplings, xi_t, s, kernel_seeds(rng, 1)[0],
                                                           n_sweeps, max(1, N // fps))
        report(callback, 1, 1, "zero-temperature recall done")
        return RecallResult(times / N, states, -e2 / (2.0 * N), m / N, flips, 0.0, len(flips), conv, N, target)
    return _recall_thermal(network, s, T, n_sweeps, rng, callback, target)


def _heat_bath(model, T, n_sweeps, spins, rng):
    """``n_sweeps`` heat-bath sweeps of the Ising engine: (final spins int8, energy per sweep)."""
    from .montecarlo import heat_bath

    res = heat_bath(model, T, n_sweeps, spins=spins, seed=rng)
    return np.asarray(res.spins, dtype=np.int8), np.asarray(res.energies, dtype=np.float64)


def _recall_thermal(network, s, T, n_sweeps, rng, callback, target):
    model = network.to_ising()
    states, energies = [s.copy()], [float(network.energy(s))]
    stopped = False
    for k in range(n_sweeps):
        s, e = _heat_bath(model, T, 1, s, rng)
        states.append(s.copy())
        energies.append(float(np.ravel(e)[-1]))
        if report(callback, k + 1, n_sweeps, f"sweep {k + 1}/{n_sweeps} at T = {T:g}"):
            stopped = True
            break
    states = np.asarray(states, dtype=np.int8)
    flips = np.count_nonzero(states[1:] != states[:-1], axis=1).astype(np.int64)
    return RecallResult(np.arange(len(states), dtype=np.float64), states, np.asarray(energies),
                        network.overlaps(states), flips, T, len(states) - 1, False, network.n_neurons,
                        target, stopped)


# ------------------------------------------------------------------- capacity experiment

def _final_overlaps_zero_t(network, starts, seeds, n_sweeps):
    """Final overlap of each run with its starting pattern: starts (R, N), pattern index per run."""
    xi_t = np.ascontiguousarray(network.patterns.T)
    N = network.n_neurons
    out = np.empty(len(starts))
    for r, (s0, mu) in enumerate(starts):
        s = np.ascontiguousarray(s0, dtype=np.int8).copy()
        _, _, _, m, _, _ = _recall_zero_t(network.couplings, xi_t, s, seeds[r], n_sweeps, n_sweeps * N + 1)
        out[r] = m[-1, mu] / N
    return out


@dataclass
class CapacityResult:
    """Final overlap against the storage ratio α = P/N (zero-temperature recall).

    Attributes
    ----------
    n_neurons : N. alphas : (A,) the realised α = P/N; n_patterns : (A,) int P.
    overlaps : (A, n_draws, n_probes) final overlap m of each probe with the pattern it started
        from (NaN where P < n_probes).
    m_mean, m_err : (A,) mean final overlap over probes and draws; standard error of the mean over
        the draws (each draw is an independent set of patterns; NaN with one draw).
    retrieved_fraction, retrieved_err : (A,) share of probes with m >= ``threshold``, same error.
    theory_m : (A,) AGS replica-symmetric m(α, T = 0) of the retrieval state (0 above α_c).
    alpha_c : the RS critical ratio 0.1379. noise : flip probability of the starting states.
    """

    n_neurons: int
    alphas: np.ndarray
    n_patterns: np.ndarray
    overlaps: np.ndarray
    m_mean: np.ndarray
    m_err: np.ndarray
    retrieved_fraction: np.ndarray
    retrieved_err: np.ndarray
    theory_m: np.ndarray
    alpha_c: float
    noise: float
    threshold: float
    n_sweeps: int
    seed: int | None = None
    stopped: bool = False

    def to_frame(self):
        """One row per α: alpha, P, m_mean, m_err, retrieved_fraction, retrieved_err, theory_m."""
        import pandas as pd

        return pd.DataFrame({"alpha": self.alphas, "n_patterns": self.n_patterns, "m_mean": self.m_mean,
                             "m_err": self.m_err, "retrieved_fraction": self.retrieved_fraction,
                             "retrieved_err": self.retrieved_err, "theory_m": self.theory_m})


def _mean_and_error(values):
    """values (A, D, R) with NaN padding -> mean over all, s.e.m. of the per-draw means (over D)."""
    per_draw = np.nanmean(values, axis=2)
    mean = np.nanmean(per_draw, axis=1)
    D = per_draw.shape[1]
    err = np.nanstd(per_draw, axis=1, ddof=1) / math.sqrt(D) if D > 1 else np.full(mean.shape, np.nan)
    return mean, err


def capacity_curve(n_neurons: int = 500, alphas=None, *, n_draws: int = 5, n_probes: int = 10,
                   noise: float = 0.0, n_sweeps: int = 50, threshold: float = 0.9, seed=None,
                   callback: Callback = None) -> CapacityResult:
    """Final overlap of zero-temperature recall against α = P/N, the AGS capacity experiment.

    For each α, P = max(1, round(α N)); for each of ``n_draws`` independent draws of P random
    patterns, recall starts from ``n_probes`` stored patterns (each corrupted with ``noise``) and
    runs to a fixed point (at most ``n_sweeps`` sweeps); the result is the final overlap with the
    starting pattern. Near α_c single patterns can survive at finite N, so the curve averages over
    probes and draws. Default ``alphas``: 12 values from 0.02 to 0.30.
    ``callback`` is called after each α (return True to stop with the α done so far).
    """
    N = integer("n_neurons", n_neurons, low=MIN_NEURONS, high=MAX_NEURONS)
    a = np.linspace(0.02, 0.30, 12) if alphas is None else finite_array("alphas", alphas, ndim=1)
    if a.size == 0 or np.any(a <= 0) or np.any(a > 1):
        raise expected("alphas", "values in (0, 1] (P = αN between 1 and N)", a.tolist())
    D = integer("n_draws", n_draws, low=1, high=1000)
    R = integer("n_probes", n_probes, low=1, high=N)
    p = fraction("noise", noise)
    n_sweeps = integer("n_sweeps", n_sweeps, low=1, high=10_000)
    thr = real("threshold", threshold, low=-1.0, high=1.0)
    rng = as_generator(seed)
    Ps = np.maximum(1, np.rint(a * N)).astype(np.int64)
    Ps = np.minimum(Ps, N)
    over = np.full((a.size, D, R), np.nan)
    stopped = False
    done = 0
    for ia, P in enumerate(Ps):
        for d in range(D):
            net = store(random_patterns(int(P), N, seed=rng))
            mus = np.arange(min(R, int(P)))
            starts = [(corrupt(net.patterns[mu], p, seed=rng) if p > 0 else net.patterns[mu], mu) for mu in mus]
            over[ia, d, :mus.size] = _final_overlaps_zero_t(net, starts, kernel_seeds(rng, mus.size), n_sweeps)
        done = ia + 1
        if report(callback, done, a.size, f"α = {P / N:.3f} ({done}/{a.size})", over[:done]):
            stopped = True
            break
    over = over[:done]
    Ps = Ps[:done]
    m_mean, m_err = _mean_and_error(over)
    ok = np.where(np.isnan(over), np.nan, (over >= thr).astype(float))
    r_mean, r_err = _mean_and_error(ok)
    alphas_real = Ps / N
    theory = np.array([ags_retrieval(x, 0.0).m for x in alphas_real])
    return CapacityResult(N, alphas_real, Ps, over, m_mean, m_err, r_mean, r_err, theory,
                          ags_critical_alpha(0.0), p, thr, n_sweeps, seed if isinstance(seed, int) else None, stopped)


# --------------------------------------------------------------- simulated phase diagram

@dataclass
class PhasePoints:
    """Simulation points on the (α, T) plane: does a stored pattern stay retrieved?

    Attributes
    ----------
    alphas : (A,) realised α = P/N; temperatures : (B,) T.
    m_mean, m_err : (A, B) overlap with the starting pattern averaged over the second half of the
        sweeps, then over probes and draws; s.e.m. over draws (NaN with one draw).
    retrieved : (A, B) bool, m_mean >= ``threshold``.
    """

    n_neurons: int
    alphas: np.ndarray
    temperatures: np.ndarray
    m_mean: np.ndarray
    m_err: np.ndarray
    retrieved: np.ndarray
    threshold: float
    n_sweeps: int
    stopped: bool = False

    def to_frame(self):
        """Long format: one row per (alpha, temperature) with m_mean, m_err, retrieved."""
        import pandas as pd

        A, B = np.meshgrid(self.alphas, self.temperatures, indexing="ij")
        return pd.DataFrame({"alpha": A.ravel(), "temperature": B.ravel(), "m_mean": self.m_mean.ravel(),
                             "m_err": self.m_err.ravel(), "retrieved": self.retrieved.ravel()})


def phase_diagram_points(n_neurons: int = 200, alphas=None, temperatures=None, *, n_draws: int = 2,
                         n_probes: int = 4, n_sweeps: int = 60, threshold: float = 0.5, seed=None,
                         callback: Callback = None) -> PhasePoints:
    """Retrieval or not on an (α, T) grid, to overlay on :func:`ags_phase_diagram`.

    At each grid point, ``n_draws`` independent sets of P = round(αN) random patterns; ``n_probes``
    replicas start at stored patterns and run ``n_sweeps`` heat-bath sweeps through the Ising
    engine (T = 0 uses the zero-temperature kernel); the overlap with the starting pattern is
    averaged over the second half of the run. Starting at the pattern measures where retrieval
    states exist (the AGS line T_M), not where they are the global minimum.
    Defaults: α in {0.02, 0.05, ..., 0.17}, T in {0, 0.2, ..., 1.0}.
    """
    N = integer("n_neurons", n_neurons, low=MIN_NEURONS, high=MAX_NEURONS_THERMAL)
    a = np.array([0.02, 0.05, 0.08, 0.11, 0.14, 0.17]) if alphas is None else finite_array("alphas", alphas, ndim=1)
    if a.size == 0 or np.any(a <= 0) or np.any(a > 1):
        raise expected("alphas", "values in (0, 1]", a.tolist())
    Ts = np.linspace(0.0, 1.0, 6) if temperatures is None else finite_array("temperatures", temperatures, ndim=1)
    if Ts.size == 0 or np.any(Ts < 0):
        raise expected("temperatures", "values >= 0", Ts.tolist())
    D = integer("n_draws", n_draws, low=1, high=100)
    R = integer("n_probes", n_probes, low=1, high=N)
    n_sweeps = integer("n_sweeps", n_sweeps, low=2, high=10_000)
    thr = real("threshold", threshold, low=-1.0, high=1.0)
    rng = as_generator(seed)
    Ps = np.minimum(N, np.maximum(1, np.rint(a * N))).astype(np.int64)
    vals = np.full((a.size, Ts.size, D, R), np.nan)
    total, done, stopped = a.size * Ts.size, 0, False
    for ia, P in enumerate(Ps):
        for it, T in enumerate(Ts):
            for d in range(D):
                net = store(random_patterns(int(P), N, seed=rng))
                mus = np.arange(min(R, int(P)))
                vals[ia, it, d, :mus.size] = _mean_overlap(net, mus, float(T), n_sweeps, rng)
            done += 1
            if report(callback, done, total, f"α = {P / N:.3f}, T = {T:g}"):
                stopped = True
                break
        if stopped:
            break
    flat = vals.reshape(a.size * Ts.size, D, R)
    m_mean, m_err = (x.reshape(a.size, Ts.size) for x in _mean_and_error(flat))
    return PhasePoints(N, Ps / N, Ts, m_mean, m_err, m_mean >= thr, thr, n_sweeps, stopped)


def _mean_overlap(net, mus, T, n_sweeps, rng):
    """Overlap with the starting pattern, averaged over the second half of ``n_sweeps``; one value per mu."""
    if T == 0:
        starts = [(net.patterns[mu], mu) for mu in mus]
        return _final_overlaps_zero_t(net, starts, kernel_seeds(rng, len(mus)), n_sweeps)
    model = net.to_ising()
    s = net.patterns[mus].copy()
    burn = n_sweeps // 2
    s, _ = _heat_bath(model, T, burn, s, rng)
    acc = np.zeros(len(mus))
    for _ in range(n_sweeps - burn):
        s, _ = _heat_bath(model, T, 1, s, rng)
        acc += np.einsum("ri,ri->r", s.astype(np.float64), net.patterns[mus].astype(np.float64))
    return acc / ((n_sweeps - burn) * net.n_neurons)


# --------------------------------------------------------------------------- AGS theory

_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
_STEPS = np.arange(-9.0, 10.0)
_KINK = np.array([0.0, -0.5, 0.5, -1.0, 1.0, -2.0, 2.0, -4.0, 4.0, -8.0, 8.0, -16.0, 16.0])
_SQRT_2_PI = math.sqrt(2.0 / math.pi)


def _gauss_nodes(m, sigma, T):
    """Nodes x and weights w with Σ w f(x) = ∫Dz f(m + σz), for f smooth on the scale T near x = 0.

    Composite Gauss-Legendre on [m - 9σ, m + 9σ] with breakpoints every σ around m and at
    0, ±T·{½, 1, 2, 4, 8, 16} so that the kink of tanh(x/T) at x = 0 is resolved at any T.
    """
    # breakpoints clipped to the range; repeated ones make empty panels, which weigh nothing
    b = np.sort(np.clip(np.concatenate([m + sigma * _STEPS, T * _KINK]), m - 9.0 * sigma, m + 9.0 * sigma))
    a0, a1 = b[:-1, None], b[1:, None]
    x = (0.5 * (a1 - a0) * _GL_X[None, :] + 0.5 * (a1 + a0)).ravel()
    z = (x - m) / sigma
    w = (0.5 * (a1 - a0) * _GL_W[None, :]).ravel() * np.exp(-0.5 * z * z) / (sigma * math.sqrt(2 * math.pi))
    return x, w / w.sum()


def _averages(m, sigma, T):
    """(⟨tanh βx⟩, q = ⟨tanh² βx⟩, C = β⟨sech² βx⟩, L = T⟨ln 2cosh βx⟩) over x = m + σz.

    T = 0: (erf(m/σ√2), 1, √(2/π)/σ e^{-m²/2σ²}, ⟨|x|⟩). σ = 0: the values at x = m (C = 0 at T = 0).
    """
    if sigma <= 0.0:
        if T == 0:
            return (math.copysign(1.0, m) if m != 0 else 0.0), 1.0, 0.0, abs(m)
        t = math.tanh(m / T)
        y = abs(m) / T
        return t, t * t, (1.0 - t * t) / T, T * (y + math.log1p(math.exp(-2 * y)))
    if T == 0:
        u = m / (sigma * math.sqrt(2.0))
        g = math.exp(-u * u)
        return math.erf(u), 1.0, _SQRT_2_PI / sigma * g, m * math.erf(u) + sigma * _SQRT_2_PI * g
    x, w = _gauss_nodes(m, sigma, T)
    y = x / T
    t = np.tanh(y)
    e = np.exp(-2.0 * np.abs(y))
    sech2 = 4.0 * e / (1.0 + e) ** 2  # 1 - tanh² without cancellation
    return float(w @ t), float(w @ (t * t)), float(w @ sech2) / T, T * float(w @ (np.abs(y) + np.log1p(e)))


def _free_energy(alpha, T, m, q, C, L):
    """f = ½m² + α/2 + (α/2)[T ln(1-C) - q/(1-C) + qC/(1-C)²] - L (AGS 1987, RS), per neuron."""
    D = 1.0 - C
    lnD = T * math.log(D) if T > 0 else 0.0
    return 0.5 * m * m + 0.5 * alpha + 0.5 * alpha * (lnD - q / D + q * C / (D * D)) - L


def _curie_weiss_m(T) -> float:
    """The positive root of m = tanh(m/T) (0 for T >= 1)."""
    if T == 0:
        return 1.0
    if T >= 1.0:
        return 0.0
    return optimize.brentq(lambda m: math.tanh(m / T) - m, 1e-12, 1.0, xtol=1e-15)


def _sigma_for_m(m, T):
    """σ solving m = ⟨tanh β(m + σz)⟩ for 0 < m < m_CW(T) (the right side falls with σ)."""
    if T == 0:
        g = lambda s: math.erf(m / (s * math.sqrt(2.0))) - m  # noqa: E731
    else:
        g = lambda s: _averages(m, s, T)[0] - m  # noqa: E731
    hi = 1.0
    while g(hi) > 0:
        hi *= 2.0
    lo = 0.0 if T > 0 else 1e-300
    return optimize.brentq(g, lo, hi, xtol=1e-14, rtol=1e-13)


def _retrieval_branch(m, T):
    """(α, σ, q, C, L) of the retrieval solution with overlap m at temperature T (α = σ²(1-C)²/q)."""
    sigma = _sigma_for_m(m, T)
    _, q, C, L = _averages(m, sigma, T)
    if C >= 1.0:
        return 0.0, sigma, q, C, L
    return sigma * sigma * (1.0 - C) ** 2 / q, sigma, q, C, L


def _retrieval_peak(T):
    """(α_M(T), m at the fold): the largest α for which a retrieval solution exists."""
    mcw = _curie_weiss_m(T)
    if mcw <= 1e-6:
        return 0.0, 0.0
    ms = mcw * np.linspace(0.02, 0.995, 40)
    al = np.array([_retrieval_branch(x, T)[0] for x in ms])
    k = int(np.argmax(al))
    lo, hi = ms[max(k - 1, 0)], ms[min(k + 1, ms.size - 1)]
    res = optimize.minimize_scalar(lambda x: -_retrieval_branch(x, T)[0], bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-10})
    return float(-res.fun), float(res.x)


@dataclass
class AGSSolution:
    """A replica-symmetric AGS solution at (α, T): order parameters and free energy per neuron.

    m : overlap with the condensed pattern (0 when there is no retrieval solution or for the
    spin-glass state); q : Edwards-Anderson order parameter; r : noise from the other patterns
    (σ² = α r); free_energy : f (at T = 0 the energy per neuron); state : "retrieval",
    "spin glass" or "paramagnet"; exists : False if the requested state has no solution here.
    """

    alpha: float
    temperature: float
    m: float
    q: float
    r: float
    free_energy: float
    state: str
    exists: bool = True


def _check_alpha_t(alpha, temperature):
    return real("alpha", alpha, low=0.0, high=1.0), real("temperature", temperature, low=0.0)


def ags_retrieval(alpha: float, temperature: float) -> AGSSolution:
    """The stable retrieval solution (largest m) of the AGS equations at storage ratio α, temperature T.

    Returns ``exists=False`` and m = 0 when α is above the retrieval line α_M(T).
    """
    alpha, T = _check_alpha_t(alpha, temperature)
    mcw = _curie_weiss_m(T)
    if mcw <= 0:
        return AGSSolution(alpha, T, 0.0, 0.0, 0.0, math.nan, "retrieval", False)
    if alpha == 0.0:  # Curie-Weiss
        _, q, C, L = _averages(mcw, 0.0, T)
        return AGSSolution(0.0, T, mcw, q, q / (1 - C) ** 2, _free_energy(0.0, T, mcw, q, C, L), "retrieval")
    a_max, m_fold = _retrieval_peak(T)
    if alpha > a_max:
        return AGSSolution(alpha, T, 0.0, 0.0, 0.0, math.nan, "retrieval", False)
    m_hi = mcw * (1 - 1e-12)
    if alpha <= _retrieval_branch(m_hi, T)[0]:
        # at low T and small α the overlap is within 1e-12 of its Curie-Weiss value (erf saturates
        # in double precision), so the branch never comes down to α: that value is the solution
        m = m_hi
    else:
        m = optimize.brentq(lambda x: _retrieval_branch(x, T)[0] - alpha, m_fold, m_hi, xtol=1e-13)
    _, sigma, q, C, L = _retrieval_branch(m, T)
    return AGSSolution(alpha, T, m, q, sigma * sigma / alpha, _free_energy(alpha, T, m, q, C, L), "retrieval")


def _glass_branch(sigma, T):
    """(α, q, C, L) of the m = 0 solution with noise σ (α = σ²(1-C)²/q; NaN where 1 - C <= 0)."""
    _, q, C, L = _averages(0.0, sigma, T)
    if C >= 1.0 or q <= 0:
        return math.nan, q, C, L
    return sigma * sigma * (1.0 - C) ** 2 / q, q, C, L


def ags_spin_glass(alpha: float, temperature: float) -> AGSSolution:
    """The m = 0 solution: spin glass (q > 0) below T_g = 1 + √α, paramagnet (q = 0) above."""
    alpha, T = _check_alpha_t(alpha, temperature)
    if T >= 1.0 + math.sqrt(alpha):
        f = 0.5 * alpha + 0.5 * alpha * T * math.log(1 - 1 / T) - T * math.log(2.0) if T > 1 else math.nan
        return AGSSolution(alpha, T, 0.0, 0.0, 0.0, f, "paramagnet")
    if alpha == 0.0:
        return AGSSolution(0.0, T, 0.0, 0.0, 0.0, math.nan, "spin glass", False)
    if T == 0:
        sigma = _SQRT_2_PI + math.sqrt(alpha)  # α = (σ - √(2/π))²
    else:
        # lower end: 1 - C = 0 (T < 1) or σ -> 0 where α -> (T - 1)² (T > 1)
        if T < 1.0:
            lo = optimize.brentq(lambda s: _averages(0.0, s, T)[2] - 1.0, 1e-12, 1e3, xtol=1e-15) * (1 + 1e-12)
        else:
            lo = 1e-4
            while lo > 1e-8 and not _glass_branch(lo, T)[0] < alpha:
                lo /= 10.0
            if not _glass_branch(lo, T)[0] < alpha:  # just below T_g: q ~ 0
                return AGSSolution(alpha, T, 0.0, 0.0, 0.0, math.nan, "spin glass", False)
        hi = max(2 * lo, 1.0)
        while _glass_branch(hi, T)[0] < alpha:
            hi *= 2.0
        sigma = optimize.brentq(lambda s: _glass_branch(s, T)[0] - alpha, lo, hi, xtol=1e-14, rtol=1e-13)
    _, q, C, L = _averages(0.0, sigma, T)
    return AGSSolution(alpha, T, 0.0, q, sigma * sigma / alpha, _free_energy(alpha, T, 0.0, q, C, L), "spin glass")


def ags_critical_alpha(temperature: float = 0.0) -> float:
    """α_M(T): the largest storage ratio with a retrieval solution (T = 0: 0.1379, AGS 1985)."""
    T = real("temperature", temperature, low=0.0)
    return _retrieval_peak(T)[0]


def _global_alpha(T, a_max, m_fold):
    """α_c(T) where f_retrieval = f_spin-glass along the stable retrieval branch (NaN if no crossing)."""
    mcw = _curie_weiss_m(T)

    def df(m):
        a, sigma, q, C, L = _retrieval_branch(m, T)
        g = ags_spin_glass(a, T)
        return _free_energy(a, T, m, q, C, L) - g.free_energy

    hi = mcw * (1 - 1e-6)
    lo = m_fold
    try:
        if not (df(lo) > 0 > df(hi)):
            return math.nan
        m = optimize.brentq(df, lo, hi, xtol=1e-10)
    except (ValueError, ZeroDivisionError):
        return math.nan
    return _retrieval_branch(m, T)[0]


@dataclass
class AGSPhaseDiagram:
    """The replica-symmetric (α, T) phase diagram of the Hopfield model (AGS 1987).

    Attributes
    ----------
    temperatures : (B,) T values of the two retrieval lines.
    alpha_retrieval : (B,) α_M(T), the T_M line: retrieval states exist (as local minima) for α < α_M(T).
    alpha_global : (B,) α_c(T), the T_c line: retrieval states are global minima for α < α_c(T)
        (NaN above the temperature where the line ends).
    alphas : (A,) α grid of the spin-glass line; t_glass : (A,) T_g = 1 + √α (spin glass below,
        paramagnet above).
    alpha_c : α_M(0) = 0.1379.
    """

    temperatures: np.ndarray
    alpha_retrieval: np.ndarray
    alpha_global: np.ndarray
    alphas: np.ndarray
    t_glass: np.ndarray
    alpha_c: float

    def to_frame(self):
        """Long format: columns line ("T_M", "T_c", "T_g"), alpha, temperature."""
        import pandas as pd

        parts = [pd.DataFrame({"line": "T_M", "alpha": self.alpha_retrieval, "temperature": self.temperatures}),
                 pd.DataFrame({"line": "T_c", "alpha": self.alpha_global, "temperature": self.temperatures}),
                 pd.DataFrame({"line": "T_g", "alpha": self.alphas, "temperature": self.t_glass})]
        return pd.concat(parts, ignore_index=True)


def ags_phase_diagram(n_temperatures: int = 30, *, alpha_max: float = 0.2) -> AGSPhaseDiagram:
    """Solve the AGS equations for the retrieval line α_M(T), the global-minimum line α_c(T) and T_g.

    Temperatures are spaced as T = 1 - (1 - u)² on u in [0, 1) (denser near T = 1, where both
    retrieval lines go to α = 0); the spin-glass line T_g = 1 + √α is drawn on α in [0, alpha_max].
    """
    n = integer("n_temperatures", n_temperatures, low=2, high=400)
    amax = real("alpha_max", alpha_max, low=0.0, low_open=True, high=1.0)
    u = np.linspace(0.0, 1.0, n, endpoint=False)
    Ts = 1.0 - (1.0 - u) ** 2
    a_ret, a_glob = np.empty(n), np.empty(n)
    for k, T in enumerate(Ts):
        a_ret[k], m_fold = _retrieval_peak(T)
        a_glob[k] = _global_alpha(T, a_ret[k], m_fold) if a_ret[k] > 0 else math.nan
    Ts = np.append(Ts, 1.0)  # both lines end at (0, 1)
    a_ret, a_glob = np.append(a_ret, 0.0), np.append(a_glob, 0.0)
    al = np.linspace(0.0, amax, 60)
    return AGSPhaseDiagram(Ts, a_ret, a_glob, al, 1.0 + np.sqrt(al), a_ret[0])


# -------------------------------------------------------------------------------- warm-up

def _warm():
    """Compile the kernel on a tiny problem (used by ``python -m engine.warm``)."""
    net = store(random_patterns(2, 8, seed=0))
    recall(net, net.patterns[0], n_sweeps=2, seed=0)
