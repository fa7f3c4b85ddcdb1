"""Thermodynamics from a density of states: canonical, microcanonical, and the paper's normalised C(T).

PHYSICS.md section 2. With ``ln g(E)`` normalised so that ``Σ_E g(E) = 2^N`` (k_B = 1,
temperatures in the units of the couplings)::

    ln Z(T) = logsumexp_E( ln g(E) - E/T )
    U = <E>,   C = (<E²> - <E>²) / T²,   F = -T ln Z,   S = (U - F) / T

everything in logs: N is hundreds to thousands and g(E) overflows any float. The variance is
taken as ``<(E - U)²>`` (no cancellation between two large moments). Microcanonically
``S(E) = ln g(E)`` and ``1/T(E) = dS/dE``.

The normalised convention of Stosic, Stosic & Stosic, arXiv:2209.08678 (PHYSICS.md section 1),
offered so that their plots can be compared: ``x = (E - E_min) / W_ref``, weights
``exp(ln g(E)/N - x/T)``, ``C = Var(x) / T²`` on T in (0, 1], T_c = argmax C. It is not the
Boltzmann distribution of the spin system (ln g is divided by N); it is the paper's construction.

:class:`DensityOfStates` is the one data type for g(E); :mod:`engine.exact` (enumeration) and
:mod:`engine.wang_landau` (sampling) both return it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .errors import EngineError, expected
from .validation import increasing, positive, real

LN2 = math.log(2.0)


# ------------------------------------------------------------------------------ density of states

@dataclass
class DensityOfStates:
    """ln g(E) on a grid of energy bins (total energies, not per spin).

    Attributes
    ----------
    energies : (B,) float64, bin centres (exact levels when ``exact_levels``).
    log_g : (B,) float64, ln g; ``-inf`` for bins never visited; ``logsumexp(log_g) = N ln 2``.
    visited : (B,) bool, bins that hold states (enumeration) or were reached (Wang-Landau).
    n_spins : N.
    bin_width : the grid spacing (energy units).
    e_min, e_max : lowest and highest energy found (exact for enumeration, the extremes the walk
        reached for Wang-Landau; not bin centres).
    method : "exact" or "wang-landau".
    exact_levels : the bins are the model's exact energy levels (integer couplings and fields).
    symmetric : the model has g(E) = g(-E) exactly (no fields and a bipartite graph, e.g. any
        layered network): :meth:`symmetry_error` is then a convergence check.
    converged, log_f, n_steps, seconds : how the estimate was obtained (enumeration: converged,
        ln f = 0, n_steps = 2^N).
    n_windows : energy windows of the walk; model_name : for figure captions; info : extras.
    """

    energies: np.ndarray
    log_g: np.ndarray
    visited: np.ndarray
    n_spins: int
    bin_width: float
    e_min: float
    e_max: float
    method: str = "wang-landau"
    exact_levels: bool = False
    symmetric: bool = False
    converged: bool = True
    log_f: float = 0.0
    n_steps: int = 0
    seconds: float = 0.0
    n_windows: int = 1
    model_name: str = ""
    info: dict = field(default_factory=dict, repr=False)

    @property
    def width(self) -> float:
        """W = E_max - E_min, the range of realisable energies (total)."""
        return float(self.e_max - self.e_min)

    @property
    def n_bins(self) -> int:
        """Number of bins that hold states."""
        return int(np.count_nonzero(self.visited))

    @property
    def energies_per_spin(self) -> np.ndarray:
        return self.energies / self.n_spins

    @property
    def log_g_per_spin(self) -> np.ndarray:
        return self.log_g / self.n_spins

    def _mirror_pairs(self):
        """(i, j) arrays of visited bins with ``E_j = -E_i`` (each pair once, i <= j)."""
        if self.energies.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        k = (-self.energies - self.energies[0]) / self.bin_width  # grid index of each mirror image
        j = np.rint(k).astype(np.int64)
        ok = (np.abs(k - j) < 1e-6) & (j >= 0) & (j < self.energies.size)  # on the grid (symmetric grid)
        i = np.flatnonzero(ok & self.visited)
        j = j[i]
        keep = self.visited[j] & (i <= j)
        return i[keep], j[keep]

    def symmetry_error(self) -> float:
        """max |ln g(E) - ln g(-E)| over bins present on both sides (NaN if none).

        Meaningful when ``symmetric`` (field-free layered/bipartite models), where the exact
        value is 0: a large error flags an unconverged or one-sided walk.
        """
        i, j = self._mirror_pairs()
        if i.size == 0:
            return float("nan")
        return float(np.max(np.abs(self.log_g[i] - self.log_g[j])))

    def symmetrised(self) -> "DensityOfStates":
        """ln g averaged with its mirror image, ½(ln g(E) + ln g(-E)), renormalised (symmetric models)."""
        lg = self.log_g.copy()
        i, j = self._mirror_pairs()
        lg[i] = lg[j] = 0.5 * (self.log_g[i] + self.log_g[j])
        return replace(self, log_g=normalise_log_g(lg, self.visited, self.n_spins))

    def to_frame(self):
        """pandas DataFrame of the visited bins: E, E/N, ln g, ln g / N."""
        import pandas as pd

        v = self.visited
        return pd.DataFrame({"E": self.energies[v], "E/N": self.energies[v] / self.n_spins,
                             "ln g": self.log_g[v], "ln g / N": self.log_g[v] / self.n_spins})


def normalise_log_g(log_g, visited, n_spins) -> np.ndarray:
    """``log_g`` shifted so that Σ g over visited bins = 2^N; unvisited bins set to -inf."""
    lg = np.where(visited, np.asarray(log_g, dtype=np.float64), -np.inf)
    if not np.any(visited):
        return lg
    return lg - (_logsumexp(lg[visited]) - n_spins * LN2)


def _logsumexp(a) -> float:
    m = np.max(a)
    return float(m + np.log(np.sum(np.exp(a - m))))


def _check_dos(dos) -> DensityOfStates:
    if not isinstance(dos, DensityOfStates):
        raise expected("dos", "a DensityOfStates (from wang_landau or exact_density_of_states)", type(dos).__name__)
    if not np.any(dos.visited):
        raise expected("dos", "a density of states with at least one visited bin", "none")
    return dos


def _temperatures(temperatures) -> np.ndarray:
    """A strictly increasing (K,) ladder of finite temperatures > 0; a scalar becomes (1,)."""
    return increasing("temperatures", [temperatures] if np.ndim(temperatures) == 0 else temperatures,
                      positive_values=True)


# ------------------------------------------------------------------------------ canonical

@dataclass
class Thermodynamics:
    """Canonical averages on a temperature grid, for the whole system unless ``per_spin``.

    T (K,) temperatures; U internal energy <E>; C = Var(E)/T² heat capacity; S entropy;
    F = -T ln Z free energy; log_Z; all (K,) float64. ``per_spin()`` divides U, C, S, F and
    ln Z by N.
    """

    T: np.ndarray
    U: np.ndarray
    C: np.ndarray
    S: np.ndarray
    F: np.ndarray
    log_Z: np.ndarray
    n_spins: int
    is_per_spin: bool = False
    source: str = ""

    def per_spin(self) -> "Thermodynamics":
        if self.is_per_spin:
            return self
        n = self.n_spins
        return replace(self, U=self.U / n, C=self.C / n, S=self.S / n, F=self.F / n, log_Z=self.log_Z / n,
                       is_per_spin=True)

    def to_frame(self):
        import pandas as pd

        suffix = "/N" if self.is_per_spin else ""
        return pd.DataFrame({"T": self.T, "U" + suffix: self.U, "C" + suffix: self.C, "S" + suffix: self.S,
                             "F" + suffix: self.F})


def canonical(energies, log_weights, temperatures, n_spins, source="") -> Thermodynamics:
    """Canonical averages over levels ``energies`` (M,) with degeneracies ``exp(log_weights)`` (M,).

    ``ln Z = logsumexp(log_weights - E/T)``, ``U = <E>``, ``C = <(E-U)²>/T²``, ``F = -T ln Z``,
    ``S = ln Z + U/T``; one temperature at a time so that M can be 2^26 raw energies.
    Inputs are trusted (the public functions validate).
    """
    e = np.asarray(energies, dtype=np.float64)
    lw = np.asarray(log_weights, dtype=np.float64)
    T = np.asarray(temperatures, dtype=np.float64)
    out = np.empty((4, T.size))
    for k, t in enumerate(T):
        a = lw - e / t
        m = a.max()
        w = np.exp(a - m)
        z = w.sum()
        u = np.dot(w, e) / z
        var = np.dot(w, (e - u) ** 2) / z
        out[:, k] = m + math.log(z), u, var / t ** 2, 0.0
    log_z, U, C = out[0], out[1], out[2]
    F = -T * log_z
    return Thermodynamics(T=T, U=U, C=C, S=log_z + U / T, F=F, log_Z=log_z, n_spins=int(n_spins), source=source)


def thermodynamics(dos, temperatures) -> Thermodynamics:
    """U, C, S, F (whole system) at each temperature from a density of states.

    Parameters
    ----------
    dos : DensityOfStates (bin centres stand for every state in a bin: the binning error on C is
        of order (bin width)² / (12 T²) per bin's spread).
    temperatures : (K,) strictly increasing, > 0, in coupling units (a scalar is allowed).
    """
    dos = _check_dos(dos)
    T = _temperatures(temperatures)
    v = dos.visited
    return canonical(dos.energies[v], dos.log_g[v], T, dos.n_spins, source=f"{dos.method} {dos.model_name}".strip())


# ------------------------------------------------------------------------------ peak of C(T)

@dataclass(frozen=True)
class SpecificHeatPeak:
    """The maximum of C(T): ``temperature`` (T_c), ``c_max``, and whether it sits at a grid edge."""

    temperature: float
    c_max: float
    at_edge: bool


def specific_heat_peak(result) -> SpecificHeatPeak:
    """argmax C over the grid, refined by the parabola through the maximum and its two neighbours.

    ``result``: a :class:`Thermodynamics` or :class:`NormalisedSpecificHeat` (anything with
    arrays ``T`` and ``C``). A maximum at either end of the grid is returned unrefined with
    ``at_edge=True`` (the true peak may lie outside the grid).
    """
    if not (hasattr(result, "T") and hasattr(result, "C")):
        raise expected("thermo", "a Thermodynamics or NormalisedSpecificHeat", type(result).__name__)
    T, C = np.asarray(result.T, dtype=np.float64), np.asarray(result.C, dtype=np.float64)
    k = int(np.nanargmax(C))
    if k == 0 or k == T.size - 1:
        return SpecificHeatPeak(float(T[k]), float(C[k]), True)
    t, c = T[k - 1:k + 2], C[k - 1:k + 2]
    a, b, c0 = np.polyfit(t - t[1], c, 2)  # exact through three points; centred for conditioning
    if a >= 0:  # flat top: no curvature to refine with
        return SpecificHeatPeak(float(T[k]), float(C[k]), False)
    dt = float(np.clip(-b / (2 * a), t[0] - t[1], t[2] - t[1]))
    return SpecificHeatPeak(float(t[1] + dt), float(a * dt * dt + b * dt + c0), False)


def critical_temperature(result) -> float:
    """T_c = argmax C(T) with a parabolic refinement (see :func:`specific_heat_peak`)."""
    return specific_heat_peak(result).temperature


# ------------------------------------------------------------------------------ microcanonical

@dataclass
class Microcanonical:
    """S(E) = ln g(E) and β(E) = dS/dE = 1/T(E) on the visited bins (total energies).

    energies, entropy, beta, temperature: (B',) float64; temperature = 1/β (±inf where β = 0,
    negative above the entropy maximum).
    """

    energies: np.ndarray
    entropy: np.ndarray
    beta: np.ndarray
    n_spins: int

    @property
    def temperature(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return 1.0 / self.beta

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"E": self.energies, "E/N": self.energies / self.n_spins, "S": self.entropy,
                             "S/N": self.entropy / self.n_spins, "beta": self.beta})


def microcanonical(dos) -> Microcanonical:
    """S(E) = ln g(E) and 1/T(E) = dS/dE by finite differences (second order inside, one-sided at ends)."""
    dos = _check_dos(dos)
    v = dos.visited
    e, s = dos.energies[v], dos.log_g[v]
    beta = np.gradient(s, e) if e.size > 1 else np.zeros(1)
    return Microcanonical(energies=e, entropy=s, beta=beta, n_spins=dos.n_spins)


# ------------------------------------------------------------------------------ normalised C(T)

@dataclass
class NormalisedSpecificHeat:
    """The paper's C(T) = Var(x)/T² with x = (E - e_min)/width, weights exp(ln g/N - x/T)."""

    T: np.ndarray
    C: np.ndarray
    e_min: float
    width: float
    n_spins: int

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"T": self.T, "C (normalised)": self.C})


def normalised_specific_heat(dos, temperatures, *, e_min=None, width=None) -> NormalisedSpecificHeat:
    """Stosic et al.'s normalised specific heat (PHYSICS.md section 1).

    Parameters
    ----------
    dos : DensityOfStates.
    temperatures : (K,) strictly increasing, > 0 (the paper uses T in (0, 1]).
    e_min, width : the reference E_min and W (defaults: the dos's own ``e_min`` and ``width``);
        to compare a shuffled twin with its trained network on one scale, pass the trained W.
    """
    dos = _check_dos(dos)
    T = _temperatures(temperatures)
    e0 = dos.e_min if e_min is None else real("e_min", e_min)
    w = dos.width if width is None else positive("width", width)
    if w <= 0:
        raise EngineError(f"`width` must be > 0, got {w!r} (a density of states with a single level)")
    v = dos.visited
    x = (dos.energies[v] - e0) / w
    res = canonical(x, dos.log_g[v] / dos.n_spins, T, dos.n_spins)
    return NormalisedSpecificHeat(T=T, C=res.C, e_min=float(e0), width=float(w), n_spins=dos.n_spins)
