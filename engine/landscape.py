"""Loss landscapes of the lab's MLPs: lines, surfaces, the Hessian and sharpness.

The loss of a network with parameters θ on a data set {(x_μ, y_μ)}, μ = 1..B, is the mean
cross-entropy of its logits f_θ(x)::

    L(θ) = -(1/B) Σ_μ log softmax(f_θ(x_μ))_{y_μ}        (nats per example)

Parameter vector. θ is every weight and bias in one flat float64 vector of length
P = Σ_l (n_out n_in + n_out), ordered layer by layer as ``[W_0.ravel(), b_0, W_1.ravel(), b_1,
...]`` with each ``W_l`` of shape (n_out, n_in) raveled row-major, so row i of ``W_l`` (the
weights *into* neuron i) is one contiguous slice. This is the order of
``torch.nn.utils.parameters_to_vector(network.to_torch().parameters())``.

What the module computes (Böttcher & Wheeler, arXiv:2405.10957 part 2 and arXiv:2208.13219;
PHYSICS.md section 9):

- **Linear interpolation** L((1-t)θ_A + tθ_B) between two networks of one architecture
  (initial -> trained, or two trained solutions; Goodfellow, Vinyals & Saxe, ICLR 2015).
- **Random-direction plots** L(θ* + αδ) and L(θ* + αδ + βη) with **filter normalisation**
  (Li, Xu, Taylor, Studer & Goldstein, "Visualizing the loss landscape of neural nets",
  NeurIPS 2018): δ is Gaussian, then each row of each weight block of δ (the weights into one
  neuron, the "filter" of a dense layer) is rescaled to the norm of the matching row of θ*,
  ``δ_row <- δ_row ‖θ*_row‖ / ‖δ_row‖``, and the bias parts of δ are set to 0. α = 1 is then a
  step as long as the weights themselves, whatever their scale. Many grid points are
  evaluated in one batched torch forward (a (K, B, n) batched matmul over K parameter
  vectors), in chunks that fit a memory budget; the first layer's pre-activation X W_0ᵀ + b_0
  is linear in θ, so on a line or plane it is combined from k+1 products computed once.
- **The Hessian** H = ∂²L/∂θ∂θᵀ. Exact for small nets, column by column as forward-over-
  reverse products ``jvp(grad(L))`` vmapped over unit vectors (torch.func); Hessian-vector
  products Hv by double backward (``autograd.grad`` of the gradient) for any size, with
  Lanczos (``scipy.sparse.linalg.eigsh`` on a ``LinearOperator``) for the extreme
  eigenvalues (as in Ghorbani, Krishnan & Xiao, ICML 2019); Hutchinson's estimator
  tr H = E[vᵀHv] over Rademacher v with its standard error (Hutchinson, Commun. Stat. Simul.
  Comput. 18, 1059, 1989). A random direction only sees the mean curvature (≈ tr H / P), so
  saddles hide; the directions of the eigenvectors of λ_max and of the most negative
  eigenvalue reveal them (:func:`hessian_surface`).
- **Sharpness**: λ_max of H (the main measure; Hochreiter & Schmidhuber 1997 flat minima), and
  optionally the ε-sharpness of Keskar, Mudigere, Nocedal, Smelyanskiy & Tang, "On large-batch
  training for deep learning", ICLR 2017, in the full space (A = I)::

      φ_ε = 100 (max_{|z_i| <= ε(|θ_i|+1)} L(θ+z) - L(θ)) / (1 + L(θ))

  maximised approximately by L-BFGS-B started at z = 0 (a lower bound of the true max).
  :func:`zoo_sharpness` tabulates both against the test accuracy written on model cards.

The loss needs data: by default the training split that the model's card names (its
``dataset`` and ``dataset_info`` {seed, test_fraction, features}), or any
:class:`engine.data.Dataset` / ``(X, y)`` given explicitly (:func:`loss_data`).

Budgets, checked before any work: a grid has at most :data:`MAX_RESOLUTION` points per axis;
grid points are evaluated in chunks whose working memory (≈ 8 bytes × (P + B (3 Σ_{l≥1} n_l +
n_L)) per point) stays under ``memory_budget`` (default 512 MB), and a single point (or a
requested ``points_per_batch``) that does not fit is refused; the exact Hessian needs about
3 × 8 P² bytes and is refused above the budget (use Lanczos). Long evaluations take
``callback`` (:mod:`engine.progress`) and return partial results (NaN where not evaluated)
flagged ``stopped_early``. Every random direction and probe takes ``seed``. torch runs on
one thread inside these functions (see :func:`_one_thread`).
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import activations as act
from .data import Dataset, load_dataset
from .errors import EngineError, expected
from .network import Network
from .progress import Callback, report
from .random import as_generator
from .validation import choice, finite_array, integer, positive, real

#: The most grid points per axis of a line or a surface.
MAX_RESOLUTION = 201
#: Default working-memory budget of one batched evaluation (bytes).
MEMORY_BUDGET = 512 * 2**20
#: ``method="auto"`` computes the exact Hessian up to this many parameters, Lanczos above.
EXACT_AUTO_PARAMS = 1000
NORMALIZATIONS = ("filter", "layer", "none")
SPLITS = ("train", "test")
_NO_DATA = "a model without data for a loss"


def _one_thread(fn):
    """Run ``fn`` with torch on one thread, restoring the setting after.

    The lab's nets are small: on a shared 2-core machine torch's second thread made surfaces
    and Lanczos 5-9x slower (measured under load; benchmarks/bench_landscape.py runs on one
    thread). engine.training.train does the same.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    return wrapper


# ============================================================================ data

@dataclass(frozen=True)
class LossData:
    """The examples a loss is measured on: ``X`` (B, n_0) float64, ``y`` (B,) int64 class indices."""

    X: np.ndarray
    y: np.ndarray
    name: str = "data"
    split: str = "train"

    @property
    def n_samples(self) -> int:
        return int(self.y.shape[0])

    def describe(self) -> str:
        return f"{self.name} ({self.split}, {self.n_samples} examples)"


def loss_data(network: Network, data=None, *, split: str = "train", n_samples: int | None = None,
              seed=0) -> LossData:
    """The examples to measure ``network``'s loss on, checked against its input width.

    Parameters
    ----------
    network : the model; with ``data=None`` its card must name the data set (``card["dataset"]``,
        rebuilt with ``card["dataset_info"]``: split seed, test fraction, standardised/±1/raw
        features, classes), else :class:`EngineError` ("a model without data for a loss").
    data : None, an :class:`engine.data.Dataset`, a :class:`LossData` (returned as is, after the
        checks) or a pair ``(X, y)`` with X (B, n_0) and integer labels y (B,).
    split : "train" (default; the landscape that training descended) or "test".
    n_samples : keep a seeded random subset of this many examples (faster surfaces).
    seed : the subset's seed.
    """
    if not isinstance(network, Network):
        raise expected("network", "an engine.network.Network", type(network).__name__)
    choice("split", split, SPLITS)
    if data is None:
        data = _card_dataset(network)
    if isinstance(data, LossData):
        out = data
    elif isinstance(data, Dataset):
        X, y = (data.X_train, data.y_train) if split == "train" else (data.X_test, data.y_test)
        out = LossData(X, y, data.name, split)
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        out = LossData(data[0], data[1], "data", "given")
    else:
        raise expected("data", "None, a Dataset, a LossData or a pair (X, y)", type(data).__name__)
    X = finite_array("X", out.X, ndim=2)
    y = finite_array("y", out.y, dtype=np.float64, ndim=1)
    n_in, n_out = network.widths[0], network.widths[-1]
    if X.shape[1] != n_in:
        raise EngineError(f"{_NO_DATA}: `data` must have {n_in} features per example (the inputs of "
                          f"{network.name}), got {X.shape[1]} ({out.name})")
    if y.shape[0] != X.shape[0] or y.shape[0] == 0:
        raise expected("y", f"one label per row of X ({X.shape[0]})", f"{y.shape[0]} labels")
    if np.any(y != np.round(y)) or y.min() < 0 or y.max() >= n_out:
        raise expected("y", f"integer class indices in [0, {n_out}) (the outputs of {network.name})",
                       f"values in [{y.min():g}, {y.max():g}]")
    y = y.astype(np.int64)
    if n_samples is not None:
        n = integer("n_samples", n_samples, low=1)
        if n < y.shape[0]:
            idx = np.sort(as_generator(seed).choice(y.shape[0], size=n, replace=False))
            X, y = X[idx], y[idx]
    return LossData(np.ascontiguousarray(X), np.ascontiguousarray(y), out.name, out.split)


def _card_dataset(network: Network) -> Dataset:
    """Rebuild the data set a card names, with the split and features it was trained on."""
    card = network.card
    name = card.get("dataset")
    if not name:
        raise EngineError(f"{_NO_DATA}: the card of {network.name!r} names no data set; pass `data` "
                          "(a Dataset or (X, y))")
    info = dict(card.get("dataset_info") or {})
    features = info.get("features", "standardised")
    kwargs = {"seed": int(info.get("seed", 0)), "test_fraction": float(info.get("test_fraction", 0.25)),
              "binarize": features == "±1", "standardize": features == "standardised"}
    for key in ("classes", "n_samples", "noise", "n_features", "teacher_widths", "teacher_seed"):
        if info.get(key) is not None:  # recorded by cards that used non-default generated sets
            kwargs[key] = info[key]
    if name == "teacher_student":
        # the teacher's input width is the model's when the card does not repeat it
        kwargs.setdefault("n_features", network.widths[0])
    try:
        return load_dataset(name, **kwargs)
    except EngineError as e:
        raise EngineError(f"{_NO_DATA}: the data set on the card of {network.name!r} cannot be "
                          f"rebuilt ({e})") from e


# ============================================================== parameter vectors

@dataclass(frozen=True)
class ParameterBlock:
    """One layer's weights or biases inside the flat vector: ``theta[start:stop]`` reshaped to ``shape``."""

    layer: int
    kind: str  # "weight" | "bias"
    start: int
    stop: int
    shape: tuple


def parameter_blocks(network: Network) -> list[ParameterBlock]:
    """The layout of θ: ``[W_0 (n_1, n_0) row-major, b_0 (n_1,), W_1, b_1, ...]``."""
    blocks, start = [], 0
    for l, (w, b) in enumerate(zip(network.weights, network.biases)):
        blocks.append(ParameterBlock(l, "weight", start, start + w.size, w.shape))
        start += w.size
        blocks.append(ParameterBlock(l, "bias", start, start + b.size, b.shape))
        start += b.size
    return blocks


def parameter_vector(network: Network) -> np.ndarray:
    """θ (P,) float64: every weight and bias in the order of :func:`parameter_blocks`."""
    return np.concatenate([a.ravel() for w, b in zip(network.weights, network.biases) for a in (w, b)])


def network_from_vector(theta, like: Network, **card_updates) -> Network:
    """The network with parameters ``theta`` (P,) and the architecture and card of ``like``."""
    theta = finite_array("theta", theta, ndim=1, shape=(like.n_params,))
    ws, bs = [], []
    for blk in parameter_blocks(like):
        (ws if blk.kind == "weight" else bs).append(theta[blk.start:blk.stop].reshape(blk.shape).copy())
    net = Network(ws, bs, list(like.activations), dict(like.card))
    net.card.update(card_updates)
    return net


def same_architecture(a: Network, b: Network) -> bool:
    """True when ``a`` and ``b`` have the same widths and activations (θ_A, θ_B comparable)."""
    return a.widths == b.widths and a.activations == b.activations


# ================================================================ the objective

def loss_reference(network: Network, X, y) -> tuple[float, float]:
    """The mean cross-entropy (nats) and accuracy by plain NumPy (``Network.forward``): the test oracle."""
    logits = network.forward(X)
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    y = np.asarray(y)
    return float(-logp[np.arange(len(y)), y].mean()), float(np.mean(logits.argmax(axis=1) == y))


class _Objective:
    """L(θ) of one architecture on one data set, in torch float64, for one or many θ at once.

    ``losses(thetas (K, P))`` is the batched forward (a (K, B, n) batched matmul per layer);
    ``loss(theta (P,))`` is the same code for a single vector, used by torch.func transforms.
    """

    def __init__(self, network: Network, data: LossData):
        import torch

        self.torch = torch
        self.network = network
        self.data = data
        self.blocks = parameter_blocks(network)
        self.layers = [(w, b) for w, b in zip(self.blocks[::2], self.blocks[1::2])]
        self.acts = [act.torch_module(a) or (lambda x: x) for a in network.activations]
        self.X = torch.from_numpy(data.X)
        self.y = torch.from_numpy(data.y)
        self.onehot = torch.nn.functional.one_hot(self.y, network.widths[-1]).to(torch.float64)
        self.theta0 = torch.from_numpy(parameter_vector(network))
        self.P = network.n_params
        self.B = data.n_samples
        self._graph = None

    # ------------------------------------------------------------- forward
    def logits(self, theta, first=None):
        """f_θ(X): θ (..., P) -> (..., B, n_L).

        ``first`` (..., B, n_1), if given, is the first layer's pre-activation X W_0ᵀ + b_0
        already computed (see :meth:`first_layer`); θ's first-layer entries are then not read.
        """
        lead = theta.shape[:-1]
        h = self.X
        for l, ((wb, bb), a) in enumerate(zip(self.layers, self.acts)):
            if l == 0 and first is not None:
                h = a(first)
                continue
            W = theta[..., wb.start:wb.stop].reshape(*lead, *wb.shape)
            b = theta[..., bb.start:bb.stop].reshape(*lead, 1, bb.shape[0])
            h = a(h @ W.transpose(-1, -2) + b)
        return h

    def first_layer(self, theta):
        """X W_0ᵀ + b_0 for θ (k, P) -> (k, B, n_1): linear in θ."""
        wb, bb = self.layers[0]
        W = theta[:, wb.start:wb.stop].reshape(-1, *wb.shape)
        return self.X @ W.transpose(-1, -2) + theta[:, None, bb.start:bb.stop]

    def loss(self, theta):
        """L(θ) for θ (..., P) -> (...)."""
        logp = self.torch.log_softmax(self.logits(theta), dim=-1)
        return -(logp * self.onehot).sum(-1).mean(-1)

    def losses(self, thetas, first=None):
        """(loss, accuracy) for θ (K, P) -> two (K,) tensors, without autograd."""
        with self.torch.no_grad():
            logits = self.logits(thetas, first)
            logp = self.torch.log_softmax(logits, dim=-1)
            loss = -(logp * self.onehot).sum(-1).mean(-1)
            acc = (logits.argmax(-1) == self.y).to(self.torch.float64).mean(-1)
        return loss, acc

    def bytes_per_point(self) -> int:
        """Working memory of one θ in :meth:`losses`: θ, pre- and post-activations, log-softmax, one-hot product."""
        widths = self.network.widths
        return 8 * (self.P + self.B * (3 * sum(widths[1:]) + widths[-1]))

    # ------------------------------------------------------------ derivatives
    def gradient(self, theta=None):
        torch = self.torch
        theta = (self.theta0 if theta is None else theta).detach().clone().requires_grad_(True)
        loss = self.loss(theta)
        (g,) = torch.autograd.grad(loss, theta)
        return float(loss.detach()), g

    def _hvp_graph(self):
        """θ with requires_grad and ∇L(θ) with its graph kept, built once for many products."""
        if self._graph is None:
            torch = self.torch
            theta = self.theta0.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(self.loss(theta), theta, create_graph=True)
            self._graph = (theta, g)
        return self._graph

    def hvp(self, V):
        """H V by double backward: V (P,) or (K, P) -> the same shape."""
        torch = self.torch
        theta, g = self._hvp_graph()
        V = torch.as_tensor(V, dtype=torch.float64)
        if V.ndim == 1:
            (hv,) = torch.autograd.grad(g, theta, grad_outputs=V, retain_graph=True)
        else:
            (hv,) = torch.autograd.grad(g, theta, grad_outputs=V, retain_graph=True, is_grads_batched=True)
        return hv.detach()

    def hessian_columns(self, start: int, stop: int):
        """Rows start..stop-1 of the exact H (= columns, H is symmetric) by torch.func: vmap(jvp(grad L))."""
        import warnings

        from torch.func import grad, jvp, vmap

        torch = self.torch
        E = torch.zeros(stop - start, self.P, dtype=torch.float64)
        E[torch.arange(stop - start), torch.arange(start, stop)] = 1.0
        g = grad(self.loss)
        with warnings.catch_warnings():
            # torch's forward-mode AD scripts its decompositions on first use (its own deprecation, not ours)
            warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=DeprecationWarning)
            return vmap(lambda v: jvp(g, (self.theta0,), (v,))[1])(E)


def _objective(network, data) -> _Objective:
    return _Objective(network, loss_data(network, data))


# ================================================================== evaluation

@dataclass(frozen=True)
class LossValue:
    """The loss L (nats per example, mean cross-entropy) and accuracy of one network on ``data``."""

    loss: float
    accuracy: float
    n_samples: int
    data: str


@_one_thread
def evaluate_loss(network: Network, data=None) -> LossValue:
    """L(θ) and accuracy of ``network`` on ``data`` (see :func:`loss_data`)."""
    obj = _objective(network, data)
    loss, acc = obj.losses(obj.theta0[None])
    return LossValue(float(loss[0]), float(acc[0]), obj.B, obj.data.describe())


@_one_thread
def loss_gradient(network: Network, data=None) -> np.ndarray:
    """∇L(θ) (P,) in the order of :func:`parameter_blocks`."""
    return _objective(network, data).gradient()[1].numpy()


def _points_per_batch(obj: _Objective, n_points: int, memory_budget, points_per_batch) -> int:
    """How many grid points one batched forward takes, or EngineError when the budget cannot hold them."""
    budget = positive("memory_budget", memory_budget)
    per_point = obj.bytes_per_point()
    fit = int(budget // per_point)
    if fit < 1:
        raise EngineError(f"grid too large for the memory budget: one grid point needs {per_point / 2**20:.1f} MB "
                          f"({obj.B} examples × {obj.network.describe()}), the budget is {budget / 2**20:.1f} MB; "
                          "use fewer examples (n_samples) or a larger memory_budget")
    if points_per_batch is None:
        return max(1, min(n_points, fit, 64))  # bigger batches fall out of cache and run slower (measured)
    k = integer("points_per_batch", points_per_batch, low=1)
    if k > fit:
        raise EngineError(f"grid too large for the memory budget: {k} points per batch need "
                          f"{k * per_point / 2**20:.0f} MB, the budget is {budget / 2**20:.0f} MB "
                          f"(at most {fit} points per batch)")
    return min(k, n_points)


def _evaluate_points(obj: _Objective, origin, directions, coords, batch: int, callback: Callback,
                     label: str):
    """L and accuracy at θ = origin + coords @ directions for every row of coords (n, k), in batches.

    Returns (loss (n,), accuracy (n,), n_done); points not evaluated after a stop are NaN.
    """
    torch = obj.torch
    origin = torch.as_tensor(origin, dtype=torch.float64)
    D = torch.as_tensor(np.ascontiguousarray(directions), dtype=torch.float64)
    C = torch.as_tensor(np.ascontiguousarray(coords), dtype=torch.float64)
    # The first layer's pre-activation is linear in θ, so on the plane it is Z_0 + Σ_k c_k Z_k with
    # Z computed once for the origin and each direction: the widest matmul (B × n_0 × n_1) then
    # costs k+1 multiply-adds per entry instead of n_0 at every grid point.
    with torch.no_grad():
        Z = obj.first_layer(torch.cat([origin[None], D]))
    n = C.shape[0]
    loss = np.full(n, np.nan)
    acc = np.full(n, np.nan)
    done = 0
    while done < n:
        stop = min(n, done + batch)
        c = C[done:stop]
        first = Z[0] + torch.tensordot(c, Z[1:], dims=1)
        l, a = obj.losses(origin + c @ D, first)
        loss[done:stop], acc[done:stop] = l.numpy(), a.numpy()
        done = stop
        if report(callback, done, n, f"{label}: {done}/{n} points", {"loss": loss, "accuracy": acc}):
            break
    return loss, acc, done


def _axis(name: str, low: float, high: float, resolution, snap=(0.0,)) -> np.ndarray:
    """``resolution`` evenly spaced values in [low, high]; values that round-off moved off 0 (or 1) are put back."""
    n = integer(name, resolution, low=2, high=MAX_RESOLUTION)
    x = np.linspace(low, high, n)
    tol = 1e-9 * (high - low)
    for s in snap:
        x[np.abs(x - s) < tol] = s  # so the grid contains the model itself exactly
    return x


def _span(name: str, span) -> tuple[float, float]:
    if isinstance(span, (tuple, list, np.ndarray)):
        if len(span) != 2:
            raise expected(name, "a number or a pair (span_alpha, span_beta)", span)
        return positive(f"{name}[0]", span[0]), positive(f"{name}[1]", span[1])
    s = positive(name, span)
    return s, s


# ================================================================== directions

def filter_normalize(direction, network: Network, normalization: str = "filter") -> np.ndarray:
    """Rescale a direction d (P,) to the scale of θ*, block by block; bias parts set to 0.

    ``"filter"`` (Li et al. 2018): each row i of each weight block, ``d_row <- d_row ‖θ*_row‖/‖d_row‖``,
    so every neuron's incoming weights move by a step proportional to their own size.
    ``"layer"``: each weight block scaled to ‖W_l‖ as a whole. ``"none"``: d unchanged (biases still 0).
    A zero row of d stays zero. Returns a new array (P,).
    """
    choice("normalization", normalization, NORMALIZATIONS)
    d = finite_array("direction", direction, ndim=1, shape=(network.n_params,)).copy()
    for blk in parameter_blocks(network):
        part = d[blk.start:blk.stop]
        if blk.kind == "bias":
            part[:] = 0.0
            continue
        w = network.weights[blk.layer]
        rows = part.reshape(blk.shape)  # a view: scaling it scales d
        if normalization == "filter":
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            rows *= np.divide(np.linalg.norm(w, axis=1, keepdims=True), norms, out=np.zeros_like(norms),
                              where=norms > 0)
        elif normalization == "layer":
            norm = np.linalg.norm(rows)
            rows *= np.linalg.norm(w) / norm if norm > 0 else 0.0
    return d


def random_direction(network: Network, *, seed=None, normalization: str = "filter") -> np.ndarray:
    """A Gaussian direction d ~ N(0, 1)^P, normalised by :func:`filter_normalize` (bias parts 0)."""
    rng = as_generator(seed)
    return filter_normalize(rng.standard_normal(network.n_params), network, normalization)


# ======================================================================= lines

@dataclass
class LossLine:
    """L and accuracy along a line θ(t) in parameter space.

    ``t`` (n,): the interpolation weight (θ = (1-t)θ_A + tθ_B) or the step α along a
    direction (θ = θ* + αδ); ``loss`` (n,) in nats per example; ``accuracy`` (n,) in [0, 1];
    NaN where a stopped run did not evaluate.
    """

    t: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    kind: str  # "interpolation" | "random" | "direction"
    xlabel: str
    models: tuple  # names of the model(s)
    data: str
    seed: int | None = None
    normalization: str | None = None
    stopped_early: bool = False
    seconds: float = 0.0

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"t": self.t, "loss": self.loss, "accuracy": self.accuracy})


@_one_thread
def interpolate(model_a: Network, model_b: Network, data=None, *, t_range=(-0.5, 1.5), resolution: int = 41,
                memory_budget=MEMORY_BUDGET, points_per_batch=None, callback: Callback = None) -> LossLine:
    """L((1-t)θ_A + tθ_B) for t on a grid over ``t_range`` (t = 0 is model A, t = 1 is model B).

    Both models must have the same widths and activations. ``data`` defaults to model A's card
    (else model B's). The grid holds t = 0 and t = 1 exactly when they fall on it
    (e.g. the default (-0.5, 1.5) with 41 points, step 0.05).
    """
    for name, m in (("model_a", model_a), ("model_b", model_b)):
        if not isinstance(m, Network):
            raise expected(name, "an engine.network.Network", type(m).__name__)
    if not same_architecture(model_a, model_b):
        raise EngineError(f"`model_b` must have the architecture of model_a ({model_a.describe()}, "
                          f"{model_a.activations}) to interpolate, got {model_b.describe()} ({model_b.activations})")
    lo, hi = _range("t_range", t_range)
    t = _axis("resolution", lo, hi, resolution, snap=(0.0, 1.0))
    if data is None and not model_a.card.get("dataset") and model_b.card.get("dataset"):
        data = loss_data(model_b)
    obj = _objective(model_a, data)
    batch = _points_per_batch(obj, t.size, memory_budget, points_per_batch)
    t0 = time.perf_counter()
    theta_a, theta_b = parameter_vector(model_a), parameter_vector(model_b)
    loss, acc, done = _evaluate_points(obj, theta_a, (theta_b - theta_a)[None], t[:, None], batch, callback,
                                       "interpolation")
    return LossLine(t, loss, acc, "interpolation", "t  (θ = (1-t) θ_A + t θ_B)", (model_a.name, model_b.name),
                    obj.data.describe(), stopped_early=done < t.size, seconds=time.perf_counter() - t0)


@_one_thread
def loss_line(network: Network, data=None, *, direction=None, seed=0, normalization: str = "filter",
              span: float = 1.0, resolution: int = 51, memory_budget=MEMORY_BUDGET, points_per_batch=None,
              callback: Callback = None) -> LossLine:
    """L(θ* + αδ) for α in [-span, span] along a random filter-normalised δ (or the given ``direction`` (P,)).

    A given ``direction`` is used as it is (no normalisation); ``seed`` and ``normalization``
    then do not apply.
    """
    span = positive("span", span)
    alpha = _axis("resolution", -span, span, resolution)
    if direction is None:
        d, kind = random_direction(network, seed=seed, normalization=normalization), "random"
    else:
        d, kind = finite_array("direction", direction, ndim=1, shape=(network.n_params,)), "direction"
        seed = normalization = None
    obj = _objective(network, data)
    batch = _points_per_batch(obj, alpha.size, memory_budget, points_per_batch)
    t0 = time.perf_counter()
    loss, acc, done = _evaluate_points(obj, obj.theta0, d[None], alpha[:, None], batch, callback, "line")
    return LossLine(alpha, loss, acc, kind, "α  (θ = θ* + α δ)", (network.name,), obj.data.describe(),
                    seed=_seed_label(seed), normalization=normalization, stopped_early=done < alpha.size,
                    seconds=time.perf_counter() - t0)


def _seed_label(seed) -> int | None:
    """The seed to record on a result (an int; a Generator or None cannot be replayed)."""
    return int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else None


def _range(name, pair) -> tuple[float, float]:
    if not isinstance(pair, (tuple, list, np.ndarray)) or len(pair) != 2:
        raise expected(name, "a pair (low, high)", pair)
    lo, hi = real(f"{name}[0]", pair[0]), real(f"{name}[1]", pair[1])
    if hi <= lo:
        raise expected(name, "low < high", pair)
    return lo, hi


# ===================================================================== surfaces

@dataclass
class LossSurface:
    """L and accuracy on the plane θ* + αδ + βη.

    ``alpha`` (n_a,), ``beta`` (n_b,); ``loss`` and ``accuracy`` have shape (n_b, n_a) with
    ``loss[j, i] = L(θ* + alpha[i] δ + beta[j] η)`` — rows are β, as Plotly's ``Surface(x=alpha,
    y=beta, z=loss)`` and ``contour`` expect. Loss in nats per example; NaN where a stopped run
    did not evaluate. ``center_loss`` is L(θ*). For Hessian directions δ, η are unit
    eigenvectors (α, β are Euclidean distances in parameter space) and ``eigenvalues`` holds
    their (λ_δ, λ_η); ``direction_norms`` are ‖δ‖, ‖η‖.
    """

    alpha: np.ndarray
    beta: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    kind: str  # "random" | "hessian" | "direction"
    model: str
    data: str
    center_loss: float
    direction_norms: tuple
    seed: int | None = None
    normalization: str | None = None
    eigenvalues: tuple | None = None
    stopped_early: bool = False
    seconds: float = 0.0
    points_per_batch: int = 0

    def to_frame(self):
        import pandas as pd

        A, Bt = np.meshgrid(self.alpha, self.beta)
        return pd.DataFrame({"alpha": A.ravel(), "beta": Bt.ravel(), "loss": self.loss.ravel(),
                             "accuracy": self.accuracy.ravel()})


@_one_thread
def loss_surface(network: Network, data=None, *, directions=None, seed=0, normalization: str = "filter",
                 span=1.0, resolution: int = 31, memory_budget=MEMORY_BUDGET, points_per_batch=None,
                 callback: Callback = None) -> LossSurface:
    """L(θ* + αδ + βη) on a resolution × resolution grid over [-span, span]².

    δ, η are two independent random filter-normalised directions drawn from ``seed`` (or the
    given pair ``directions`` = (δ, η), each (P,), used as they are). ``span`` is one number
    or a pair (span_α, span_β). The grid holds (0, 0) exactly when ``resolution`` is odd.
    All grid points run as batched forwards of ``points_per_batch`` parameter vectors (default:
    as many as fit ``memory_budget``, at most 64).
    """
    sa, sb = _span("span", span)
    alpha = _axis("resolution", -sa, sa, resolution)
    beta = _axis("resolution", -sb, sb, resolution)
    if directions is None:
        rng = as_generator(seed)
        d1 = random_direction(network, seed=rng, normalization=normalization)
        d2 = random_direction(network, seed=rng, normalization=normalization)
        kind = "random"
    else:
        if not isinstance(directions, (tuple, list)) or len(directions) != 2:
            raise expected("directions", "a pair (delta, eta) of (P,) arrays", type(directions).__name__)
        d1, d2 = (finite_array(f"directions[{i}]", d, ndim=1, shape=(network.n_params,))
                  for i, d in enumerate(directions))
        kind, seed, normalization = "direction", None, None
    return _surface(network, data, d1, d2, alpha, beta, kind, memory_budget, points_per_batch, callback,
                    seed=_seed_label(seed), normalization=normalization)


def _surface(network, data, d1, d2, alpha, beta, kind, memory_budget, points_per_batch, callback, **extra):
    obj = _objective(network, data)
    n = alpha.size * beta.size
    batch = _points_per_batch(obj, n, memory_budget, points_per_batch)
    t0 = time.perf_counter()
    A, Bt = np.meshgrid(alpha, beta)  # (n_b, n_a): row j is beta[j]
    coords = np.stack([A.ravel(), Bt.ravel()], axis=1)
    loss, acc, done = _evaluate_points(obj, obj.theta0, np.stack([d1, d2]), coords, batch, callback, "surface")
    center = float(obj.losses(obj.theta0[None])[0][0])
    return LossSurface(alpha, beta, loss.reshape(A.shape), acc.reshape(A.shape), kind, network.name,
                       obj.data.describe(), center, (float(np.linalg.norm(d1)), float(np.linalg.norm(d2))),
                       stopped_early=done < n, seconds=time.perf_counter() - t0, points_per_batch=batch, **extra)


# ====================================================================== Hessian

@_one_thread
def hessian_vector_product(network: Network, vectors, data=None) -> np.ndarray:
    """H v by double backward (``autograd.grad`` of ∇L with ``create_graph``): v (P,) or (K, P) -> same shape."""
    V = finite_array("vectors", vectors)
    if V.ndim not in (1, 2) or V.shape[-1] != network.n_params:
        raise expected("vectors", f"of shape ({network.n_params},) or (K, {network.n_params})", f"shape {V.shape}")
    return _objective(network, data).hvp(V).numpy()


def _check_exact(P: int, memory_budget) -> None:
    budget = positive("memory_budget", memory_budget)
    need = 3 * 8 * P * P  # H, its eigenvectors and LAPACK's workspace
    if need > budget:
        raise EngineError(f"the exact Hessian of {P} parameters needs about {need / 2**20:.0f} MB, over the "
                          f"memory budget of {budget / 2**20:.0f} MB; use method='lanczos'")


def _hessian(obj: _Objective, memory_budget, callback: Callback):
    """The exact H (P, P) by torch.func, in chunks of columns sized to the memory budget; None if stopped."""
    P = obj.P
    # forward-over-reverse keeps primal, tangent and adjoint activations per column
    per_col = 8 * (4 * P + 6 * obj.B * sum(obj.network.widths[1:]))
    # 32 columns per vmap: larger chunks fall out of cache and run slower (measured on 64-32-10 digits)
    chunk = int(max(1, min(P, 32, (positive("memory_budget", memory_budget) - 8 * P * P) // per_col)))
    H = np.empty((P, P))
    done = 0
    while done < P:
        stop = min(P, done + chunk)
        H[done:stop] = obj.hessian_columns(done, stop).numpy()
        done = stop
        if report(callback, done, P, f"Hessian: {done}/{P} columns") and done < P:
            return None
    return 0.5 * (H + H.T)  # exact up to round-off; symmetrise so eigh sees the same matrix on both sides


@_one_thread
def hessian_matrix(network: Network, data=None, *, memory_budget=MEMORY_BUDGET,
                   callback: Callback = None) -> np.ndarray:
    """The exact Hessian H_ij = ∂²L/∂θ_i∂θ_j (P, P) via torch.func (vmap of jvp(grad L) over unit vectors).

    Refused (EngineError) when 3 × 8 P² bytes exceed ``memory_budget``. Returns None if stopped.
    """
    _check_exact(network.n_params, memory_budget)
    return _hessian(_objective(network, data), memory_budget, callback)


def _dense_spectrum(H: np.ndarray):
    """All eigenvalues of a dense symmetric H (ascending) and the unit eigenvectors of both ends.

    Above a few hundred parameters only the two end vectors are needed, so ``eigvalsh`` (no
    eigenvectors: ~3x cheaper than ``eigh``) plus Lanczos on the dense H for the two ends.
    """
    import contextlib

    try:  # scikit-learn's dependency; one BLAS thread: 2 threads on a loaded 2-core machine ran eigh 5x slower
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(1, user_api="blas")
    except ImportError:
        limit = contextlib.nullcontext()
    P = H.shape[0]
    with limit:
        if P <= 500:
            vals, vecs = np.linalg.eigh(H)
            return vals, _orient(vecs[:, 0].copy()), _orient(vecs[:, -1].copy())
        from scipy.sparse.linalg import eigsh

        vals = np.linalg.eigvalsh(H)
        v0 = np.random.default_rng(0).standard_normal(P)  # any start not orthogonal to the ends
        ends = [eigsh(H, k=1, which=w, v0=v0, tol=1e-12)[1][:, 0] for w in ("SA", "LA")]
    return vals, _orient(ends[0]), _orient(ends[1])


def _orient(v: np.ndarray) -> np.ndarray:
    """Fix an eigenvector's arbitrary sign: its largest-magnitude component is positive."""
    return v if v[np.argmax(np.abs(v))] >= 0 else -v


@dataclass
class HessianSpectrum:
    """Eigenvalues of the Hessian of L at θ* (units: nats per example per unit parameter²).

    ``eigenvalues`` ascending: all P of them for ``method="exact"`` (``complete``), else the
    ``n_bottom`` smallest followed by the ``top`` largest found by Lanczos. ``v_max``, ``v_min`` (P,) are the
    unit eigenvectors of λ_max and λ_min (the most negative eigenvalue if there is one; ``v_min`` is
    None when Lanczos looked at the top only), sign fixed so the largest component is positive.
    ``trace`` is exact (Σλ) for the exact method, else Hutchinson's estimate with
    ``trace_stderr`` (NaN if not asked for). ``loss`` and ``grad_norm`` describe θ* (a large
    gradient means θ* is not a critical point and the spectrum is not that of a minimum).
    """

    eigenvalues: np.ndarray
    v_max: np.ndarray
    v_min: np.ndarray | None
    method: str
    complete: bool
    trace: float
    trace_stderr: float
    loss: float
    grad_norm: float
    n_params: int
    model: str
    data: str
    n_bottom: int = 0
    seconds: float = 0.0

    @property
    def lambda_max(self) -> float:
        return float(self.eigenvalues[-1])

    @property
    def lambda_min(self) -> float:
        """The smallest eigenvalue (NaN when Lanczos was asked for the top ones only)."""
        return float(self.eigenvalues[0]) if self.complete or self.n_bottom > 0 else float("nan")

    @property
    def negative_fraction(self) -> float:
        """Share of negative eigenvalues (exact spectra only; NaN otherwise)."""
        return float(np.mean(self.eigenvalues < 0)) if self.complete else float("nan")

    def to_frame(self):
        import pandas as pd

        """One row per eigenvalue found, ascending; ``end`` says "all", "smallest" or "largest"."""
        ev = self.eigenvalues
        if self.complete:
            end = ["all"] * ev.size
        else:
            end = ["smallest"] * self.n_bottom + ["largest"] * (ev.size - self.n_bottom)
        return pd.DataFrame({"eigenvalue": ev, "end": end})


def _lanczos(obj: _Objective, k: int, which: str, *, tol: float, seed, maxiter=None):
    """k extreme eigenpairs of H by Lanczos (ARPACK) on Hessian-vector products."""
    from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

    P = obj.P
    op = LinearOperator((P, P), matvec=lambda v: obj.hvp(np.ascontiguousarray(v).ravel()).numpy(), dtype=np.float64)
    v0 = as_generator(seed).standard_normal(P)  # ARPACK's own start vector is not seeded
    try:
        vals, vecs = eigsh(op, k=k, which=which, tol=tol, v0=v0, maxiter=maxiter)
    except ArpackNoConvergence as e:
        raise EngineError(f"Lanczos did not converge for {obj.network.name} ({which}, k={k}): "
                          f"{len(e.eigenvalues)} of {k} eigenvalues; raise `tol`") from e
    order = np.argsort(vals)
    return vals[order], vecs[:, order]


@_one_thread
def hessian_spectrum(network: Network, data=None, *, method: str = "auto", top: int = 5, bottom: int = 1,
                     tol: float = 1e-6, trace_probes: int = 0, seed=0, memory_budget=MEMORY_BUDGET,
                     callback: Callback = None) -> HessianSpectrum:
    """The Hessian's eigenvalues at θ*: exact (all P), or the ``top`` largest and ``bottom`` smallest by Lanczos.

    ``method``: "exact" (torch.func Hessian + ``numpy.linalg.eigh``), "lanczos" (eigsh on
    Hessian-vector products, relative tolerance ``tol``, start vector from ``seed``) or "auto"
    (exact up to :data:`EXACT_AUTO_PARAMS` parameters). With Lanczos, ``trace_probes`` > 0 adds
    Hutchinson's estimate of tr H. Raises EngineError if stopped during the exact Hessian.
    """
    choice("method", method, ("auto", "exact", "lanczos"))
    P = network.n_params
    if method == "auto":
        method = "exact" if P <= EXACT_AUTO_PARAMS else "lanczos"
    if method == "exact":
        _check_exact(P, memory_budget)
    else:
        top = integer("top", top, low=1, high=P - 1)
        bottom = integer("bottom", bottom, low=0, high=P - 1)
        tol = positive("tol", tol)
        trace_probes = integer("trace_probes", trace_probes, low=0)
    obj = _objective(network, data)
    t0 = time.perf_counter()
    if method == "exact":
        H = _hessian(obj, memory_budget, callback)
        if H is None:
            raise EngineError("the Hessian was stopped before it was complete; no spectrum")
        vals, vmin, vmax = _dense_spectrum(H)
        trace, trace_err = float(np.trace(H)), 0.0
        n_bottom = 0
    else:
        rng = as_generator(seed)
        hi_vals, hi_vecs = _lanczos(obj, top, "LA", tol=tol, seed=rng)
        report(callback, 1, 2, "Lanczos: largest eigenvalues done")
        vmax, vmin, vals = hi_vecs[:, -1], None, hi_vals
        if bottom > 0:
            lo_vals, lo_vecs = _lanczos(obj, bottom, "SA", tol=tol, seed=rng)
            vals, vmin = np.concatenate([lo_vals, hi_vals]), _orient(lo_vecs[:, 0])
        report(callback, 2, 2, "Lanczos: smallest eigenvalues done")
        n_bottom = bottom
        trace = trace_err = float("nan")
        if trace_probes > 0:
            est = _hutchinson(obj, trace_probes, rng, 32, None)
            trace, trace_err = est.trace, est.stderr
    loss, g = obj.gradient()
    return HessianSpectrum(vals, _orient(vmax), vmin, method, method == "exact", trace, trace_err, loss,
                           float(g.norm()), P, network.name, obj.data.describe(), n_bottom, time.perf_counter() - t0)


# =================================================================== Hutchinson

@dataclass
class TraceEstimate:
    """Hutchinson's tr H ≈ (1/n) Σ_k v_kᵀ H v_k over Rademacher v_k, with its standard error.

    ``samples`` (n,) are the vᵀHv; ``stderr`` = std(samples, ddof=1)/sqrt(n) (the variance of one
    sample is 2 Σ_{i≠j} H_ij², so the error bar shrinks as 1/sqrt(n)).
    """

    trace: float
    stderr: float
    samples: np.ndarray
    seed: int | None
    stopped_early: bool = False

    @property
    def n_probes(self) -> int:
        return int(self.samples.size)

    def to_frame(self):
        """Probe k, vᵀHv, and the running mean with its running standard error (a convergence plot)."""
        import pandas as pd

        s = self.samples
        k = np.arange(1, s.size + 1)
        mean = np.cumsum(s) / k
        var = np.maximum(np.cumsum(s * s) / k - mean**2, 0.0) * k / np.maximum(k - 1, 1)
        err = np.where(k > 1, np.sqrt(var / k), np.nan)
        return pd.DataFrame({"probe": k, "vHv": s, "running_trace": mean, "running_stderr": err})


def _hutchinson(obj: _Objective, n_probes: int, rng, batch: int, callback: Callback, seed=None) -> TraceEstimate:
    samples = []
    stopped = False
    while len(samples) < n_probes:
        k = min(batch, n_probes - len(samples))
        V = rng.choice(np.array([-1.0, 1.0]), size=(k, obj.P))
        HV = obj.hvp(V).numpy()
        samples.extend(np.einsum("kp,kp->k", V, HV).tolist())
        if report(callback, len(samples), n_probes, f"Hutchinson: {len(samples)}/{n_probes} probes") \
                and len(samples) < n_probes:
            stopped = True
            break
    s = np.asarray(samples)
    err = float(s.std(ddof=1) / math.sqrt(s.size)) if s.size > 1 else float("nan")
    return TraceEstimate(float(s.mean()), err, s, seed, stopped)


@_one_thread
def hutchinson_trace(network: Network, data=None, *, n_probes: int = 100, seed=0, batch: int = 16,
                     callback: Callback = None) -> TraceEstimate:
    """Estimate tr H with ``n_probes`` Rademacher probes (batches of ``batch`` Hessian-vector products)."""
    n_probes = integer("n_probes", n_probes, low=2)
    batch = integer("batch", batch, low=1)
    obj = _objective(network, data)
    return _hutchinson(obj, n_probes, as_generator(seed), batch, callback, _seed_label(seed))


# ============================================================ Hessian surfaces

@_one_thread
def hessian_surface(network: Network, data=None, *, spectrum: HessianSpectrum | None = None, span=None,
                    resolution: int = 31, method: str = "auto", memory_budget=MEMORY_BUDGET,
                    points_per_batch=None, callback: Callback = None) -> LossSurface:
    """L(θ* + α v_max + β v_min) along the unit eigenvectors of λ_max and of the most negative eigenvalue.

    Where λ_min < 0 the surface is a saddle (down along β); where λ_min ≥ 0 the β axis is the
    flattest direction. ``spectrum`` reuses a computed :class:`HessianSpectrum` (else one is
    computed with ``method``). ``span`` defaults to sqrt(8/λ_max) on both axes, where the
    quadratic model ½λ_max α² has risen by 4 nats; α, β are Euclidean distances in θ.
    """
    if spectrum is None:
        spectrum = hessian_spectrum(network, data, method=method, top=1, bottom=1, memory_budget=memory_budget)
    elif not isinstance(spectrum, HessianSpectrum) or spectrum.n_params != network.n_params \
            or spectrum.v_min is None:
        raise expected("spectrum", f"a HessianSpectrum of this network ({network.n_params} parameters) with "
                       "both ends (bottom >= 1)", type(spectrum).__name__)
    if span is None:
        span = math.sqrt(8.0 / spectrum.lambda_max) if spectrum.lambda_max > 0 else 1.0
    sa, sb = _span("span", span)
    alpha = _axis("resolution", -sa, sa, resolution)
    beta = _axis("resolution", -sb, sb, resolution)
    return _surface(network, data, spectrum.v_max, spectrum.v_min, alpha, beta, "hessian", memory_budget,
                    points_per_batch, callback, eigenvalues=(spectrum.lambda_max, spectrum.lambda_min))


# ==================================================================== sharpness

@dataclass(frozen=True)
class Sharpness:
    """Sharpness of θ*: ``lambda_max`` of H (nats per unit parameter²) and Keskar's ε-sharpness (percent).

    ``epsilon_sharpness`` = 100 (max_{|z_i| ≤ ε(|θ_i|+1)} L(θ+z) - L(θ)) / (1 + L(θ)), maximised by
    L-BFGS-B from z = 0 with ``maxiter`` iterations (a lower bound); NaN when ε was not given.
    """

    lambda_max: float
    epsilon_sharpness: float
    epsilon: float
    loss: float
    accuracy: float
    grad_norm: float


def _epsilon_sharpness(obj: _Objective, epsilon: float, maxiter: int) -> float:
    from scipy.optimize import minimize

    torch = obj.torch
    theta0 = obj.theta0.numpy()
    bound = epsilon * (np.abs(theta0) + 1.0)
    base = float(obj.losses(obj.theta0[None])[0][0])

    def negative(z):
        loss, g = obj.gradient(torch.from_numpy(theta0 + z))
        return -loss, -g.numpy()

    res = minimize(negative, np.zeros_like(theta0), jac=True, method="L-BFGS-B",
                   bounds=np.stack([-bound, bound], axis=1), options={"maxiter": maxiter})
    top = max(-float(res.fun), base)  # the start z = 0 is itself in the box
    return 100.0 * (top - base) / (1.0 + base)


@_one_thread
def sharpness(network: Network, data=None, *, epsilon: float | None = 1e-3, maxiter: int = 10,
              tol: float = 1e-4, seed=0) -> Sharpness:
    """λ_max by Lanczos (k = 1, relative tolerance ``tol``) and, if ``epsilon`` is given, Keskar's ε-sharpness."""
    maxiter = integer("maxiter", maxiter, low=1)
    tol = positive("tol", tol)
    eps = float("nan") if epsilon is None else positive("epsilon", epsilon)
    obj = _objective(network, data)
    if obj.P < 10:  # ARPACK needs a Krylov space larger than k; tiny nets get the exact answer
        lam = float(np.linalg.eigvalsh(_hessian(obj, MEMORY_BUDGET, None))[-1])
    else:
        lam = float(_lanczos(obj, 1, "LA", tol=tol, seed=seed)[0][-1])
    phi = float("nan") if epsilon is None else _epsilon_sharpness(obj, eps, maxiter)
    loss, acc = obj.losses(obj.theta0[None])
    return Sharpness(lam, phi, eps, float(loss[0]), float(acc[0]), float(obj.gradient()[1].norm()))


@_one_thread
def zoo_sharpness(paths, *, n_samples: int | None = None, epsilon: float | None = 1e-3, maxiter: int = 10,
                  tol: float = 1e-4, seed=0, callback: Callback = None):
    """Sharpness against test accuracy across model files: one row per model, a pandas DataFrame.

    Each model's loss is measured on the training split its card names (a seeded subset of
    ``n_samples`` examples if given). Every path and card is checked before any work (a model
    without data raises EngineError). Columns: name, dataset, widths, n_params, epochs,
    test_accuracy (from the card), train_loss, train_accuracy, lambda_max, epsilon_sharpness,
    grad_norm, seconds. ``df.attrs["stopped_early"]`` is True when ``callback`` stopped the sweep.
    """
    import pandas as pd

    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise expected("paths", "at least one model file", "an empty list")
    nets = [Network.load(p) for p in paths]
    shared: dict = {}  # models trained on the same split share one LossData
    datas = []
    for net in nets:  # fail before any work: every model must carry its data
        key = (net.card.get("dataset"), repr(sorted((net.card.get("dataset_info") or {}).items())), net.widths[0])
        if key not in shared:
            shared[key] = loss_data(net, n_samples=n_samples, seed=seed)
        datas.append(loss_data(net, shared[key]))
    rows = []
    stopped = False
    for i, (net, data) in enumerate(zip(nets, datas)):
        t0 = time.perf_counter()
        s = sharpness(net, data, epsilon=epsilon, maxiter=maxiter, tol=tol, seed=seed)
        rows.append({"name": net.name, "dataset": net.card.get("dataset"),
                     "widths": "-".join(map(str, net.widths)), "n_params": net.n_params,
                     "epochs": net.card.get("epochs"), "test_accuracy": net.card.get("test_accuracy", np.nan),
                     "train_loss": s.loss, "train_accuracy": s.accuracy, "lambda_max": s.lambda_max,
                     "epsilon_sharpness": s.epsilon_sharpness, "grad_norm": s.grad_norm,
                     "seconds": time.perf_counter() - t0})
        if report(callback, i + 1, len(nets), f"{net.name}: λ_max = {s.lambda_max:.3g}", rows[-1]) \
                and i + 1 < len(nets):
            stopped = True
            break
    df = pd.DataFrame(rows)
    df.attrs["stopped_early"] = stopped
    df.attrs["epsilon"] = epsilon
    return df


# ========================================================================== CLI

def _model(ref: str) -> tuple[Network, str]:
    """A model file path, or the name of a zoo model."""
    path = Path(ref)
    if path.suffix == ".safetensors" or path.exists():
        return Network.load(path), str(path)
    from .zoo import ZOO_DIR, load_zoo_model

    return load_zoo_model(ref), str(ZOO_DIR / f"{ref}.safetensors")


def _bar_callback(bar):
    def callback(p):
        bar.total = p.total
        bar.n = p.done
        bar.set_postfix_str(p.message[:48])
        bar.refresh()

    return callback


def cli(argv=None) -> int:
    """``python -m engine landscape {sharpness,spectrum,surface} ...``: tables as CSV on stdout or --out."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m engine landscape", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_sh = sub.add_parser("sharpness", help="λ_max and ε-sharpness against test accuracy (default: the whole zoo)")
    p_sh.add_argument("models", nargs="*", help="model files or zoo names (default: every zoo model)")
    p_sh.add_argument("--epsilon", type=float, default=1e-3)
    p_sp = sub.add_parser("spectrum", help="the Hessian's eigenvalues at a model")
    p_sp.add_argument("model")
    p_sp.add_argument("--method", default="auto", choices=("auto", "exact", "lanczos"))
    p_sp.add_argument("--top", type=int, default=5)
    p_su = sub.add_parser("surface", help="a 2D loss surface (random filter-normalised or Hessian directions)")
    p_su.add_argument("model")
    p_su.add_argument("--kind", default="random", choices=("random", "hessian"))
    p_su.add_argument("--resolution", type=int, default=31)
    p_su.add_argument("--span", type=float, default=None, help="half-width (random: 1; hessian: sqrt(8/λ_max))")
    p_su.add_argument("--seed", type=int, default=0)
    for p in (p_sh, p_sp, p_su):
        p.add_argument("--n-samples", type=int, default=None, help="a seeded subset of the training examples")
        p.add_argument("--out", default=None, help="CSV file (default: stdout)")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    from tqdm import tqdm

    bar = None if args.quiet else tqdm(total=1, file=sys.stderr, desc=args.command)
    callback = None if bar is None else _bar_callback(bar)
    try:
        if args.command == "sharpness":
            if args.models:
                paths = [_model(m)[1] for m in args.models]
            else:
                from .zoo import list_zoo

                paths = [c["path"] for c in list_zoo()]
            frame = zoo_sharpness(paths, n_samples=args.n_samples, epsilon=args.epsilon, callback=callback)
        else:
            net, _ = _model(args.model)
            data = loss_data(net, n_samples=args.n_samples)
            if args.command == "spectrum":
                frame = hessian_spectrum(net, data, method=args.method, top=args.top, callback=callback).to_frame()
            elif args.kind == "hessian":
                frame = hessian_surface(net, data, span=args.span, resolution=args.resolution,
                                        callback=callback).to_frame()
            else:
                frame = loss_surface(net, data, seed=args.seed, span=1.0 if args.span is None else args.span,
                                     resolution=args.resolution, callback=callback).to_frame()
    except EngineError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    frame.to_csv(args.out if args.out else sys.stdout, index=False)
    return 0

