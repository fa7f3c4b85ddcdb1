"""Restricted Boltzmann machines: contrastive divergence, exact oracles, and the Ising view.

Böttcher & Wheeler, "Statistical Mechanics and Artificial Neural Networks: Principles,
Models, and Applications", arXiv:2405.10957 (2024), chapter on Boltzmann machines
(PHYSICS.md section 8). Training: G. E. Hinton, "Training products of experts by
minimizing contrastive divergence", Neural Comput. 14, 1771 (2002) (CD-k); T. Tieleman,
"Training restricted Boltzmann machines using approximations to the likelihood gradient",
ICML 2008 (persistent CD, the algorithm of scikit-learn's ``BernoulliRBM``).

Model. Binary visible units v ∈ {0,1}^{n_v}, hidden units h ∈ {0,1}^{n_h}, P(v,h) = e^{-E}/Z::

    E(v, h) = -aᵀv - bᵀh - vᵀWh                       W (n_v, n_h), a (n_v,), b (n_h,)
    p(h_j = 1 | v) = σ(b_j + (vᵀW)_j),   p(v_i = 1 | h) = σ(a_i + (Wh)_i)
    F(v) = -ln Σ_h e^{-E(v,h)} = -aᵀv - Σ_j ln(1 + e^{b_j + (vᵀW)_j}),   P(v) = e^{-F(v)}/Z

Log-likelihood gradient (the Boltzmann learning rule Δw ∝ ⟨v h⟩_data - ⟨v h⟩_model)::

    ∂⟨ln P(v)⟩_data/∂W = ⟨v p(h|v)ᵀ⟩_data - ⟨v p(h|v)ᵀ⟩_model     (a: ⟨v⟩, b: ⟨p(h|v)⟩)

CD-k estimates the model term from k Gibbs steps started at the data; persistent CD keeps
``n_chains`` Gibbs chains running across updates. For tiny machines the model term is
computed exactly by enumerating the smaller layer (:func:`exact_gradient`), the test oracle.

Ising view. With s = 2v - 1, t = 2h - 1 the machine is a bipartite (two-layer) Ising model:
J = W/4 between the layers, fields a/2 + W 1/4 (visible) and b/2 + Wᵀ1/4 (hidden), and
E(v, h) = E_Ising(s, t) + E_0 with E_0 = -(Σa + Σb)/2 - ΣW/4 (see :meth:`RBM.to_ising`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import special

from .errors import expected
from .progress import Callback, report
from .random import as_generator
from .validation import choice, finite_array, integer, positive, real

#: Widest layer accepted (the lab's networks are small).
MAX_UNITS = 4096
#: Exact enumeration sums over 2^n states of the smaller layer, n at most this.
MAX_ENUMERATION = 20

METHODS = ("cd", "pcd")


def _softplus(x):
    """ln(1 + e^x) without overflow."""
    return np.logaddexp(0.0, x)


def _units(name: str, values, n: int) -> np.ndarray:
    """Binary units: shape (n,) or (B, n), values in [0, 1]; else EngineError."""
    arr = finite_array(name, values)
    if arr.ndim not in (1, 2) or arr.shape[-1] != n:
        raise expected(name, f"shape ({n},) or (B, {n})", f"shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        raise expected(name, "values in [0, 1] (binary units)", f"range [{arr.min():g}, {arr.max():g}]")
    return arr

@dataclass
class RBM:
    """A Bernoulli-Bernoulli RBM: ``weights`` W (n_v, n_h), ``visible_bias`` a (n_v,), ``hidden_bias`` b (n_h,).

    ``image_shape`` (e.g. (8, 8)) lets filters and samples be shown as images.
    """

    weights: np.ndarray
    visible_bias: np.ndarray
    hidden_bias: np.ndarray
    image_shape: tuple | None = None

    def __post_init__(self):
        self.weights = finite_array("weights", self.weights, ndim=2)
        n_v, n_h = self.weights.shape
        if not (1 <= n_v <= MAX_UNITS and 1 <= n_h <= MAX_UNITS):
            raise expected("weights", f"between 1 and {MAX_UNITS} units per layer", f"shape {(n_v, n_h)}")
        self.visible_bias = finite_array("visible_bias", self.visible_bias, ndim=1, shape=(n_v,))
        self.hidden_bias = finite_array("hidden_bias", self.hidden_bias, ndim=1, shape=(n_h,))
        if self.image_shape is not None:
            self.image_shape = tuple(int(k) for k in self.image_shape)
            if int(np.prod(self.image_shape)) != n_v:
                raise expected("image_shape", f"{n_v} pixels", self.image_shape)

    # ----------------------------------------------------------------- shape
    @property
    def n_visible(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_hidden(self) -> int:
        return int(self.weights.shape[1])

    @classmethod
    def random(cls, n_visible: int, n_hidden: int, *, scale: float = 0.01, seed=None, image_shape=None) -> "RBM":
        """W_ij ~ N(0, scale²), zero biases (scikit-learn's initialisation with the default scale)."""
        n_v = integer("n_visible", n_visible, low=1, high=MAX_UNITS)
        n_h = integer("n_hidden", n_hidden, low=1, high=MAX_UNITS)
        sc = real("scale", scale, low=0.0)
        rng = as_generator(seed)
        return cls(rng.normal(0.0, sc, size=(n_v, n_h)), np.zeros(n_v), np.zeros(n_h), image_shape)

    def copy(self) -> "RBM":
        return replace(self, weights=self.weights.copy(), visible_bias=self.visible_bias.copy(),
                       hidden_bias=self.hidden_bias.copy())

    # ----------------------------------------------------------------- checks
    def _visible(self, v, name="v") -> np.ndarray:
        return _units(name, v, self.n_visible)

    def _hidden(self, h, name="h") -> np.ndarray:
        return _units(name, h, self.n_hidden)

    # ---------------------------------------------------------------- physics
    def energy(self, v, h):
        """E(v, h) = -aᵀv - bᵀh - vᵀWh; a float for (n_v,), (n_h,), an (B,) array for batches."""
        V, Hh = self._visible(v), self._hidden(h)
        return -(V @ self.visible_bias) - (Hh @ self.hidden_bias) - np.einsum("...i,...i->...", V @ self.weights, Hh)

    def free_energy(self, v):
        """F(v) = -aᵀv - Σ_j ln(1 + e^{b_j + (vᵀW)_j}); a float for (n_v,), (B,) for (B, n_v)."""
        V = self._visible(v)
        return _free_energy(self, V)

    def hidden_probabilities(self, v) -> np.ndarray:
        """p(h_j = 1 | v) = σ(b_j + (vᵀW)_j), shape (..., n_h)."""
        return special.expit(self._visible(v) @ self.weights + self.hidden_bias)

    def visible_probabilities(self, h) -> np.ndarray:
        """p(v_i = 1 | h) = σ(a_i + (Wh)_i), shape (..., n_v)."""
        return special.expit(self._hidden(h) @ self.weights.T + self.visible_bias)

    def reconstruct(self, v) -> np.ndarray:
        """Mean-field up-down pass p(v | h = p(h|v)), shape of ``v``."""
        return _reconstruct(self, self._visible(v))

    def reconstruction_error(self, v) -> float:
        """Mean squared difference per unit between ``v`` (B, n_v) and :meth:`reconstruct`."""
        V = self._visible(v)
        return float(np.mean((V - _reconstruct(self, V)) ** 2))

    def pseudo_log_likelihood(self, v) -> float:
        """Mean over samples of Σ_i ln P(v_i | v_{-i}) = Σ_i ln σ(F(v with i flipped) - F(v)), binary v.

        The exact, deterministic sum over all units; scikit-learn's ``score_samples`` is an unbiased
        one-unit estimate of it (n_v ln σ(...) for one random unit per sample).
        """
        V = np.atleast_2d(self._visible(v))
        if not np.all((V == 0) | (V == 1)):
            raise expected("v", "binary values 0/1 for the pseudo-likelihood", "fractional values")
        return float(np.mean(_conditional_log_probabilities(self, V).sum(axis=1)))

    def filters(self) -> np.ndarray:
        """The receptive fields: W's columns, (n_h, n_v), or (n_h, *image_shape) when the RBM has one."""
        f = np.ascontiguousarray(self.weights.T)
        return f.reshape((self.n_hidden,) + self.image_shape) if self.image_shape else f

    # ------------------------------------------------------------ Ising view
    @property
    def ising_offset(self) -> float:
        """E_0 = -(Σa + Σb)/2 - ΣW/4, so that E(v, h) = E_Ising(2v - 1, 2h - 1) + E_0."""
        return float(-0.5 * (self.visible_bias.sum() + self.hidden_bias.sum()) - 0.25 * self.weights.sum())

    def to_ising(self):
        """The RBM as a two-layer :class:`engine.ising.IsingModel` in ±1 spins (visible layer first).

        Substituting v = (s + 1)/2, h = (t + 1)/2 into E(v, h) = -aᵀv - bᵀh - vᵀWh gives::

            E(v, h) = -sᵀ(W/4)t - (a/2 + W1/4)ᵀs - (b/2 + Wᵀ1/4)ᵀt + E_0,
            E_0 = -(Σ_i a_i + Σ_j b_j)/2 - Σ_ij W_ij/4

        i.e. couplings J = W/4 (layer weights ``W.T / 4`` of shape (n_h, n_v), torch convention),
        fields a/2 + (row sums of W)/4 on the visible spins and b/2 + (column sums of W)/4 on the
        hidden spins. Boltzmann weights at T = 1 agree up to the constant factor e^{-E_0}
        (:attr:`ising_offset`), so the Ising model at T = 1 *is* the RBM's distribution.
        """
        from .ising import IsingModel

        fields = np.concatenate([0.5 * self.visible_bias + 0.25 * self.weights.sum(axis=1),
                                 0.5 * self.hidden_bias + 0.25 * self.weights.sum(axis=0)])
        return IsingModel.from_layers([self.weights.T / 4.0], fields=fields,
                                      name=f"RBM {self.n_visible}-{self.n_hidden} (Ising, ±1 spins)")

    def to_network(self):
        """A one-layer :class:`engine.network.Network` v -> p(h|v): weights Wᵀ (n_h, n_v), bias b, sigmoid."""
        from .network import Network

        return Network([self.weights.T.copy()], [self.hidden_bias.copy()], ["sigmoid"],
                       {"name": f"RBM {self.n_visible}-{self.n_hidden}", "kind": "rbm",
                        "provenance": "engine.boltzmann.RBM.to_network (visible -> hidden)"})


def _free_energy(rbm, V):
    return -(V @ rbm.visible_bias) - _softplus(V @ rbm.weights + rbm.hidden_bias).sum(axis=-1)


def _reconstruct(rbm, V):
    ph = special.expit(V @ rbm.weights + rbm.hidden_bias)
    return special.expit(ph @ rbm.weights.T + rbm.visible_bias)


def _conditional_log_probabilities(rbm, V, chunk: int = 256):
    """(B, n_v): ln P(v_i | v_{-i}) = ln σ(F(v^(i)) - F(v)), v^(i) = v with unit i flipped.

    Flipping v_i adds d_i = 1 - 2v_i to it: the hidden input x = b + vᵀW moves by d_i W_i, so
    F(v^(i)) - F(v) = -d_i a_i - Σ_j [softplus(x_j + d_i W_ij) - softplus(x_j)].
    """
    out = np.empty(V.shape)
    for lo in range(0, V.shape[0], chunk):
        v = V[lo:lo + chunk]
        x = v @ rbm.weights + rbm.hidden_bias                 # (B, n_h)
        d = 1.0 - 2.0 * v                                     # (B, n_v)
        sp0 = _softplus(x).sum(axis=1)                        # (B,)
        sp1 = _softplus(x[:, None, :] + d[:, :, None] * rbm.weights[None, :, :]).sum(axis=2)  # (B, n_v)
        delta = -d * rbm.visible_bias - (sp1 - sp0[:, None])
        out[lo:lo + chunk] = -np.logaddexp(0.0, -delta)
    return out


def _bernoulli(p, rng):
    return (rng.random(p.shape) < p).astype(np.float64)


# ------------------------------------------------------------------------------ gradients

@dataclass
class RBMGradient:
    """∂⟨ln P(v)⟩/∂θ (or an estimate): ``weights`` (n_v, n_h), ``visible_bias`` (n_v,), ``hidden_bias`` (n_h,)."""

    weights: np.ndarray
    visible_bias: np.ndarray
    hidden_bias: np.ndarray

    def flat(self) -> np.ndarray:
        """All components in one vector (W row-major, then a, then b)."""
        return np.concatenate([self.weights.ravel(), self.visible_bias, self.hidden_bias])

    def __add__(self, other):
        return RBMGradient(self.weights + other.weights, self.visible_bias + other.visible_bias,
                           self.hidden_bias + other.hidden_bias)

    def __mul__(self, c):
        return RBMGradient(self.weights * c, self.visible_bias * c, self.hidden_bias * c)

    __rmul__ = __mul__


def _statistics(rbm, V, PH) -> RBMGradient:
    """⟨v p(h|v)ᵀ⟩, ⟨v⟩, ⟨p(h|v)⟩ over the rows of V (B, n_v) with PH = p(h|V) (B, n_h)."""
    B = V.shape[0]
    return RBMGradient(V.T @ PH / B, V.mean(axis=0), PH.mean(axis=0))


def _gibbs(rbm, V, k, rng):
    """k steps v -> h ~ p(h|v) -> v ~ p(v|h) from V (B, n_v); returns the binary V_k."""
    for _ in range(k):
        H = _bernoulli(special.expit(V @ rbm.weights + rbm.hidden_bias), rng)
        V = _bernoulli(special.expit(H @ rbm.weights.T + rbm.visible_bias), rng)
    return V


def _cd_step(rbm, V0, chains, k, rng):
    """The CD-k (``chains`` None) or PCD-k gradient estimate on the batch V0, and the new chain states.

    Positive phase ⟨v p(h|v)ᵀ⟩ on the data; negative phase on V_k after k Gibbs steps from
    the data (CD) or from the persistent chains (PCD), using p(h|V_k), not samples, as is
    standard (lower variance, same expectation).
    """
    pos = _statistics(rbm, V0, special.expit(V0 @ rbm.weights + rbm.hidden_bias))
    Vk = _gibbs(rbm, V0 if chains is None else chains, k, rng)
    neg = _statistics(rbm, Vk, special.expit(Vk @ rbm.weights + rbm.hidden_bias))
    return pos + neg * -1.0, Vk


def _check_rbm(rbm) -> None:
    if not isinstance(rbm, RBM):
        raise expected("rbm", "an RBM", type(rbm).__name__)


def _check_data(n_v, data, name="data") -> np.ndarray:
    """``data`` as a (n, n_v) float64 array in [0, 1]; ``n_v`` None accepts any width up to MAX_UNITS."""
    arr = finite_array(name, data)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise expected(name, "a non-empty (n_samples, n_visible) array", f"shape {arr.shape}")
    if n_v is None and arr.shape[1] > MAX_UNITS:
        raise expected(name, f"at most {MAX_UNITS} columns (visible units)", f"shape {arr.shape}")
    if n_v is not None and arr.shape[1] != n_v:
        raise expected(name, f"{n_v} columns (visible units)", f"shape {arr.shape}")
    if arr.min() < 0 or arr.max() > 1:
        raise expected(name, "values in [0, 1] (binary units; map ±1 data with (x + 1)/2)",
                       f"range [{arr.min():g}, {arr.max():g}]")
    return arr


def cd_gradient(rbm: RBM, data, *, k: int = 1, seed=None) -> RBMGradient:
    """The CD-k estimate of the log-likelihood gradient on ``data`` (B, n_v) (one Gibbs chain per row)."""
    _check_rbm(rbm)
    V = _check_data(rbm.n_visible, data)
    k = integer("k", k, low=1, high=10_000)
    return _cd_step(rbm, V, None, k, as_generator(seed))[0]


def _all_states(n: int) -> np.ndarray:
    """All 2^n binary vectors, (2^n, n) float64, unit 0 the least significant bit."""
    return _chunk_states(n, 0, 2 ** n)


def _check_enumerable(rbm):
    _check_rbm(rbm)
    n = min(rbm.n_visible, rbm.n_hidden)
    if n > MAX_ENUMERATION:
        raise expected("rbm", f"a layer with at most {MAX_ENUMERATION} units for exact enumeration",
                       f"{rbm.n_visible} visible and {rbm.n_hidden} hidden units")


def _enumerate(rbm, fn, chunk: int = 4096):
    """Sum out the larger layer analytically and enumerate the smaller one in chunks.

    Calls ``fn(log_weights, V_mean, PH)`` for each chunk of states, where the rows are
    (v, p(h|v)) for enumerated v (n_v <= n_h) or (p(v|h), h) for enumerated h, with their
    unnormalised log probabilities -F.
    """
    over_visible = rbm.n_visible <= rbm.n_hidden
    n = rbm.n_visible if over_visible else rbm.n_hidden
    for lo in range(0, 2 ** n, chunk):
        S = _chunk_states(n, lo, chunk)
        if over_visible:
            x = S @ rbm.weights + rbm.hidden_bias
            logw = S @ rbm.visible_bias + _softplus(x).sum(axis=1)
            fn(logw, S, special.expit(x))
        else:
            x = S @ rbm.weights.T + rbm.visible_bias
            logw = S @ rbm.hidden_bias + _softplus(x).sum(axis=1)
            fn(logw, special.expit(x), S)


def _chunk_states(n, lo, chunk):
    """States lo .. lo + chunk - 1 of the 2^n binary vectors (bit i of the index = unit i)."""
    idx = np.arange(lo, min(lo + chunk, 2 ** n), dtype=np.int64)
    return ((idx[:, None] >> np.arange(n)) & 1).astype(np.float64)


def log_partition_function(rbm: RBM) -> float:
    """ln Z = ln Σ_{v,h} e^{-E(v,h)} by enumerating the smaller layer (at most MAX_ENUMERATION units)."""
    _check_enumerable(rbm)
    parts = []
    _enumerate(rbm, lambda logw, V, H: parts.append(special.logsumexp(logw)))
    return float(special.logsumexp(parts))


def exact_log_likelihood(rbm: RBM, data) -> float:
    """⟨ln P(v)⟩_data = -⟨F(v)⟩_data - ln Z, exact (tiny RBMs)."""
    _check_rbm(rbm)
    V = _check_data(rbm.n_visible, data)
    return float(-np.mean(_free_energy(rbm, V)) - log_partition_function(rbm))


def exact_gradient(rbm: RBM, data) -> RBMGradient:
    """The exact gradient of ⟨ln P(v)⟩_data: data term minus the model term by enumeration.

    Model term: Σ_v P(v) v p(h|v)ᵀ (enumerating v) or Σ_h P(h) p(v|h) hᵀ (enumerating h), whichever
    layer is smaller; both equal ⟨v hᵀ⟩_model.
    """
    _check_rbm(rbm)
    V = _check_data(rbm.n_visible, data)
    _check_enumerable(rbm)
    log_z = log_partition_function(rbm)
    acc = [np.zeros_like(rbm.weights), np.zeros(rbm.n_visible), np.zeros(rbm.n_hidden)]

    def add(logw, Vm, Hm):
        p = np.exp(logw - log_z)
        acc[0] += (Vm * p[:, None]).T @ Hm
        acc[1] += p @ Vm
        acc[2] += p @ Hm

    _enumerate(rbm, add)
    data_term = _statistics(rbm, V, special.expit(V @ rbm.weights + rbm.hidden_bias))
    return data_term + RBMGradient(*acc) * -1.0


# ------------------------------------------------------------------------------ training

@dataclass
class TrainingHistory:
    """Measurements during training, one entry per record (the initial machine, then each epoch).

    updates, epochs : (K,) parameter updates and epochs done.
    reconstruction_error : (K,) mean squared error per unit of a mean-field up-down pass (training data).
    free_energy_train, free_energy_test : (K,) mean F(v) on the training / test data (NaN without test
        data); a growing gap means over-fitting.
    pseudo_log_likelihood : (K,) mean Σ_i ln P(v_i | v_-i) over a fixed random subset of at most
        ``n_monitor`` training rows (it costs n_v free energies per row; binary data only, else NaN).
    weight_std : (K,) standard deviation of W's entries (the weight scale).
    seconds : (K,) wall time since the start.
    """

    updates: np.ndarray
    epochs: np.ndarray
    reconstruction_error: np.ndarray
    free_energy_train: np.ndarray
    free_energy_test: np.ndarray
    pseudo_log_likelihood: np.ndarray
    weight_std: np.ndarray
    seconds: np.ndarray

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({k: getattr(self, k) for k in self.__dataclass_fields__})


@dataclass
class RBMTrainingResult:
    """A trained :class:`RBM`, its :class:`TrainingHistory`, the settings, and whether it was stopped."""

    rbm: RBM
    history: TrainingHistory
    method: str
    k: int
    learning_rate: float
    batch_size: int
    n_updates: int
    seed: int | None = None
    stopped: bool = False
    chains: np.ndarray | None = field(default=None, repr=False)

    def to_frame(self):
        return self.history.to_frame()


def binary_digits(*, test_fraction: float = 0.25, seed: int = 0):
    """scikit-learn's 8×8 digits binarised to {0, 1} (ink >= 8 of 16): ``(X_train, X_test, y_train, y_test)``."""
    from .data import load_dataset

    ds = load_dataset("digits", binarize=True, test_fraction=test_fraction, seed=seed)
    return (ds.X_train + 1.0) / 2.0, (ds.X_test + 1.0) / 2.0, ds.y_train, ds.y_test


def train_rbm(data, n_hidden: int = 64, *, method: str = "pcd", k: int = 1, learning_rate: float = 0.1,
              batch_size: int = 10, n_epochs: int = 20, n_chains: int | None = None, weight_decay: float = 0.0,
              init_scale: float = 0.01, test_data=None, shuffle: bool = True, image_shape=None,
              rbm: RBM | None = None, n_monitor: int = 256, seed=None, callback: Callback = None
              ) -> RBMTrainingResult:
    """Train an RBM on ``data`` (n, n_v) in [0, 1] by CD-k or persistent CD-k with mini-batch SGD.

    Each update: θ += learning_rate · (gradient estimate averaged over the batch) - learning_rate ·
    weight_decay · W (on W only). PCD keeps ``n_chains`` (default ``batch_size``) chains, started
    like scikit-learn's from h = 0 (v ~ Bernoulli(σ(a))), advanced by k Gibbs steps per update.
    With ``shuffle=False``, ``method="pcd"``, ``k=1`` this is scikit-learn's ``BernoulliRBM`` algorithm.
    ``rbm`` continues training an existing machine (else W ~ N(0, init_scale²), zero biases).
    The history is recorded before training and after every epoch (the pseudo-likelihood on
    ``n_monitor`` fixed random training rows); ``callback`` is called then
    (``data = {"history": the history so far, "rbm": a copy of the machine now}``; return True to
    stop and get the partial result).
    """
    if rbm is not None:
        _check_rbm(rbm)
    X = _check_data(None if rbm is None else rbm.n_visible, data)
    Xt = None if test_data is None else _check_data(X.shape[1], test_data, "test_data")
    method = choice("method", method, METHODS)
    k = integer("k", k, low=1, high=1000)
    lr = positive("learning_rate", learning_rate)
    B = integer("batch_size", batch_size, low=1, high=X.shape[0])
    n_epochs = integer("n_epochs", n_epochs, low=0, high=100_000)
    n_ch = B if n_chains is None else integer("n_chains", n_chains, low=1, high=100_000)
    wd = real("weight_decay", weight_decay, low=0.0)
    n_mon = integer("n_monitor", n_monitor, low=1)
    rng = as_generator(seed)
    model = (RBM.random(X.shape[1], n_hidden, scale=init_scale, seed=rng, image_shape=image_shape)
             if rbm is None else rbm.copy())
    chains = None
    if method == "pcd":
        chains = _bernoulli(np.broadcast_to(special.expit(model.visible_bias), (n_ch, model.n_visible)), rng)
    binary = bool(np.all((X == 0) | (X == 1)))
    X_mon = X[np.sort(rng.choice(X.shape[0], n_mon, replace=False))] if n_mon < X.shape[0] else X
    rec = {name: [] for name in TrainingHistory.__dataclass_fields__}
    t0 = time.perf_counter()

    def record(updates, epoch):
        rec["updates"].append(updates)
        rec["epochs"].append(epoch)
        rec["reconstruction_error"].append(float(np.mean((X - _reconstruct(model, X)) ** 2)))
        rec["free_energy_train"].append(float(np.mean(_free_energy(model, X))))
        rec["free_energy_test"].append(float(np.mean(_free_energy(model, Xt))) if Xt is not None else math.nan)
        rec["pseudo_log_likelihood"].append(
            float(np.mean(_conditional_log_probabilities(model, X_mon).sum(axis=1))) if binary else math.nan)
        rec["weight_std"].append(float(model.weights.std()))
        rec["seconds"].append(time.perf_counter() - t0)

    def history():
        return TrainingHistory(*(np.asarray(rec[name]) for name in TrainingHistory.__dataclass_fields__))

    record(0, 0)
    n_batches = -(-X.shape[0] // B)
    updates, stopped = 0, False
    for epoch in range(1, n_epochs + 1):
        order = rng.permutation(X.shape[0]) if shuffle else np.arange(X.shape[0])
        for j in range(n_batches):
            V0 = X[order[j * B:(j + 1) * B]]
            grad, Vk = _cd_step(model, V0, chains if method == "pcd" else None, k, rng)
            model.weights += lr * (grad.weights - wd * model.weights)
            model.visible_bias += lr * grad.visible_bias
            model.hidden_bias += lr * grad.hidden_bias
            if method == "pcd":
                chains = Vk
            updates += 1
        record(updates, epoch)
        if report(callback, epoch, n_epochs, f"epoch {epoch}/{n_epochs}", {"history": history(), "rbm": model.copy()}):
            stopped = True
            break
    return RBMTrainingResult(model, history(), method, k, lr, B, updates,
                             seed if isinstance(seed, int) else None, stopped, chains)


# ------------------------------------------------------------------------------ sampling

@dataclass
class GibbsChain:
    """Block-Gibbs samples of an RBM: ``steps`` (K,), ``states`` (K, n_chains, n_v) uint8 samples v,
    ``probabilities`` (K, n_chains, n_v) p(v | h) of the step that produced them (smoother images)."""

    steps: np.ndarray
    states: np.ndarray
    probabilities: np.ndarray


def gibbs_chain(rbm: RBM, n_chains: int = 16, n_steps: int = 1000, *, record_every: int = 100, initial=None,
                seed=None) -> GibbsChain:
    """Run ``n_chains`` block-Gibbs chains v -> h ~ p(h|v) -> v ~ p(v|h) for ``n_steps`` steps.

    ``initial`` (n_chains, n_v) in [0, 1] (default: uniformly random binary v); records every
    ``record_every`` steps (step 0 = the initial state, whose probabilities are the state itself).
    """
    _check_rbm(rbm)
    R = integer("n_chains", n_chains, low=1, high=10_000)
    n_steps = integer("n_steps", n_steps, low=0, high=10_000_000)
    every = integer("record_every", record_every, low=1)
    rng = as_generator(seed)
    if initial is None:
        V = _bernoulli(np.full((R, rbm.n_visible), 0.5), rng)
    else:
        V = _check_data(rbm.n_visible, initial, "initial")
        if V.shape[0] != R:
            raise expected("initial", f"{R} rows (n_chains)", f"shape {V.shape}")
    steps, states, probs = [0], [V.copy()], [V.copy()]
    for t in range(1, n_steps + 1):
        H = _bernoulli(special.expit(V @ rbm.weights + rbm.hidden_bias), rng)
        P = special.expit(H @ rbm.weights.T + rbm.visible_bias)
        V = _bernoulli(P, rng)
        if t % every == 0:
            steps.append(t)
            states.append(V.copy())
            probs.append(P)
    return GibbsChain(np.asarray(steps), np.asarray(states).astype(np.uint8), np.asarray(probs))


# ------------------------------------------------------------------ scikit-learn check

@dataclass
class SklearnComparison:
    """Our PCD-1 RBM and scikit-learn's ``BernoulliRBM`` after the same updates on the same data.

    ``rows``: one dict per implementation with reconstruction_error, pseudo_log_likelihood
    (exact, ours, on both machines), sklearn_score (sklearn's one-unit estimate, mean of
    ``score_samples``), free_energy_train/test, weight_std, weight_mean_abs, seconds (ours
    includes the per-epoch monitoring of :func:`train_rbm`, about 0.1 s per epoch on digits).
    Free energies carry each machine's own arbitrary offset (ln Z differs), so compare them
    between train and test, not between machines.
    """

    rows: list
    n_updates: int
    settings: dict
    ours: RBM
    theirs: RBM

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows)


def compare_with_sklearn(data=None, *, test_data=None, n_hidden: int = 64, learning_rate: float = 0.1,
                         batch_size: int = 10, n_epochs: int = 10, seed: int = 0,
                         callback: Callback = None) -> SklearnComparison | None:
    """Train our PCD-1 (``shuffle=False``, as scikit-learn) and ``BernoulliRBM`` with the same settings.

    Default data: :func:`binary_digits`. Both machines are then measured with the same code;
    scikit-learn's machine is also scored with its own ``score_samples``. The two use different
    random streams, so the numbers agree loosely (same algorithm, not the same samples).
    ``callback`` sees our epochs, then one step for scikit-learn's whole fit (it has no hook of
    its own; counted as long as ours); returning True during our epochs stops and returns None.
    """
    from sklearn.neural_network import BernoulliRBM

    if data is None:
        data, test_data, _, _ = binary_digits(seed=seed)
    X = _check_data(None, data)
    Xt = None if test_data is None else _check_data(X.shape[1], test_data, "test_data")
    seed = integer("seed", seed, low=0)
    n_hidden = integer("n_hidden", n_hidden, low=1, high=MAX_UNITS)
    n_epochs = integer("n_epochs", n_epochs, low=1, high=100_000)
    total = 2 * n_epochs

    def ours_progress(p):
        return report(callback, p.done, total, f"engine.boltzmann, {p.message}")

    t0 = time.perf_counter()
    ours = train_rbm(X, n_hidden, method="pcd", k=1, learning_rate=learning_rate, batch_size=batch_size,
                     n_epochs=n_epochs, shuffle=False, test_data=Xt, seed=seed,
                     callback=None if callback is None else ours_progress)
    t_ours = time.perf_counter() - t0
    if ours.stopped or report(callback, n_epochs, total, f"scikit-learn's BernoulliRBM, {n_epochs} epochs"):
        return None
    sk = BernoulliRBM(n_components=n_hidden, learning_rate=learning_rate, batch_size=batch_size,
                      n_iter=n_epochs, random_state=seed)
    t0 = time.perf_counter()
    sk.fit(X)
    t_sk = time.perf_counter() - t0
    theirs = RBM(sk.components_.T.copy(), sk.intercept_visible_.copy(), sk.intercept_hidden_.copy())
    shape = (8, 8) if X.shape[1] == 64 else None
    ours.rbm.image_shape = theirs.image_shape = shape
    rows = []
    for name, m, secs in (("engine.boltzmann (PCD-1)", ours.rbm, t_ours), ("sklearn BernoulliRBM", theirs, t_sk)):
        sk_copy = _as_sklearn(m, sk)
        rows.append({"implementation": name, "reconstruction_error": m.reconstruction_error(X),
                     "pseudo_log_likelihood": m.pseudo_log_likelihood(X) if np.all((X == 0) | (X == 1)) else math.nan,
                     "sklearn_score": float(np.mean(sk_copy.score_samples(X))),
                     "free_energy_train": float(np.mean(m.free_energy(X))),
                     "free_energy_test": float(np.mean(m.free_energy(Xt))) if Xt is not None else math.nan,
                     "weight_std": float(m.weights.std()), "weight_mean_abs": float(np.abs(m.weights).mean()),
                     "seconds": secs})
    report(callback, total, total, "both machines trained")
    n_batches = -(-X.shape[0] // batch_size)
    settings = {"n_hidden": n_hidden, "learning_rate": learning_rate, "batch_size": batch_size,
                "n_epochs": n_epochs, "seed": seed}
    return SklearnComparison(rows, n_epochs * n_batches, settings, ours.rbm, theirs)


def _as_sklearn(rbm, fitted):
    """A copy of a fitted ``BernoulliRBM`` carrying ``rbm``'s parameters (to use its score_samples)."""
    import copy

    sk = copy.deepcopy(fitted)
    sk.components_ = np.ascontiguousarray(rbm.weights.T)
    sk.intercept_visible_ = rbm.visible_bias.copy()
    sk.intercept_hidden_ = rbm.hidden_bias.copy()
    return sk
