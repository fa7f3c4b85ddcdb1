"""Renormalisation along depth: the dynamic-neuron chain and its exact decimation for linear layers.

PHYSICS.md section 7.

**The source's formulation** (Lee, Lee & Yi, "Dynamic neurons: a statistical physics approach
for analyzing deep neural networks", arXiv:2410.00396; v2 "Dynamic neuron approach to deep
neural networks: decoupling neurons for renormalization group analysis"). Neurons h^(m)
become integration variables beside weights and biases, the activation being enforced by a
delta function softened into a Gaussian of stiffness κ:

    H = Σ_data (y - h^(M))² + (κ/2β) Σ_{m,data} |h^(m+1) - σ(W^(m) h^(m) + b^(m))|²

a one-dimensional chain along depth with nearest-layer couplings; with equal widths and
activations it is translation invariant in m, so a renormalisation-group (RG) step can
integrate out every other layer. (Its full text was not available to us.)

**This lab's construction** (not from the source; labelled so in the app). For linear σ the
Gaussian factor e^{-(κ/2)|h' - W h - b|²} says h^(m+1) = W h^(m) + b + η, η ~ N(0, Σ) with
Σ = κ⁻¹ I = T·I, and integrating out one layer is exact:

    W' = W₂W₁,   b' = W₂b₁ + b₂,   Σ' = Σ₂ + W₂Σ₁W₂ᵀ

For a translation-invariant scalar chain (W = w, b, Σ = T) one RG step (two layers -> one) is

    w' = w²,   b' = b(1 + w),   T' = T(1 + w²)

with fixed points w* = 0 (ordered, stable: layers decouple) and w* = 1 (critical: the
noise grows linearly with depth, T' = 2T); |w| > 1 runs away. The correlation length along
depth is ξ = -1/ln|w| (so ξ' = ξ/2 under one step: lengths halve), and near w = 1,
ξ ≈ 1/|1 - w| gives ν = 1. The stationary variance T/(1 - w²) of a |w| < 1 chain is
invariant under the step, so RG trajectories in the (w, T) plane run along
T ∝ 1 - w². The nonlinear analogue is the depth flow of the NNGP kernel map
(:func:`kernel_depth_flow`), whose slope χ_c at the fixed point plays the role of w
(composing the map with itself squares it, and ξ_c = -1/ln χ_c).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import expected
from .random import as_generator
from .signal_propagation import FixedPoint, _flow, _flow_args, fixed_point
from .validation import finite_array, integer, real


# ---------------------------------------------------------------------------------------------
# Exact decimation of linear Gaussian layers
# ---------------------------------------------------------------------------------------------

@dataclass
class GaussianLayer:
    """h_out = W h_in + b + η, η ~ N(0, Sigma): ``W`` (n_out, n_in), ``b`` (n_out,), ``Sigma`` (n_out, n_out)."""

    W: np.ndarray
    b: np.ndarray
    Sigma: np.ndarray

    @property
    def temperature(self) -> float:
        """T = trace(Σ)/n_out (= 1/κ when Σ = κ⁻¹ I)."""
        return float(np.trace(self.Sigma) / self.Sigma.shape[0])


def _layer(tag, W, b, Sigma) -> GaussianLayer:
    W = finite_array(f"W{tag}", W, ndim=2)
    b = finite_array(f"b{tag}", b, ndim=1)
    if b.shape[0] != W.shape[0]:
        raise expected(f"b{tag}", f"shape ({W.shape[0]},) to match W{tag} {W.shape}", f"shape {b.shape}")
    if np.ndim(Sigma) == 0:
        Sigma = real(f"Sigma{tag}", Sigma, low=0.0) * np.eye(W.shape[0])
    S = finite_array(f"Sigma{tag}", Sigma, ndim=2)
    if S.shape != (W.shape[0], W.shape[0]):
        raise expected(f"Sigma{tag}", f"a number or shape ({W.shape[0]}, {W.shape[0]})", f"shape {S.shape}")
    if not np.allclose(S, S.T, atol=1e-12 * max(1.0, np.abs(S).max())) or np.linalg.eigvalsh(S).min() < -1e-10 * max(
            1.0, np.abs(S).max()):
        raise expected(f"Sigma{tag}", "a symmetric positive semi-definite covariance", "an invalid matrix")
    return GaussianLayer(W, b, S)


def decimate(W1, b1, Sigma1, W2, b2, Sigma2) -> GaussianLayer:
    """Integrate out the middle layer of two linear Gaussian layers (this lab's construction).

    h₁ = W1 h₀ + b1 + η₁, h₂ = W2 h₁ + b2 + η₂ with η_i ~ N(0, Sigma_i) gives
    h₂ = W' h₀ + b' + η' with W' = W2 W1, b' = W2 b1 + b2, Σ' = Sigma2 + W2 Sigma1 W2ᵀ.
    ``Sigma`` may be a number T (meaning T·I). Shapes: W1 (n1, n0), W2 (n2, n1).
    """
    l1, l2 = _layer("1", W1, b1, Sigma1), _layer("2", W2, b2, Sigma2)
    if l2.W.shape[1] != l1.W.shape[0]:
        raise expected("W2", f"{l1.W.shape[0]} columns (the rows of W1)", f"shape {l2.W.shape}")
    return GaussianLayer(l2.W @ l1.W, l2.W @ l1.b + l2.b, l2.Sigma + l2.W @ l1.Sigma @ l2.W.T)


@dataclass
class ChainSample:
    """Output of a sampled linear Gaussian chain at a fixed input against the decimated layer.

    ``mean`` (n,), ``cov`` (n, n) sampled from ``n_samples`` noise draws, with standard errors
    ``mean_err`` = √(Σ'_ii/n) and ``cov_err``_ij = √((Σ'_ij² + Σ'_ii Σ'_jj)/(n - 1)) (Gaussian
    fourth moments); ``decimated`` the exact :class:`GaussianLayer`, ``x`` the input;
    ``W_measured`` (n, n0) the affine map recovered from noiseless passes.
    """

    x: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    mean_err: np.ndarray
    cov_err: np.ndarray
    W_measured: np.ndarray
    b_measured: np.ndarray
    decimated: GaussianLayer
    n_samples: int

    def to_frame(self):
        """One row per covariance entry (i, j): sampled, exact (decimated) and the standard error."""
        import pandas as pd

        i, j = np.indices(self.cov.shape)
        return pd.DataFrame({"i": i.ravel(), "j": j.ravel(), "sampled": self.cov.ravel(),
                             "decimated": self.decimated.Sigma.ravel(), "error": self.cov_err.ravel()})

    @property
    def max_z(self) -> float:
        """Largest |sampled - exact| / error over the mean and covariance entries."""
        d = self.decimated
        zm = np.abs(self.mean - (d.W @ self.x + d.b)) / self.mean_err
        zc = np.abs(self.cov - d.Sigma) / self.cov_err
        return float(max(zm.max(), zc.max()))


def sample_chain(W1, b1, Sigma1, W2, b2, Sigma2, x, *, n_samples: int = 20000, seed=None) -> ChainSample:
    """Propagate noise numerically through two linear Gaussian layers and compare with :func:`decimate`.

    Draws η₁ ~ N(0, Sigma1), η₂ ~ N(0, Sigma2) ``n_samples`` times, forms
    h₂ = W2 (W1 x + b1 + η₁) + b2 + η₂ layer by layer, and returns its sample mean and covariance with
    their error bars; the composed affine map is measured by noiseless passes of the unit
    vectors (columns of W') and of 0 (b').
    """
    l1, l2 = _layer("1", W1, b1, Sigma1), _layer("2", W2, b2, Sigma2)
    exact = decimate(l1.W, l1.b, l1.Sigma, l2.W, l2.b, l2.Sigma)
    x = finite_array("x", x, ndim=1)
    if x.shape[0] != l1.W.shape[1]:
        raise expected("x", f"{l1.W.shape[1]} entries (the columns of W1)", f"shape {x.shape}")
    n_samples = integer("n_samples", n_samples, low=2, high=10_000_000)
    rng = as_generator(seed)

    def noise(S, n):
        lam, vec = np.linalg.eigh(S)
        return rng.standard_normal((n, S.shape[0])) @ (vec * np.sqrt(np.clip(lam, 0, None))).T

    h1 = (l1.W @ x + l1.b) + noise(l1.Sigma, n_samples)
    h2 = h1 @ l2.W.T + l2.b + noise(l2.Sigma, n_samples)

    def passthrough(v):
        return l2.W @ (l1.W @ v + l1.b) + l2.b

    b_meas = passthrough(np.zeros(x.size))
    W_meas = np.column_stack([passthrough(e) - b_meas for e in np.eye(x.size)])
    S = exact.Sigma
    d = np.diag(S)
    return ChainSample(x, h2.mean(0), np.cov(h2, rowvar=False).reshape(S.shape), np.sqrt(d / n_samples),
                       np.sqrt((S ** 2 + np.outer(d, d)) / (n_samples - 1)), W_meas, b_meas, exact, n_samples)


# ---------------------------------------------------------------------------------------------
# The scalar chain
# ---------------------------------------------------------------------------------------------

def rg_step(w, b, T):
    """One exact decimation of a translation-invariant scalar chain: (w², b(1 + w), T(1 + w²)); broadcast."""
    w, b, T = (np.asarray(t, dtype=float) for t in (w, b, T))
    return w * w, b * (1.0 + w), T * (1.0 + w * w)


@dataclass
class ScalarFlow:
    """RG trajectory of the scalar chain: ``w``, ``b``, ``T`` (steps+1,) and ``layers`` = 2^k original
    layers per renormalised layer; ``xi`` = -1/ln|w| in renormalised layers (ξ_k = ξ_0 / 2^k)."""

    step: np.ndarray
    layers: np.ndarray
    w: np.ndarray
    b: np.ndarray
    T: np.ndarray
    xi: np.ndarray

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"step": self.step, "layers": self.layers, "w": self.w, "b": self.b, "T": self.T,
                             "xi": self.xi})


def scalar_flow(w, b, T, steps) -> ScalarFlow:
    """Iterate :func:`rg_step` ``steps`` times from (w, b, T); T >= 0 is the noise variance 1/κ."""
    w = real("w", w)
    b = real("b", b)
    T = real("T", T, low=0.0)
    steps = integer("steps", steps, low=0, high=64)
    ws, bs, ts = [w], [b], [T]
    with np.errstate(over="ignore", invalid="ignore"):  # |w| > 1 runs away to inf: that is the answer
        for _ in range(steps):
            w, b, T = (float(v) for v in rg_step(w, b, T))
            ws.append(w)
            bs.append(b)
            ts.append(T)
    k = np.arange(steps + 1)
    ws = np.array(ws)
    return ScalarFlow(k, 2.0 ** k, ws, np.array(bs), np.array(ts), correlation_length(ws))


@dataclass
class FlowField:
    """Arrows of one RG step on a (w, T) grid, for a flow diagram.

    ``w``, ``T`` (n_T, n_w) meshgrids; ``dw`` = w² - w, ``dT`` = T w² the displacement of one
    step; ``invariant`` = T/(1 - w²) (constant along trajectories for |w| < 1, inf/negative
    outside); ``fixed_points`` [(w*, T*, kind)]: the line w = 0 (stable; T' = T there) and (1, 0)
    (critical, unstable in w).
    """

    w: np.ndarray
    T: np.ndarray
    dw: np.ndarray
    dT: np.ndarray
    invariant: np.ndarray
    fixed_points: list

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"w": self.w.ravel(), "T": self.T.ravel(), "dw": self.dw.ravel(), "dT": self.dT.ravel(),
                             "invariant": self.invariant.ravel()})


def flow_field(w_grid, T_grid) -> FlowField:
    """The (w, T) displacement field of one scalar RG step; ``w_grid`` (n_w,), ``T_grid`` (n_T,) with T >= 0."""
    wg = finite_array("w_grid", w_grid, ndim=1)
    tg = finite_array("T_grid", T_grid, ndim=1)
    if wg.size == 0 or tg.size == 0 or wg.size * tg.size > 250_000:
        raise expected("w_grid × T_grid", "non-empty with at most 250000 points", f"{wg.size} × {tg.size}")
    if np.any(tg < 0):
        raise expected("T_grid", "noise variances >= 0", float(tg.min()))
    W, T = np.meshgrid(wg, tg)
    w2, _, t2 = rg_step(W, 0.0, T)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(np.abs(W) < 1, T / (1 - W * W), np.inf)
    return FlowField(W, T, w2 - W, t2 - T, inv,
                     [(0.0, None, "stable line: w* = 0, any T (layers decouple)"),
                      (1.0, 0.0, "critical: w* = 1 (noise grows linearly with depth)")])


def correlation_length(w):
    """ξ = -1/ln|w| along depth, in layers: 0 at w = 0, inf at |w| = 1; for |w| > 1 the growth
    length 1/ln|w| (perturbations grow as e^{l/ξ}). Broadcast over ``w``."""
    w = np.abs(np.asarray(w, dtype=float))
    with np.errstate(divide="ignore"):
        lw = np.log(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(w == 1.0, np.inf, np.where(w == 0.0, 0.0, 1.0 / np.abs(lw)))


@dataclass
class NuFit:
    """Least-squares fit log ξ = -ν log|w - 1| + a: ``nu`` with standard error ``nu_err``, the data
    (``log_distance`` = log|w - 1|, ``log_xi``) and the intercept."""

    nu: float
    nu_err: float
    intercept: float
    log_distance: np.ndarray
    log_xi: np.ndarray

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"log_distance": self.log_distance, "log_xi": self.log_xi,
                             "fit": self.intercept - self.nu * self.log_distance})


def fit_nu(ws) -> NuFit:
    """ν from the slope of log ξ(w) against log|w - 1| (ξ ~ |w - 1|^{-ν}); needs >= 3 values w ≠ 0, ±1.

    Standard error from the residuals of the ordinary least-squares line (n - 2 degrees of
    freedom). Points close to w = 1 approach the asymptotic ν = 1; far ones carry the
    corrections of ξ = -1/ln w = 1/(1 - w) - 1/2 + O(1 - w).
    """
    w = finite_array("ws", ws, ndim=1)
    if w.size < 3 or np.any(np.abs(w) == 1) or np.any(w == 0):
        raise expected("ws", "at least 3 couplings w with w ≠ 0, ±1", w.tolist()[:8])
    x = np.log(np.abs(w - 1))
    y = np.log(correlation_length(w))
    if np.ptp(x) == 0:
        raise expected("ws", "at least two distinct |w - 1|", w.tolist()[:8])
    A = np.column_stack([x, np.ones_like(x)])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    dof = x.size - 2
    s2 = float(resid @ resid) / dof if dof > 0 else np.nan
    cov = s2 * np.linalg.inv(A.T @ A)
    return NuFit(float(-coef[0]), float(np.sqrt(cov[0, 0])), float(coef[1]), x, y)


# ---------------------------------------------------------------------------------------------
# The nonlinear analogue: the depth flow of the kernel map
# ---------------------------------------------------------------------------------------------

@dataclass
class KernelFlow:
    """Depth flow of the NNGP kernel map for a fan of input correlations.

    ``layer`` (depth+1,), ``q`` (depth+1,), ``c`` (depth+1, n) for ``c0`` (n,); ``fixed`` the
    :class:`~engine.signal_propagation.FixedPoint`; ``rg_chi`` (k,) = χ_c^{2^k}, the slope of the
    c-map composed 2^k times at c* (the analogue of w -> w²), with ``rg_layers`` = 2^k.
    """

    layer: np.ndarray
    q: np.ndarray
    c: np.ndarray
    c0: np.ndarray
    fixed: FixedPoint
    rg_layers: np.ndarray
    rg_chi: np.ndarray

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"layer": np.repeat(self.layer, self.c0.size), "c0": np.tile(self.c0, self.layer.size),
                             "q": np.repeat(self.q, self.c0.size), "c": self.c.ravel()})


def kernel_depth_flow(activation, weight_variance, bias_variance, depth, *, c0=None, q0: float = 1.0) -> KernelFlow:
    """The kernel map's flow c_l(c_0) through ``depth`` hidden layers (reuses :mod:`engine.signal_propagation`).

    ``c0`` defaults to 11 correlations in [-1, 1]; ``q0`` = |x|²/N0.
    """
    c0 = np.linspace(-1.0, 1.0, 11) if c0 is None else c0
    act, cw, cb, q0, c0, depth = _flow_args(activation, weight_variance, bias_variance, q0, c0, depth)
    c0 = np.atleast_1d(c0)
    if c0.ndim != 1:
        raise expected("c0", "a 1-d array", f"shape {c0.shape}")
    q, c = _flow(act, cw, cb, q0, c0, depth)
    fixed = fixed_point(act, cw, cb)
    k = np.arange(int(np.log2(depth)) + 1)
    with np.errstate(under="ignore", over="ignore"):
        rg = fixed.chi_c ** (2.0 ** k)
    return KernelFlow(np.arange(depth + 1), q, c, c0, fixed, 2 ** k, rg)

