"""The thermal deep learning machine: liquid and solid layers of a learning MLP.

Model (G. Huang, L. S. Chan, H. Yoshino, G. Zhang & Y. Jin, "Liquid and solid layers in a
thermal deep learning machine", arXiv:2506.06789 (2025); theory: H. Yoshino, SciPost Phys.
Core 2, 005 (2020), arXiv:1910.09918). Layers l = 0..L with widths N_0 (input), N (hidden)
and 2 (output). The variables are the internal representations S^μ_{l,i}, one copy per
training example μ = 1..M, and the weights J_{l,ij}, all real in (-1, 1) and kept there by
reflecting walls; S_0 (the ±1 image) and S_L (the one-hot ±1 label) are clamped::

    E_l = sqrt( Σ_μ Σ_i [ S^μ_{l,i} - tanh( Σ_j J_{l,ij} S^μ_{l-1,j} ) ]² ),   H = Σ_{l=1..L} E_l

(option ``energy="squared"``: H = Σ_l E_l², for comparison). Zero energy means every
constraint is satisfied; at T -> 0 the ensemble is that of MLPs fitting the data. The
storage ratio is α = M/N (constraints per free variable of a layer).

Dynamics: Langevin molecular dynamics with the literal integrator of the paper, unit masses,
Δt = 1e-2, friction η (default 1e-2), k_BT = 1e-5, all S and J from uniform(-1, 1)::

    v(t+Δt/2) = v(t-Δt/2) + F Δt,   r(t+Δt) = r(t) + v(t+Δt/2) Δt,
    F = -∂H/∂r - η v(t-Δt/2) + sqrt(η(2-η) k_BT) ξ,   ξ ~ N(0, 1).

Read literally, friction removes only ηΔt of the velocity per step and each kick has
variance η(2-η) k_BT Δt², so the stationary kinetic temperature is about k_BT Δt (not k_BT):
the potential energy released by learning heats the machine and friction anneals it slowly,
which is what the paper's machine does (PHYSICS.md section 5, "Known pitfalls"). Times are
counted in steps (**choice**: the paper does not say steps or time units; time = steps × Δt).
The run starts from v = 0 (**choice**). At the waiting time t_w the state is copied into
``n_replicas`` replicas, each with fresh Maxwell-Boltzmann velocities v ~ N(0, k_BT) and its
own noise, and all run on.

Observables (layer l, waiting time t_w, lag t; raw and cosine-normalised Σxy/sqrt(Σx²Σy²))::

    c_l(t,t_w) = (1/(N_l M))       Σ_iμ S^μ_{l,i}(t+t_w) S^μ_{l,i}(t_w)     (hidden l = 1..L-1)
    C_l(t,t_w) = (1/(N_l N_{l-1})) Σ_ij J_{l,ij}(t+t_w) J_{l,ij}(t_w)       (l = 1..L)
    q_l, Q_l   = the same sums between replicas a, b at equal time t + t_w

τ_l is the 1/e crossing of c_l; q*_l = q_l at the last time; a layer is liquid if
q*_l < 1/e, else solid; the solid depth is ξ_s = L - (number of liquid layers) counted over
the hidden spin layers l = 1..L-1 (the clamped S_L is solid by construction; **choice**).
Test accuracy uses the sign network S_l = sgn(J_l S_{l-1}) and the tanh network, classifying
by the argmax of the last pre-activation.

The API is JAX-MD style: :func:`init` makes a :class:`MachineState`, :func:`step` advances it
(in place, numba kernel :func:`engine.kernels.thermal_machine.md_steps`; ``backend="numpy"``
runs the plain NumPy reference step with the same noise), :func:`split_replicas` makes the
replicas, and :func:`run` does a whole experiment from a :class:`MachineConfig` and a seed,
returning a :class:`MachineResult`.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, fields, replace
from functools import cached_property

import numpy as np

from .errors import expected
from .progress import Callback, report
from .random import as_generator, kernel_seeds
from .threads import run_rows, thread_count
from .validation import choice, integer, real

#: Bump when the numbers a run produces change (names sweep result files; see engine.sweep).
CODE_VERSION = "thermal-1"
#: The liquid/solid threshold on q*.
ONE_OVER_E = math.exp(-1.0)
DATASETS = ("digits", "teacher_student")
ENERGIES = ("sqrt", "squared")
BACKENDS = ("numba", "numpy")
MAX_STEPS = 10**9
#: Below this many variable-steps per call the replicas stay on one thread (a thread hop costs ~50 us).
_MIN_WORK_FOR_THREADS = 200_000


# ====================================================================================== config

@dataclass(frozen=True)
class MachineConfig:
    """Everything that defines one run; a run is a pure function of (config, seed).

    Parameters
    ----------
    dataset : "digits" (scikit-learn 8×8 digits, pixels thresholded to ±1, 64 inputs) or
        "teacher_student" (Gaussian inputs binarised to ±1, labels by a random tanh teacher).
    classes : the two digit classes (digits only).
    M : training examples (constraints per neuron); at most the training-set size
        (270 for digits 0/1).
    N : hidden width.  L : number of layers (weight matrices), >= 2.
    eta, dt, kT : friction η, time step Δt, temperature k_BT of the literal integrator.
    t_w : steps before the replicas are split (the waiting time).
    t_run : steps after the split.
    n_replicas : replicas after t_w (>= 2 for overlaps; >= 3 for clustering).
    energy : "sqrt" (H = Σ E_l, the paper) or "squared" (H = Σ E_l²).
    n_times : log-spaced measurement points in each phase (before and after t_w).
    data_seed : seed of the train/test split and of the choice of the M examples.
    n_features : input dimension of the teacher-student set.
    """

    dataset: str = "digits"
    classes: tuple = (0, 1)
    M: int = 200
    N: int = 10
    L: int = 10
    eta: float = 1e-2
    dt: float = 1e-2
    kT: float = 1e-5
    t_w: int = 100_000
    t_run: int = 100_000
    n_replicas: int = 2
    energy: str = "sqrt"
    n_times: int = 30
    data_seed: int = 0
    n_features: int = 20

    @property
    def alpha(self) -> float:
        """Storage ratio α = M/N."""
        return self.M / self.N

    @property
    def ln_alpha(self) -> float:
        return math.log(self.M / self.N)

    def validated(self) -> "MachineConfig":
        """A copy with every field checked and converted (raises EngineError)."""
        choice("dataset", self.dataset, DATASETS)
        choice("energy", self.energy, ENERGIES)
        classes = tuple(int(c) for c in self.classes)
        if len(classes) != 2 or len(set(classes)) != 2:
            raise expected("classes", "two different class labels", self.classes)
        return replace(
            self,
            classes=classes,
            M=integer("M", self.M, low=2, high=100_000),
            N=integer("N", self.N, low=1, high=1024),
            L=integer("L", self.L, low=2, high=64),
            eta=real("eta", self.eta, low=0.0, high=2.0),
            dt=real("dt", self.dt, low=0.0, high=1.0, low_open=True),
            kT=real("kT", self.kT, low=0.0, high=1.0),
            t_w=integer("t_w", self.t_w, low=0, high=MAX_STEPS),
            t_run=integer("t_run", self.t_run, low=1, high=MAX_STEPS),
            n_replicas=integer("n_replicas", self.n_replicas, low=1, high=64),
            n_times=integer("n_times", self.n_times, low=2, high=1000),
            data_seed=integer("data_seed", self.data_seed, low=0),
            n_features=integer("n_features", self.n_features, low=1, high=4096),
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["classes"] = list(d["classes"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "MachineConfig":
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise expected("config", f"keys among {sorted(names)}", unknown)
        d = dict(d)
        if "classes" in d:
            d["classes"] = tuple(d["classes"])
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


# ====================================================================================== data

@dataclass
class MachineData:
    """The clamped boundary layers and the held-out test set.

    ``s0`` (M, N_0) ±1 training inputs; ``sl`` (M, 2) one-hot ±1 labels; ``y_train`` (M,);
    ``X_test`` (n_test, N_0) ±1; ``y_test`` (n_test,) class indices.
    """

    s0: np.ndarray
    sl: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    description: str = ""

    @property
    def M(self) -> int:
        return int(self.s0.shape[0])

    @property
    def n_in(self) -> int:
        return int(self.s0.shape[1])


def one_hot_pm(y, n_classes: int = 2) -> np.ndarray:
    """Labels as one-hot ±1 rows: +1 at the class, -1 elsewhere, (n, n_classes)."""
    out = -np.ones((len(y), n_classes))
    out[np.arange(len(y)), np.asarray(y, dtype=np.int64)] = 1.0
    return out


def machine_data(config: MachineConfig) -> MachineData:
    """Load the data of ``config`` and keep M training examples (seeded by ``data_seed``).

    The M examples are the first M of a stratified shuffle (classes alternate), so every M
    sees both classes in equal measure.
    """
    from .data import load_dataset

    cfg = config.validated()
    if cfg.dataset == "digits":
        ds = load_dataset("digits", classes=cfg.classes, binarize=True, seed=cfg.data_seed)
    else:
        ds = load_dataset("teacher_student", binarize=True, seed=cfg.data_seed, n_features=cfg.n_features)
    n_train = len(ds.y_train)
    if cfg.M > n_train:
        raise expected("M", f"<= {n_train} (training examples of {ds.description})", cfg.M)
    rng = np.random.default_rng(cfg.data_seed)
    per_class = [rng.permutation(np.flatnonzero(ds.y_train == c)) for c in range(2)]
    order = [i for pair in zip(*per_class) for i in pair]
    longer = max(per_class, key=len)
    order += longer[min(map(len, per_class)):].tolist()
    idx = np.sort(np.asarray(order[:cfg.M], dtype=np.int64))
    s0 = np.ascontiguousarray(ds.X_train[idx])
    return MachineData(s0, one_hot_pm(ds.y_train[idx]), ds.y_train[idx].copy(),
                       np.ascontiguousarray(ds.X_test), ds.y_test.copy(), ds.description)


# ====================================================================================== state

@dataclass(frozen=True)
class Layout:
    """Where each layer lives in the flat per-replica vector ``x[r]`` (see the kernels module).

    ``widths`` (L+1,) = (N_0, N, ..., N, 2); S_l (l = 1..L-1) at ``off_s[l]`` stored (n_l, M);
    J_l (l = 1..L) at ``off_j[l]`` stored (n_l, n_{l-1}); ``off_s`` is -1 for l = 0, L.
    """

    widths: tuple
    M: int

    @property
    def L(self) -> int:
        return len(self.widths) - 1

    @property
    def off_s(self) -> np.ndarray:
        return self._offsets[0]

    @property
    def off_j(self) -> np.ndarray:
        return self._offsets[1]

    @property
    def n_free(self) -> int:
        return int(self._offsets[2])

    @property
    def n_spins(self) -> int:
        """Free spin variables, Σ_{l=1..L-1} n_l M (they come first in ``x[r]``)."""
        return int(sum(self.widths[1:-1]) * self.M)

    @cached_property
    def _offsets(self):
        w, L = self.widths, self.L
        off_s = np.full(L + 1, -1, dtype=np.int64)
        off_j = np.full(L + 1, -1, dtype=np.int64)
        o = 0
        for l in range(1, L):
            off_s[l], o = o, o + w[l] * self.M
        for l in range(1, L + 1):
            off_j[l], o = o, o + w[l] * w[l - 1]
        return off_s, off_j, o

    def spin_slice(self, l: int) -> slice:
        o = int(self.off_s[l])
        return slice(o, o + self.widths[l] * self.M)

    def weight_slice(self, l: int) -> slice:
        o = int(self.off_j[l])
        return slice(o, o + self.widths[l] * self.widths[l - 1])


@dataclass(frozen=True)
class Dynamics:
    """Integrator settings: time step Δt, friction η, temperature k_BT, energy form."""

    dt: float = 1e-2
    eta: float = 1e-2
    kT: float = 1e-5
    energy: str = "sqrt"

    def validated(self) -> "Dynamics":
        return Dynamics(real("dt", self.dt, low=0.0, high=1.0, low_open=True),
                        real("eta", self.eta, low=0.0, high=2.0),
                        real("kT", self.kT, low=0.0, high=1.0),
                        choice("energy", self.energy, ENERGIES))


@dataclass
class MachineState:
    """The machine's phase-space point for R replicas (a leading batch dimension).

    x : (R, n_free) float64 positions r(t) -- every free S and J, see :class:`Layout`.
    v : (R, n_free) float64 velocities v(t - Δt/2).
    rng : (R, 4) uint64 -- each replica's xoshiro256+ noise stream.
    step : steps done since :func:`init`.
    layout : :class:`Layout`;  s0t (N_0, M), slt (2, M): the clamped layers, feature-major.
    """

    x: np.ndarray
    v: np.ndarray
    rng: np.ndarray
    step: int
    layout: Layout
    s0t: np.ndarray
    slt: np.ndarray

    @property
    def n_replicas(self) -> int:
        return int(self.x.shape[0])

    def spins(self, l: int) -> np.ndarray:
        """S_l as (R, M, n_l) (a view for hidden layers; the clamped data for l = 0, L)."""
        lay = self.layout
        if not 0 <= l <= lay.L:
            raise expected("l", f"a layer in 0..{lay.L}", l)
        if l == 0 or l == lay.L:
            data = self.s0t if l == 0 else self.slt
            return np.broadcast_to(data.T, (self.n_replicas, lay.M, lay.widths[l]))
        return self.x[:, lay.spin_slice(l)].reshape(self.n_replicas, lay.widths[l], lay.M).transpose(0, 2, 1)

    def weights(self, l: int) -> np.ndarray:
        """J_l as (R, n_l, n_{l-1}) (a view), l = 1..L."""
        lay = self.layout
        if not 1 <= l <= lay.L:
            raise expected("l", f"a layer in 1..{lay.L}", l)
        return self.x[:, lay.weight_slice(l)].reshape(self.n_replicas, lay.widths[l], lay.widths[l - 1])

    def copy(self) -> "MachineState":
        return replace(self, x=self.x.copy(), v=self.v.copy(), rng=self.rng.copy())

    def _kernel_args(self):
        lay = self.layout
        return self.s0t, self.slt, np.asarray(lay.widths, dtype=np.int64), lay.off_s, lay.off_j


def init(data: MachineData, N: int, L: int, *, n_replicas: int = 1, seed=None) -> MachineState:
    """A fresh machine: every S and J uniform in (-1, 1), velocities 0 (all replicas equal).

    Parameters
    ----------
    data : the clamped layers (:func:`machine_data`).  N : hidden width.  L : layers (>= 2).
    n_replicas : R copies of the same initial point, each with its own noise stream.
    seed : int or Generator.
    """
    N = integer("N", N, low=1, high=1024)
    L = integer("L", L, low=2, high=64)
    n_replicas = integer("n_replicas", n_replicas, low=1, high=64)
    rng = as_generator(seed)
    layout = Layout(tuple([data.n_in] + [N] * (L - 1) + [data.sl.shape[1]]), data.M)
    x0 = rng.uniform(-1.0, 1.0, size=layout.n_free)
    x = np.repeat(x0[None, :], n_replicas, axis=0)
    return MachineState(x, np.zeros_like(x), _streams(rng, n_replicas), 0, layout,
                        np.ascontiguousarray(data.s0.T), np.ascontiguousarray(data.sl.T))


def _streams(rng, n):
    from .kernels.rng import seeded_state

    return np.stack([seeded_state(s) for s in kernel_seeds(rng, n)])


def step(state: MachineState, n_steps: int = 1, dynamics: Dynamics = Dynamics(), *,
         backend: str = "numba", threads: int | None = None) -> MachineState:
    """Advance every replica by ``n_steps`` steps of the literal integrator, in place.

    ``backend="numba"`` runs :func:`engine.kernels.thermal_machine.md_steps`, the replicas
    split over ``threads`` threads (default: one per core, at most one per replica; each
    replica owns its random stream, so the numbers do not depend on the thread count);
    ``backend="numpy"`` runs the plain NumPy reference step with the very same noise
    (drawn from the same streams), so both give the same trajectory up to rounding.
    Returns ``state`` (advanced).
    """
    from .kernels import thermal_machine as K

    n_steps = integer("n_steps", n_steps, low=0, high=MAX_STEPS)
    dyn = dynamics.validated()
    choice("backend", backend, BACKENDS)
    if threads is not None:
        threads = integer("threads", threads, low=1, high=1024)
    args = state._kernel_args()
    squared = dyn.energy == "squared"
    if backend == "numba":
        energies = np.empty((state.n_replicas, state.layout.L))
        n_threads = thread_count(state.n_replicas, threads) if n_steps * state.x.size >= _MIN_WORK_FOR_THREADS else 1

        def rows(lo, hi):
            K.md_steps(state.x[lo:hi], state.v[lo:hi], state.rng[lo:hi], *args, n_steps, dyn.dt, dyn.eta,
                       dyn.kT, squared, energies[lo:hi])

        run_rows(rows, state.n_replicas, n_threads)
    else:
        for _ in range(n_steps):
            xi = K.draw_normals(state.rng, state.layout.n_free)
            x, v = K.md_step_reference(state.x, state.v, xi, *args, dyn.dt, dyn.eta, dyn.kT, squared)
            state.x[...], state.v[...] = x, v
    state.step += n_steps
    return state


def split_replicas(state: MachineState, n_replicas: int, *, kT: float = 1e-5, seed=None) -> MachineState:
    """Copy replica 0 into ``n_replicas`` replicas with fresh Maxwell-Boltzmann velocities.

    Unit masses: every velocity component ~ N(0, k_BT), independently per replica; every
    replica gets its own new noise stream. Returns a new state (``state`` is unchanged).
    """
    n_replicas = integer("n_replicas", n_replicas, low=1, high=64)
    kT = real("kT", kT, low=0.0, high=1.0)
    rng = as_generator(seed)
    x = np.repeat(state.x[:1], n_replicas, axis=0)
    v = rng.normal(0.0, math.sqrt(kT), size=x.shape)
    return replace(state, x=x, v=v, rng=_streams(rng, n_replicas))


# ====================================================================================== observables

def layer_energies(state: MachineState) -> np.ndarray:
    """E_l for every replica and layer, (R, L) (dimensionless; H = Σ_l E_l)."""
    from .kernels.thermal_machine import layer_energies as kernel

    return kernel(state.x, *state._kernel_args())


def hamiltonian(energies: np.ndarray, energy: str = "sqrt") -> np.ndarray:
    """H = Σ_l E_l (or Σ_l E_l² for ``energy="squared"``) from (..., L) layer energies."""
    e = np.asarray(energies, dtype=float)
    return (e * e).sum(axis=-1) if energy == "squared" else e.sum(axis=-1)


def overlap(a, b, axis=-1) -> np.ndarray:
    """Raw overlap (1/n) Σ_k a_k b_k over ``axis`` (an int or tuple)."""
    return np.mean(np.asarray(a) * np.asarray(b), axis=axis)


def cosine_overlap(a, b, axis=-1) -> np.ndarray:
    """Cosine-normalised overlap Σ a b / sqrt(Σ a² Σ b²) over ``axis`` (NaN if a or b is 0)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    den = np.sqrt((a * a).sum(axis=axis) * (b * b).sum(axis=axis))
    num = (a * b).sum(axis=axis)
    return np.divide(num, den, out=np.full(np.shape(num), np.nan), where=den > 0)


def layer_overlaps(xa: np.ndarray, xb: np.ndarray, layout: Layout):
    """Per-layer overlaps of two sets of positions (..., n_free) (broadcasting over ...).

    Returns (q, q_cos, Q, Q_cos): spins q_l over hidden layers l = 1..L-1, shape (..., L-1);
    weights Q_l over l = 1..L, shape (..., L). With xa = x(t+t_w), xb = x(t_w) these are the
    auto-correlations c_l, C_l; with two replicas at equal time, the replica overlaps.
    """
    xa, xb = np.asarray(xa), np.asarray(xb)
    spins = [layout.spin_slice(l) for l in range(1, layout.L)]
    weights = [layout.weight_slice(l) for l in range(1, layout.L + 1)]

    def per(slices, fn):
        return np.stack([fn(xa[..., s], xb[..., s]) for s in slices], axis=-1)

    return per(spins, overlap), per(spins, cosine_overlap), per(weights, overlap), per(weights, cosine_overlap)


def network_accuracy(weights, X, y, *, activation: str = "sign") -> float:
    """Test accuracy of the feed-forward network built from the machine's weights.

    ``weights`` : [J_1, ..., J_L] with J_l (n_l, n_{l-1}); S_l = sgn(J_l S_{l-1}) (``"sign"``,
    sgn(0) = +1) or tanh(J_l S_{l-1}) (``"tanh"``) for l < L; the class is the argmax of the
    last pre-activation J_L S_{L-1}.
    """
    h = np.asarray(X, dtype=float)
    for J in weights[:-1]:
        a = h @ np.asarray(J).T
        h = np.where(a >= 0.0, 1.0, -1.0) if activation == "sign" else np.tanh(a)
    pred = np.argmax(h @ np.asarray(weights[-1]).T, axis=1)
    return float(np.mean(pred == np.asarray(y)))


def replica_accuracies(state: MachineState, X, y, activation: str = "sign") -> np.ndarray:
    """:func:`network_accuracy` of every replica's weights, (R,)."""
    L = state.layout.L
    return np.array([network_accuracy([state.weights(l)[r] for l in range(1, L + 1)], X, y, activation=activation)
                     for r in range(state.n_replicas)])


def mean_abs_spins(state: MachineState) -> np.ndarray:
    """Mean |S_l| per replica and hidden layer, (R, L-1): ≈ 0.01-0.05 flags the trivial
    small-amplitude solution (PHYSICS.md section 5, pitfalls)."""
    return np.stack([np.abs(state.x[:, state.layout.spin_slice(l)]).mean(axis=1)
                     for l in range(1, state.layout.L)], axis=1)


def relaxation_time(lags, c, level: float = ONE_OVER_E) -> np.ndarray:
    """τ with c(τ) = level, interpolated linearly in ln(lag) (in lag next to lag 0).

    ``lags`` (n,) increasing; ``c`` (n, ...) curves. NaN where c starts below ``level``
    (no crossing defined), inf where c never drops below it within the lags.
    """
    lags = np.asarray(lags, dtype=float)
    c = np.asarray(c, dtype=float)
    flat = c.reshape(len(lags), -1)
    out = np.empty(flat.shape[1])
    for k in range(flat.shape[1]):
        col = flat[:, k]
        below = np.flatnonzero(~(col >= level))
        if below.size == 0:
            out[k] = np.inf
        elif below[0] == 0:
            out[k] = np.nan
        else:
            j = below[0]
            t0, t1, c0, c1 = lags[j - 1], lags[j], col[j - 1], col[j]
            f = (c0 - level) / (c0 - c1) if c0 != c1 else 0.0
            out[k] = t0 + f * (t1 - t0) if t0 <= 0 else math.exp(math.log(t0) + f * (math.log(t1) - math.log(t0)))
    return out.reshape(c.shape[1:])


def liquid_layers(q_star, level: float = ONE_OVER_E) -> np.ndarray:
    """Liquid (True) where q* < level (1/e); NaN entries count as neither (False)."""
    q = np.asarray(q_star, dtype=float)
    return q < level


def solid_depth(q_star, L: int, level: float = ONE_OVER_E) -> int:
    """ξ_s = L - (number of liquid layers), from q* over the hidden layers l = 1..L-1."""
    return int(L - np.count_nonzero(liquid_layers(q_star, level)))


@dataclass
class Clustering:
    """Complete-linkage clustering of replicas by the distance 1 - Q^{ab} of one layer.

    Q (R, R) overlaps; distance (R, R) = 1 - Q; linkage (R-1, 4) scipy linkage matrix;
    order (R,) dendrogram leaf order.
    """

    layer: int
    kind: str
    Q: np.ndarray
    distance: np.ndarray
    linkage: np.ndarray
    order: np.ndarray

    def dendrogram(self) -> dict:
        """scipy's dendrogram coordinates (``icoord``, ``dcoord``, ``leaves``) for plotting."""
        from scipy.cluster.hierarchy import dendrogram

        return dendrogram(self.linkage, no_plot=True)

    def to_frame(self):
        """Every replica pair: replica_a, replica_b, Q, distance = 1 - Q."""
        import pandas as pd

        R = self.Q.shape[0]
        a, b = np.meshgrid(np.arange(R), np.arange(R), indexing="ij")
        return pd.DataFrame({"replica_a": a.ravel(), "replica_b": b.ravel(), "Q": self.Q.ravel(),
                             "distance": self.distance.ravel()})


def cluster_replicas(Q_ab, *, layer: int = 0, kind: str = "weights") -> Clustering:
    """Complete-linkage (scipy) hierarchical clustering of replicas on 1 - Q^{ab} (R >= 2)."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    Q = np.asarray(Q_ab, dtype=float)
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1] or Q.shape[0] < 2:
        raise expected("Q_ab", "a square (R, R) matrix with R >= 2", f"shape {Q.shape}")
    D = 1.0 - 0.5 * (Q + Q.T)
    np.fill_diagonal(D, 0.0)
    Z = linkage(squareform(np.clip(D, 0.0, None), checks=False), method="complete")
    return Clustering(layer, kind, Q, D, Z, leaves_list(Z))


def log_times(t_max: int, n: int) -> np.ndarray:
    """0 and about ``n`` log-spaced integer times in [1, t_max] (unique, increasing)."""
    if t_max <= 0:
        return np.zeros(1, dtype=np.int64)
    t = np.unique(np.round(np.logspace(0.0, math.log10(t_max), n)).astype(np.int64))
    return np.concatenate([[0], t])


def _pairs(R):
    return [(a, b) for a in range(R) for b in range(a + 1, R)]


def _mean_err(values, axis=0):
    """Mean and standard error over ``axis`` (NaN error with a single value)."""
    v = np.asarray(values, dtype=float)
    n = v.shape[axis]
    err = v.std(axis=axis, ddof=1) / math.sqrt(n) if n > 1 else np.full(np.delete(v.shape, axis), np.nan)
    return v.mean(axis=axis), err


# ====================================================================================== a whole run

@dataclass
class MachineResult:
    """One run of the machine: aging curves, correlations, overlaps, the liquid/solid verdict.

    Times are in MD steps (multiply by ``config.dt`` for time units).
    Before-and-after-t_w curves, rows at ``times`` (n_t,) steps since the start:
      energy (n_t, L) E_l mean over replicas; energy_ratio (n_t,) H(t)/H(0);
      acc_sign, acc_sign_err, acc_tanh, acc_tanh_err (n_t,) test accuracy (mean ± s.e. over
      replicas); acc_train (n_t,) training accuracy of the sign network;
      mean_abs_s (n_t, L-1) mean |S_l| of the hidden layers.
    After t_w, rows at ``lags`` (n_lag,) steps since t_w (columns: spins l = 1..L-1, weights
    l = 1..L; mean ± s.e. over replicas for c, C and over pairs for q, Q):
      c, c_cos, c_err (n_lag, L-1); C, C_cos, C_err (n_lag, L);
      q, q_cos, q_err (n_lag, L-1); Q, Q_cos, Q_err (n_lag, L).
    At the last time: q_ab, q_ab_cos (L-1, R, R); Q_ab, Q_ab_cos (L, R, R).
    ``stopped`` is True when the callback stopped the run (curves end early); ``seconds`` is
    the wall time and ``cpu_seconds`` the CPU time of this process (robust to a loaded machine).
    """

    config: MachineConfig
    seed: int
    times: np.ndarray
    energy: np.ndarray
    energy_ratio: np.ndarray
    acc_sign: np.ndarray
    acc_sign_err: np.ndarray
    acc_tanh: np.ndarray
    acc_tanh_err: np.ndarray
    acc_train: np.ndarray
    mean_abs_s: np.ndarray
    lags: np.ndarray
    c: np.ndarray
    c_cos: np.ndarray
    c_err: np.ndarray
    C: np.ndarray
    C_cos: np.ndarray
    C_err: np.ndarray
    q: np.ndarray
    q_cos: np.ndarray
    q_err: np.ndarray
    Q: np.ndarray
    Q_cos: np.ndarray
    Q_err: np.ndarray
    q_ab: np.ndarray
    q_ab_cos: np.ndarray
    Q_ab: np.ndarray
    Q_ab_cos: np.ndarray
    stopped: bool = False
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    description: str = ""
    code_version: str = CODE_VERSION

    # -- the verdict -------------------------------------------------------------------
    def _last(self, a):
        """The last row of a (n_lag, n) curve, NaN if the run stopped before t_w."""
        return a[-1] if len(a) else np.full(a.shape[1], np.nan)

    @property
    def q_star(self) -> np.ndarray:
        """q*_l = q_l at the final time, hidden layers l = 1..L-1 (raw)."""
        return self._last(self.q)

    @property
    def q_star_cos(self) -> np.ndarray:
        return self._last(self.q_cos)

    @property
    def Q_star(self) -> np.ndarray:
        """Q*_l at the final time, weight layers l = 1..L (raw)."""
        return self._last(self.Q)

    @property
    def Q_star_cos(self) -> np.ndarray:
        return self._last(self.Q_cos)

    @property
    def tau(self) -> np.ndarray:
        """τ_l: 1/e crossing of c_l (raw), hidden layers; NaN/inf as in :func:`relaxation_time`."""
        return relaxation_time(self.lags, self.c) if len(self.lags) else np.full(self.config.L - 1, np.nan)

    @property
    def tau_cos(self) -> np.ndarray:
        return relaxation_time(self.lags, self.c_cos) if len(self.lags) else np.full(self.config.L - 1, np.nan)

    @property
    def liquid(self) -> np.ndarray:
        """Liquid hidden layers (q*_l < 1/e), (L-1,) bool."""
        return liquid_layers(self.q_star)

    @property
    def solid_depth(self) -> int:
        """ξ_s = L - (number of liquid hidden layers) by the raw q*."""
        return solid_depth(self.q_star, self.config.L)

    @property
    def solid_depth_cos(self) -> int:
        """ξ_s by the cosine-normalised q*."""
        return solid_depth(self.q_star_cos, self.config.L)

    def clustering(self, layer: int, kind: str = "weights", cosine: bool = True) -> Clustering:
        """Complete-linkage clustering of the replicas at the last time for one layer.

        kind "weights": layer in 1..L (Q^{ab}); "spins": layer in 1..L-1 (q^{ab}).
        """
        choice("kind", kind, ("weights", "spins"))
        L = self.config.L
        hi = L if kind == "weights" else L - 1
        layer = integer("layer", layer, low=1, high=hi)
        ab = (self.Q_ab_cos if cosine else self.Q_ab) if kind == "weights" else (self.q_ab_cos if cosine else self.q_ab)
        if ab.shape[-1] < 2:
            raise expected("n_replicas", ">= 2 for clustering", ab.shape[-1])
        return cluster_replicas(ab[layer - 1], layer=layer, kind=kind)

    # -- tables ------------------------------------------------------------------------
    def to_frame(self):
        """One row per layer l = 1..L: q*, Q* (raw and cosine, with errors), τ, E_l, liquid, ξ_s.

        Spin columns are NaN at l = L (S_L is clamped to the label).
        """
        import pandas as pd

        L = self.config.L
        pad = lambda a: np.append(np.asarray(a, dtype=float), np.nan)  # noqa: E731
        cfg = self.config
        q_star, q_star_cos = pad(self.q_star), pad(self.q_star_cos)
        frame = pd.DataFrame({
            "layer": np.arange(1, L + 1),
            "q_star": q_star, "q_star_cosine": q_star_cos, "q_star_err": pad(self._last(self.q_err)),
            "Q_star": self.Q_star, "Q_star_cosine": self.Q_star_cos, "Q_star_err": self._last(self.Q_err),
            "tau": pad(self.tau), "tau_cosine": pad(self.tau_cos),
            "tau_J": relaxation_time(self.lags, self.C) if len(self.lags) else np.full(L, np.nan),
            "mean_abs_s": pad(self._last(self.mean_abs_s)),
            "E_layer": self._last(self.energy),
        })
        frame["liquid"] = frame["q_star"] < ONE_OVER_E
        frame["liquid_cosine"] = frame["q_star_cosine"] < ONE_OVER_E
        frame["xi_s"] = self.solid_depth
        frame["xi_s_cosine"] = self.solid_depth_cos
        last_t = (lambda a: float(a[-1])) if len(self.times) else (lambda a: np.nan)
        frame["acc_sign"] = last_t(self.acc_sign)
        frame["acc_tanh"] = last_t(self.acc_tanh)
        frame["acc_train"] = last_t(self.acc_train)
        frame["energy_ratio"] = last_t(self.energy_ratio)
        frame.insert(0, "ln_alpha", cfg.ln_alpha)
        frame.insert(1, "alpha", cfg.alpha)
        for k, name in enumerate(("N", "M", "L")):
            frame.insert(2 + k, name, getattr(cfg, name))
        frame["seed"] = self.seed
        for name in ("dataset", "eta", "dt", "kT", "t_w", "t_run", "n_replicas", "energy", "data_seed"):
            frame[name] = getattr(cfg, name)
        frame["stopped"] = self.stopped
        frame["seconds"] = self.seconds
        frame["cpu_seconds"] = self.cpu_seconds
        frame["code_version"] = self.code_version
        return frame

    def series_frame(self):
        """Every curve in long format: series, layer (0 = whole machine), step, value, err.

        Series: energy_ratio, E (per layer), acc_sign, acc_tanh, acc_train, mean_abs_s
        (steps since start); c, c_cos, C, C_cos, q, q_cos, Q, Q_cos (steps since t_w).
        """
        import pandas as pd

        parts = []

        def add(name, t, values, err=None, first_layer=1):
            values = np.asarray(values, dtype=float)
            if len(t) == 0:
                return
            if values.ndim == 1:
                values, err = values[:, None], (None if err is None else np.asarray(err)[:, None])
                first_layer = 0
            n_t, n_l = values.shape
            parts.append(pd.DataFrame({
                "series": name,
                "layer": np.tile(np.arange(first_layer, first_layer + n_l), n_t),
                "step": np.repeat(np.asarray(t, dtype=np.int64), n_l),
                "value": values.ravel(),
                "err": np.full(values.size, np.nan) if err is None else np.asarray(err, dtype=float).ravel(),
            }))

        add("energy_ratio", self.times, self.energy_ratio)
        add("E", self.times, self.energy)
        add("acc_sign", self.times, self.acc_sign, self.acc_sign_err)
        add("acc_tanh", self.times, self.acc_tanh, self.acc_tanh_err)
        add("acc_train", self.times, self.acc_train)
        add("mean_abs_s", self.times, self.mean_abs_s)
        for name, err in (("c", self.c_err), ("c_cos", None), ("C", self.C_err), ("C_cos", None),
                          ("q", self.q_err), ("q_cos", None), ("Q", self.Q_err), ("Q_cos", None)):
            add(name, self.lags, getattr(self, name), err)
        if not parts:
            return pd.DataFrame(columns=["series", "layer", "step", "value", "err"])
        out = pd.concat(parts, ignore_index=True)
        out["series"] = out["series"].astype("category")
        return out


class _Recorder:
    """Collects the measurements of :func:`run` row by row."""

    def __init__(self):
        self.rows = {}

    def add(self, **values):
        for k, v in values.items():
            self.rows.setdefault(k, []).append(v)

    def array(self, name, width):
        rows = self.rows.get(name)
        if not rows:
            return np.empty((0, width)) if width else np.empty(0)
        return np.asarray(rows, dtype=float)


def run(config: MachineConfig = MachineConfig(), seed: int = 0, *, callback: Callback = None,
        chunk: int = 2000, data: MachineData | None = None, threads: int | None = None) -> MachineResult:
    """Run the thermal machine of ``config``: learn until t_w, split replicas, run t_run more.

    Parameters
    ----------
    config : a :class:`MachineConfig` (validated here; bad values raise EngineError).
    seed : int >= 0; the initial point, the noise and the replica velocities follow from it.
    callback : called with :class:`engine.progress.Progress` (done/total in steps, the partial
        :class:`MachineResult` as ``data`` at each measurement after t_w); returning True
        stops the run and the partial result is returned with ``stopped=True``.
    chunk : at most this many steps between two callback calls.
    data : the clamped data (default :func:`machine_data` of ``config``).
    threads : threads for the replicas after the split (default one per core; see :func:`step`).

    Returns
    -------
    :class:`MachineResult`. Measurements at ``n_times`` log-spaced times before t_w (on the
    single machine) and after (on the replicas), times in steps.
    """
    cfg = config.validated() if isinstance(config, MachineConfig) else None
    if cfg is None:
        raise expected("config", "a MachineConfig", type(config).__name__)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise expected("seed", "an int >= 0", seed)
    chunk = integer("chunk", chunk, low=1)
    started = (time.perf_counter(), time.process_time())
    data = machine_data(cfg) if data is None else data
    if data.M != cfg.M:
        raise expected("data", f"M = {cfg.M} examples", data.M)
    rng = as_generator(int(seed))
    dyn = Dynamics(cfg.dt, cfg.eta, cfg.kT, cfg.energy)
    state = init(data, cfg.N, cfg.L, n_replicas=1, seed=rng)
    rec = _Recorder()
    total = cfg.t_w + cfg.t_run
    h0 = None
    stopped = False
    ref_x = None

    def measure():
        nonlocal h0
        e = layer_energies(state)
        h = hamiltonian(e, cfg.energy)
        if h0 is None:
            h0 = float(h.mean())
        a_s = replica_accuracies(state, data.X_test, data.y_test, "sign")
        a_t = replica_accuracies(state, data.X_test, data.y_test, "tanh")
        a_s, a_s_err = _mean_err(a_s)
        a_t, a_t_err = _mean_err(a_t)
        rec.add(times=state.step, energy=e.mean(axis=0), energy_ratio=float(h.mean()) / h0 if h0 > 0 else np.nan,
                acc_sign=a_s, acc_sign_err=a_s_err, acc_tanh=a_t, acc_tanh_err=a_t_err,
                acc_train=replica_accuracies(state, data.s0, data.y_train, "sign").mean(),
                mean_abs_s=mean_abs_spins(state).mean(axis=0))

    def measure_replicas():
        lay = state.layout
        c, c_cos, C, C_cos = layer_overlaps(state.x, ref_x[None, :], lay)
        pairs = _pairs(state.n_replicas)
        ia = [a for a, _ in pairs]
        ib = [b for _, b in pairs]
        if pairs:
            q, q_cos, Q, Q_cos = layer_overlaps(state.x[ia], state.x[ib], lay)
        else:
            q = q_cos = np.full((1, lay.L - 1), np.nan)
            Q = Q_cos = np.full((1, lay.L), np.nan)
        rows = {}
        for name, vals in (("c", c), ("c_cos", c_cos), ("C", C), ("C_cos", C_cos),
                           ("q", q), ("q_cos", q_cos), ("Q", Q), ("Q_cos", Q_cos)):
            m, err = _mean_err(vals)
            rows[name] = m
            if name in ("c", "C", "q", "Q"):
                rows[name + "_err"] = err
        rec.add(lags=state.step - cfg.t_w, **rows)

    def advance_to(target, on_replicas):
        nonlocal stopped
        while state.step < target:
            n = min(chunk, target - state.step)
            step(state, n, dyn, threads=threads)
            if callback is not None and report(callback, state.step, total, f"step {state.step:,} of {total:,}",
                                               partial() if on_replicas else None):
                stopped = True
                return False
        return True

    def partial():
        return _result(cfg, int(seed), rec, state, stopped, started, data.description)

    for t in log_times(cfg.t_w, cfg.n_times):
        if not advance_to(int(t), False):
            break
        measure()
    if not stopped:
        ref_x = state.x[0].copy()
        state = split_replicas(state, cfg.n_replicas, kT=cfg.kT, seed=rng)
        for t in log_times(cfg.t_run, cfg.n_times):
            if not advance_to(cfg.t_w + int(t), True):
                break
            if t > 0:  # the aging curves were measured at t_w already, before the split
                measure()
            measure_replicas()
    return _result(cfg, int(seed), rec, state, stopped, started, data.description)


def _result(cfg, seed, rec, state, stopped, started, description) -> MachineResult:
    L, R = cfg.L, state.n_replicas
    lay = state.layout
    lags = np.asarray(rec.rows.get("lags", []), dtype=np.int64)
    if len(lags):
        pairs = _pairs(R)
        q_ab = np.ones((L - 1, R, R))
        q_ab_cos = np.ones((L - 1, R, R))
        Q_ab = np.ones((L, R, R))
        Q_ab_cos = np.ones((L, R, R))
        q_aa, _, Q_aa, _ = layer_overlaps(state.x, state.x, lay)
        for r in range(R):
            q_ab[:, r, r], Q_ab[:, r, r] = q_aa[r], Q_aa[r]
        for a, b in pairs:
            q, q_cos, Q, Q_cos = layer_overlaps(state.x[a], state.x[b], lay)
            q_ab[:, a, b] = q_ab[:, b, a] = q
            q_ab_cos[:, a, b] = q_ab_cos[:, b, a] = q_cos
            Q_ab[:, a, b] = Q_ab[:, b, a] = Q
            Q_ab_cos[:, a, b] = Q_ab_cos[:, b, a] = Q_cos
    else:
        q_ab = q_ab_cos = np.empty((L - 1, 0, 0))
        Q_ab = Q_ab_cos = np.empty((L, 0, 0))
    a = rec.array
    return MachineResult(
        config=cfg, seed=seed, times=np.asarray(rec.rows.get("times", []), dtype=np.int64),
        energy=a("energy", L), energy_ratio=a("energy_ratio", 0), acc_sign=a("acc_sign", 0),
        acc_sign_err=a("acc_sign_err", 0), acc_tanh=a("acc_tanh", 0), acc_tanh_err=a("acc_tanh_err", 0),
        acc_train=a("acc_train", 0), mean_abs_s=a("mean_abs_s", L - 1), lags=lags,
        c=a("c", L - 1), c_cos=a("c_cos", L - 1), c_err=a("c_err", L - 1),
        C=a("C", L), C_cos=a("C_cos", L), C_err=a("C_err", L),
        q=a("q", L - 1), q_cos=a("q_cos", L - 1), q_err=a("q_err", L - 1),
        Q=a("Q", L), Q_cos=a("Q_cos", L), Q_err=a("Q_err", L),
        q_ab=q_ab, q_ab_cos=q_ab_cos, Q_ab=Q_ab, Q_ab_cos=Q_ab_cos,
        stopped=stopped, seconds=time.perf_counter() - started[0], cpu_seconds=time.process_time() - started[1],
        description=description)
