"""Infinite-width (NNGP) covariance of a random MLP's output as a function of input overlap.

PHYSICS.md sections 6 and 7. For a random MLP with W_ij ~ N(0, C_W/fan_in),
b ~ N(0, C_b), the output over inputs on the sphere |x|² = N0 is a Gaussian field with
covariance N0·ξ(q), q = x·x'/N0:

    K1(q) = C_b + C_W q ;  K_{l+1}(q) = C_b + C_W F_σ(K_l(1), K_l(1), K_l(q)) ;  ξ(q) = K_out(q)
    F_σ(a, b, c) = E[σ(u)σ(v)],  (u, v) ~ N(0, [[a, c], [c, b]])

``depth`` is the number of hidden layers L, so there are L + 1 weight layers and
ξ = K_{L+1} (a linear network gives ξ(q) = C_W^{L+1} q + C_b Σ_{l<=L} C_W^l).

Every covariance object here follows the :class:`Covariance` protocol (``xi``, ``dxi``,
``d2xi``, vectorised over q in [-1, 1]); the spin-glass solver in
:mod:`engine.input_hamiltonian` accepts any such object, e.g. a
:class:`PolynomialMixture` for the mixed p-spin unit cases.

The pair expectation and its c-derivatives (Price's theorem: ∂_c F = E[σ'(u)σ'(v)],
∂²_c F = E[σ''(u)σ''(v)]) are computed per activation:

- closed forms (Cho & Saul 2009 for ReLU; Williams 1997 for erf; sin by
  E[sin u sin v] = e^{-(a+b)/2} sinh c):
  ReLU  F = √(ab)/(2π) [sin θ + (π - θ) cos θ], θ = arccos(c/√(ab)),
        ∂F = (π - θ)/(2π),  ∂²F = 1/(2π √(ab - c²))   (infinite at c = ±√(ab));
  erf   F = (2/π) arcsin(2c / √((1+2a)(1+2b)));
  shaped ReLU (slopes s± = 1 ± c_s/√L) by F = (s₊-s₋)² R(c) + s₊s₋ c from the ReLU R.
- tanh (and sigmoid, shaped tanh by rescaling): **(choice, not the spec's Gauss-Hermite)**
  a Gaussian scale mixture. The logistic distribution is a normal scale mixture whose
  scale is twice a Kolmogorov-distributed variable (Andrews & Mallows 1974; Stefanski,
  Stat. Prob. Lett. 11, 69 (1991)), which gives the exact identity
  tanh(x) = E_K[erf(x / (√2 K))], K ~ Kolmogorov, and with the erf formula
      F_tanh(a, b, c) = E_{K,K'}[(2/π) arcsin(c / √((K² + a)(K'² + b)))].
  The integrand is smooth in K, K' for every a, b, c, so a 20-node Gauss rule for the
  Kolmogorov law (built once by the discretised Stieltjes procedure, Gautschi 2004)
  reproduces tanh to 1.2e-10, tanh' to 1.2e-9 and tanh'' to 1.2e-8 uniformly on the real
  line, so F, ∂F, ∂²F carry errors of that size for every variance.
  Plain 2-D Gauss-Hermite in the standardised variables converges slowly once
  √a ≳ 1 (tanh(√a z) is step-like on the node spacing: ~1e-4 error at a = 7 with 96²
  nodes), which is why it is kept only as the cross-check ``method="quadrature"``
  (``pair_expectation``), and as the tests' oracle at small variances.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numba import njit
from numpy.polynomial.legendre import leggauss
from scipy import special

from .errors import EngineError, expected
from .random import as_generator
from .validation import choice, finite_array, integer, positive, real


class Covariance(Protocol):
    """ξ(q) and its first two derivatives, vectorised over q (float or array)."""

    def xi(self, q): ...

    def dxi(self, q): ...

    def d2xi(self, q): ...


@dataclass(frozen=True)
class PolynomialMixture:
    """ξ(q) = Σ_p c_p q^p (a mixed p-spin model); ``coefficients[p]`` is c_p, p = 0, 1, 2, ..."""

    coefficients: tuple

    def __post_init__(self):
        c = finite_array("coefficients", self.coefficients, ndim=1)
        if c.size == 0 or np.any(c < 0):
            raise expected("coefficients", "non-empty and all >= 0 (a covariance)", list(c))
        object.__setattr__(self, "coefficients", tuple(float(x) for x in c))

    def _poly(self, order):
        p = np.polynomial.Polynomial(self.coefficients)
        return p.deriv(order) if order else p

    def xi(self, q):
        return self._poly(0)(np.asarray(q, dtype=float))

    def dxi(self, q):
        return self._poly(1)(np.asarray(q, dtype=float))

    def d2xi(self, q):
        return self._poly(2)(np.asarray(q, dtype=float))


def _values(name, x) -> np.ndarray:
    """A finite float array of the same shape as ``x`` (0-d for a scalar)."""
    return finite_array(name, x).reshape(np.shape(x))


# ---------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------

#: Activations with a kernel map. ``shaped_*`` are φ_L(x) = √L tanh(x/√L) and the ReLU with
#: slopes 1 ± c/√L (Li, Nica & Roy 2022); L is ``Activation.scale`` (by default the depth).
ACTIVATIONS = ("linear", "tanh", "relu", "sin", "erf", "sigmoid", "shaped_tanh", "shaped_relu")
SHAPED = ("shaped_tanh", "shaped_relu")
#: Activations with F(a, a, a) = κ a (positively homogeneous of degree 1): κ is exact and
#: the q-map is linear, so fixed points are in closed form.
HOMOGENEOUS = ("linear", "relu", "shaped_relu")

#: Nodes of the Gauss rule for the Kolmogorov scale mixture (see the module docstring).
MIXTURE_NODES = 20


@dataclass(frozen=True)
class Activation:
    """An activation with its kernel map.

    ``name`` is one of :data:`ACTIVATIONS`; ``scale`` is L of the shaped variants
    (φ_L(x) = √L tanh(x/√L); ReLU slopes s± = 1 ± slope/√L), ignored otherwise;
    ``slope`` is c of the shaped ReLU. Plain activations are built from their name by
    :func:`as_activation`.
    """

    name: str
    scale: float = 1.0
    slope: float = 1.0

    def __post_init__(self):
        choice("activation", self.name, ACTIVATIONS)
        object.__setattr__(self, "scale", positive("scale", self.scale))
        object.__setattr__(self, "slope", real("slope", self.slope))

    # ------------------------------------------------------------------ description
    @property
    def label(self) -> str:
        if self.name == "shaped_tanh":
            return f"shaped tanh (L={self.scale:g})"
        if self.name == "shaped_relu":
            return f"shaped ReLU (L={self.scale:g}, c={self.slope:g})"
        return self.name

    @property
    def slopes(self) -> tuple[float, float]:
        """(s₊, s₋): the shaped ReLU's slopes for x > 0 and x < 0 (ReLU: (1, 0), linear: (1, 1))."""
        if self.name == "relu":
            return 1.0, 0.0
        if self.name == "linear":
            return 1.0, 1.0
        if self.name == "shaped_relu":
            d = self.slope / np.sqrt(self.scale)
            return 1.0 + d, 1.0 - d
        raise EngineError(f"`activation` {self.name!r} is not piecewise linear")

    @property
    def homogeneous(self) -> bool:
        """True when σ(λx) = λσ(x) for λ > 0, so E[σ(√q z)²] = κ q exactly."""
        return self.name in HOMOGENEOUS

    @property
    def odd(self) -> bool:
        """True when σ(-x) = -σ(x)."""
        return self.name in ("linear", "tanh", "sin", "erf", "shaped_tanh") or (
            self.name == "shaped_relu" and self.slope == 0.0)

    @property
    def kappa(self) -> float:
        """κ = E[σ(z)²] = E[σ'(z)²] for a homogeneous activation ((s₊² + s₋²)/2)."""
        sp, sm = self.slopes
        return 0.5 * (sp * sp + sm * sm)

    @property
    def max_square(self) -> float:
        """sup_x σ(x)² for a bounded activation (inf otherwise): bounds the q-map's fixed point."""
        return {"tanh": 1.0, "erf": 1.0, "sin": 1.0, "sigmoid": 1.0}.get(
            self.name, self.scale if self.name == "shaped_tanh" else np.inf)

    # ------------------------------------------------------------------ pointwise
    def __call__(self, x):
        """σ(x) elementwise."""
        return self.derivative(x, 0)

    def derivative(self, x, order: int = 1):
        """σ^(order)(x) elementwise, order 0, 1 or 2 (the ReLU's δ is returned as 0)."""
        x = np.asarray(x, dtype=float)
        n = self.name
        if n in ("tanh", "shaped_tanh"):
            s = np.sqrt(self.scale) if n == "shaped_tanh" else 1.0
            t = np.tanh(x / s)
            return (s * t, 1.0 - t * t, -2.0 * t * (1.0 - t * t) / s)[order]
        if n == "sigmoid":
            e = special.expit(x)
            return (e, e * (1 - e), e * (1 - e) * (1 - 2 * e))[order]
        if n == "sin":
            return (np.sin(x), np.cos(x), -np.sin(x))[order]
        if n == "erf":
            g = 2.0 / np.sqrt(np.pi) * np.exp(-x * x)
            return (special.erf(x), g, -2.0 * x * g)[order]
        sp, sm = self.slopes
        if order == 0:
            return np.where(x > 0, sp * x, sm * x)
        if order == 1:
            return np.where(x > 0, sp, sm)
        return np.zeros_like(x)

    # ------------------------------------------------------------------ kernel map
    def pair(self, a, b, c, order: int = 2):
        """(F, ∂_c F, ∂²_c F) at (a, b, c), broadcast; entries above ``order`` are None.

        F(a, b, c) = E[σ(u)σ(v)], (u, v) ~ N(0, [[a, c], [c, b]]); no validation (see
        :func:`pair_expectation` for the checked public version).
        """
        a, b, c = np.broadcast_arrays(*(np.asarray(t, dtype=float) for t in (a, b, c)))
        n = self.name
        if n == "linear":
            return c.copy(), np.ones_like(c), np.zeros_like(c) if order >= 2 else None
        if n in ("relu", "shaped_relu"):
            return _shaped_relu_pair(*self.slopes, a, b, c, order)
        if n == "sin":  # e^{-(a+b)/2} sinh c, written with exponents <= 0 (|c| <= (a+b)/2)
            ep, em = 0.5 * np.exp(c - 0.5 * (a + b)), 0.5 * np.exp(-c - 0.5 * (a + b))
            return ep - em, ep + em if order >= 1 else None, ep - em if order >= 2 else None
        if n == "erf":
            return _erf_pair(a, b, c, order)
        # tanh-type: σ(x) = α + γ tanh(x/s), so F = α² + γ² F_tanh(a/s², b/s², c/s²)
        # (E tanh = 0 kills the cross terms); each c-derivative brings 1/s².
        alpha, gamma, s2 = self._tanh_affine()
        f, f1, f2 = _tanh_pair(a / s2, b / s2, c / s2, order)
        g2 = gamma * gamma
        return (alpha * alpha + g2 * f, g2 * f1 / s2 if f1 is not None else None,
                g2 * f2 / (s2 * s2) if f2 is not None else None)

    def diagonal(self, a):
        """(V(a), V'(a), χ(a)) on the diagonal c = a = b, broadcast over ``a`` >= 0.

        V(a) = E[σ(√a z)²] = F(a, a, a) (the q-map before its affine part),
        V'(a) = E[σ'(√a z)²] + E[σ(√a z)σ''(√a z)] (heat equation), χ(a) = E[σ'(√a z)²] = ∂_c F(a, a, a).
        """
        a = np.asarray(a, dtype=float)
        n = self.name
        if n in HOMOGENEOUS:
            k = np.full_like(a, self.kappa)
            return k * a, k, k.copy()
        if n == "sin":
            e = np.exp(-2.0 * a)
            return 0.5 * (1.0 - e), e, 0.5 * (1.0 + e)
        if n == "erf":
            return (2.0 / np.pi * np.arcsin(2.0 * a / (1.0 + 2.0 * a)),
                    4.0 / np.pi / ((1.0 + 2.0 * a) * np.sqrt(1.0 + 4.0 * a)), 4.0 / np.pi / np.sqrt(1.0 + 4.0 * a))
        alpha, gamma, s2 = self._tanh_affine()
        v, dv, chi = _tanh_diagonal(a / s2)
        g2 = gamma * gamma
        return alpha * alpha + g2 * v, g2 / s2 * dv, g2 / s2 * chi

    def variance(self, a):
        """V(a) = E[σ(√a z)²] = F(a, a, a)."""
        return self.diagonal(a)[0]

    def variance_slope(self, a):
        """V'(a) = d/da E[σ(√a z)²]."""
        return self.diagonal(a)[1]

    def _tanh_affine(self):
        """(α, γ, s²) with σ(x) = α + γ tanh(x / s)."""
        if self.name == "tanh":
            return 0.0, 1.0, 1.0
        if self.name == "shaped_tanh":
            return 0.0, np.sqrt(self.scale), self.scale
        if self.name == "sigmoid":  # expit(x) = (1 + tanh(x/2)) / 2
            return 0.5, 0.5, 4.0
        raise AssertionError(self.name)


def as_activation(activation, *, depth: int | None = None) -> Activation:
    """An :class:`Activation` from a name or an ``Activation``.

    ``"shaped_tanh"`` / ``"shaped_relu"`` given by name take L = ``depth`` (the number of
    hidden layers), which must then be given; to choose L yourself pass
    ``Activation("shaped_tanh", scale=L)``.
    """
    if isinstance(activation, Activation):
        return activation
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise expected("activation", f"one of {list(ACTIVATIONS)} or an nngp.Activation", activation)
    if activation in SHAPED:
        if depth is None:
            raise expected("activation", f"an nngp.Activation({activation!r}, scale=L) here (no depth to take L "
                           "from)", activation)
        return Activation(activation, scale=float(depth))
    return Activation(activation)


# ---------------------------------------------------------------------------------------------
# Closed forms
# ---------------------------------------------------------------------------------------------

def _relu_pair(a, b, c, order):
    """E[relu(u)relu(v)] and its c-derivatives (Cho & Saul 2009)."""
    ab = np.sqrt(a * b)
    rho = np.clip(np.divide(c, ab, out=np.zeros_like(c), where=ab > 0), -1.0, 1.0)
    theta = np.arccos(rho)
    f = ab / (2 * np.pi) * (np.sqrt(1.0 - rho * rho) + (np.pi - theta) * rho)
    f1 = (np.pi - theta) / (2 * np.pi) if order >= 1 else None
    f2 = None
    if order >= 2:
        gap = np.maximum(a * b - c * c, 0.0)
        with np.errstate(divide="ignore"):
            f2 = 1.0 / (2 * np.pi * np.sqrt(gap))
    return f, f1, f2


def _shaped_relu_pair(sp, sm, a, b, c, order):
    """σ = s₊ relu(x) - s₋ relu(-x) = (s₊ - s₋) relu(x) + s₋ x, so with Stein's E[relu(u) v] = c/2
    F = (s₊-s₋)² R(a,b,c) + s₊ s₋ c, F' = (s₊-s₋)² R' + s₊ s₋, F'' = (s₊-s₋)² R''."""
    d2 = (sp - sm) ** 2
    lin = sp * sm
    f, f1, f2 = _relu_pair(a, b, c, order)
    return (d2 * f + lin * c, None if f1 is None else d2 * f1 + lin, None if f2 is None else d2 * f2)


def _erf_pair(a, b, c, order):
    """E[erf(u)erf(v)] = (2/π) arcsin(2c/√((1+2a)(1+2b))) (Williams 1997) and its c-derivatives."""
    d2 = (1.0 + 2.0 * a) * (1.0 + 2.0 * b)
    gap = np.maximum(d2 - 4.0 * c * c, 1e-300)  # > 0 always: d2 - 4c² >= 1 + 2a + 2b
    f = 2.0 / np.pi * np.arcsin(np.clip(2.0 * c / np.sqrt(d2), -1.0, 1.0))
    f1 = 4.0 / np.pi / np.sqrt(gap) if order >= 1 else None
    f2 = 16.0 / np.pi * c / gap ** 1.5 if order >= 2 else None
    return f, f1, f2


# ---------------------------------------------------------------------------------------------
# tanh through the Kolmogorov scale mixture
# ---------------------------------------------------------------------------------------------

def kolmogorov_density(k):
    """Density of the Kolmogorov distribution (sup of a Brownian bridge), k >= 0.

    f(k) = 8k Σ_{j>=1} (-1)^{j-1} j² e^{-2j²k²} for k >= 1 and the Jacobi-transformed
    series (√(2π)/k) Σ_j e^{-(2j-1)²π²/(8k²)} differentiated for k < 1 (both converge fast there).
    """
    k = np.asarray(k, dtype=float)
    out = np.zeros_like(k)
    j = np.arange(1, 30, dtype=float).reshape((-1,) + (1,) * k.ndim)
    lo = (k > 0) & (k < 1.0)
    kl = np.where(lo, k, 1.0)
    m = (2 * j - 1) ** 2 * np.pi ** 2 / 8
    small = np.sqrt(2 * np.pi) * np.sum(np.exp(-m / kl ** 2) * (2 * m / kl ** 4 - 1 / kl ** 2), axis=0)
    kh = np.where(lo, 1.0, k)
    large = 8 * kh * np.sum((-1.0) ** (j - 1) * j ** 2 * np.exp(-2 * j ** 2 * kh ** 2), axis=0)
    out[...] = np.where(lo, small, np.where(k >= 1.0, large, 0.0))
    return out


@functools.lru_cache(maxsize=4)
def kolmogorov_rule(n: int = MIXTURE_NODES) -> tuple[np.ndarray, np.ndarray]:
    """n-node Gauss rule (nodes K_j, weights w_j) for the Kolmogorov distribution.

    Built by the discretised Stieltjes procedure (Gautschi, "Orthogonal Polynomials",
    2004, section 2.2): the law is discretised by composite 20-point Gauss-Legendre on
    [0.02, 7] (the mass outside is below 1e-40), the three-term recurrence of its
    orthogonal polynomials is computed on that discrete measure and the Jacobi matrix's
    eigen-decomposition gives the rule (Golub-Welsch). Cached; a few ms.
    """
    xg, wg = leggauss(20)
    edges = np.linspace(0.02, 7.0, 201)
    half = 0.5 * (edges[1:] - edges[:-1])[:, None]
    x = (0.5 * (edges[1:] + edges[:-1])[:, None] + half * xg).ravel()
    w = (half * wg).ravel() * kolmogorov_density(x)
    w /= w.sum()
    alpha, beta = np.zeros(n), np.zeros(n)
    p_prev, p, norm_prev = np.zeros_like(x), np.ones_like(x), 1.0
    for j in range(n):
        norm = np.sum(w * p * p)
        alpha[j] = np.sum(w * x * p * p) / norm
        beta[j] = norm / norm_prev
        p, p_prev = (x - alpha[j]) * p - (beta[j] if j else 0.0) * p_prev, p
        norm_prev = norm
    jac = np.diag(alpha) + np.diag(np.sqrt(beta[1:]), 1) + np.diag(np.sqrt(beta[1:]), -1)
    nodes, vecs = np.linalg.eigh(jac)
    weights = vecs[0] ** 2
    nodes.flags.writeable = weights.flags.writeable = False  # cached: shared by every caller
    return nodes, weights


@njit(cache=True)
def _tanh_pair_kernel(a, b, c, k2, w, order, f, f1, f2):
    """F_tanh and its c-derivatives at each (a[i], b[i], c[i]) from the Kolmogorov rule (k2 = K², w)."""
    n = k2.size
    for i in range(a.size):
        ai, bi, ci = a[i], b[i], c[i]
        same = ai == bi  # equal variances (every kernel recursion): the (j, k) sum is symmetric
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        for j in range(n):
            da = k2[j] + ai
            for k in range(j if same else 0, n):
                d2 = da * (k2[k] + bi)
                ww = w[j] * w[k] * (2.0 if same and k != j else 1.0)
                s0 += ww * math.asin(ci / math.sqrt(d2))
                if order >= 1:
                    r = 1.0 / math.sqrt(d2 - ci * ci)  # d2 - c² >= K²K'² > 0
                    s1 += ww * r
                    if order >= 2:
                        s2 += ww * ci * r * r * r
        f[i] = 2.0 / math.pi * s0
        f1[i] = 2.0 / math.pi * s1
        f2[i] = 2.0 / math.pi * s2


def _tanh_pair_reference(a, b, c, k2, w):
    """NumPy reference of :func:`_tanh_pair_kernel` (all three orders), shapes (m,) -> 3 × (m,)."""
    d2 = (k2 + a[:, None])[:, :, None] * (k2 + b[:, None])[:, None, :]
    ww = np.outer(w, w)
    cc = c[:, None, None]
    gap = d2 - cc * cc
    return tuple(2 / np.pi * np.sum(ww * t, axis=(1, 2))
                 for t in (np.arcsin(cc / np.sqrt(d2)), 1 / np.sqrt(gap), cc / gap ** 1.5))


@njit(cache=True)
def _tanh_diagonal_kernel(a, k2, w, v, dv, chi):
    """V, V', χ of tanh at each a[i] (see :meth:`Activation.diagonal`); the sum is symmetric in (j, k).

    With D² = (K_j² + a)(K_k² + a) and r = a/D: V = Σ (2/π) arcsin r, χ = Σ (2/π)/√(D² - a²),
    V' = Σ (2/π) r'/√(1 - r²) with r' = 1/D - a(K_j² + K_k² + 2a)/(2D³).
    """
    n = k2.size
    for i in range(a.size):
        ai = a[i]
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        for j in range(n):
            for k in range(j, n):
                ww = w[j] * w[k] * (1.0 if j == k else 2.0)
                d2 = (k2[j] + ai) * (k2[k] + ai)
                d = math.sqrt(d2)
                rg = 1.0 / math.sqrt(d2 - ai * ai)
                s0 += ww * math.asin(ai / d)
                s1 += ww * (1.0 / d - ai * (k2[j] + k2[k] + 2.0 * ai) / (2.0 * d2 * d)) * d * rg
                s2 += ww * rg
        v[i] = 2.0 / math.pi * s0
        dv[i] = 2.0 / math.pi * s1
        chi[i] = 2.0 / math.pi * s2


def _tanh_diagonal_reference(a, k2, w):
    """NumPy reference of :func:`_tanh_diagonal_kernel`, summing over the full (j, k) grid."""
    d2 = (k2 + a[:, None])[:, :, None] * (k2 + a[:, None])[:, None, :]
    ww = np.outer(w, w)
    aa = a[:, None, None]
    d = np.sqrt(d2)
    gap = d2 - aa * aa
    dr = 1 / d - aa * (k2[:, None] + k2[None, :] + 2 * aa) / (2 * d2 * d)
    return tuple(2 / np.pi * np.sum(ww * t, axis=(1, 2)) for t in (np.arcsin(aa / d), dr * d / np.sqrt(gap),
                                                                     1 / np.sqrt(gap)))


def _tanh_pair(a, b, c, order):
    """(F, F', F'') of tanh, broadcast arrays in, same shape out (entries above ``order`` None)."""
    shape = np.shape(a)
    a, b, c = (np.ascontiguousarray(np.ravel(t), dtype=np.float64) for t in (a, b, c))
    k, w = kolmogorov_rule()
    out = [np.empty(a.size) for _ in range(3)]
    _tanh_pair_kernel(a, b, c, k * k, w, order, *out)
    return tuple(o.reshape(shape) if i <= order else None for i, o in enumerate(out))


def _tanh_diagonal(a):
    """(V, V', χ) of tanh, same shape as ``a``."""
    shape = np.shape(a)
    a = np.ascontiguousarray(np.ravel(a), dtype=np.float64)
    k, w = kolmogorov_rule()
    out = [np.empty(a.size) for _ in range(3)]
    _tanh_diagonal_kernel(a, k * k, w, *out)
    return tuple(o.reshape(shape) for o in out)


# ---------------------------------------------------------------------------------------------
# Gauss-Hermite quadrature (any activation; the cross-check)
# ---------------------------------------------------------------------------------------------

def gauss_hermite_pair(activation: Activation, a, b, c, order: int = 0, nodes: int = 64):
    """∂_c^order F(a, b, c) by 2-D Gauss-Hermite quadrature, broadcast over a, b, c.

    u = √a z₁, v = √b (ρ z₁ + √(1-ρ²) z₂), ρ = c/√(ab), with the probabilists' rule for
    z₁, z₂ ~ N(0, 1); the derivatives by Price's theorem as E[σ^(k)(u)σ^(k)(v)]. Exact for
    polynomial σ of degree < nodes; converges slowly when σ varies on a scale much smaller
    than √a (tanh at large a) and is meaningless for the ReLU's δ (order 2).
    """
    x, w = hermegauss(nodes)
    w = w / np.sqrt(2 * np.pi)
    a, b, c = np.broadcast_arrays(*(np.asarray(t, dtype=float) for t in (a, b, c)))
    rho = np.clip(c / np.sqrt(a * b), -1.0, 1.0)[..., None, None]
    sa, sb = np.sqrt(a)[..., None, None], np.sqrt(b)[..., None, None]
    u = sa * x[:, None]
    v = sb * (rho * x[:, None] + np.sqrt(1.0 - rho * rho) * x[None, :])
    g = activation.derivative(u, order) * activation.derivative(v, order)
    return np.sum(g * np.outer(w, w), axis=(-1, -2))


def pair_expectation(activation, a, b, c, *, derivative: int = 0, method: str = "auto", nodes: int = 64):
    """F_σ(a, b, c) = E[σ(u)σ(v)], (u, v) ~ N(0, [[a, c], [c, b]]), or its c-derivative.

    Parameters
    ----------
    activation : a name from :data:`ACTIVATIONS` (shaped ones need an :class:`Activation`) or
        an :class:`Activation`.
    a, b : variances > 0 (broadcast); c : covariance with |c| <= √(ab).
    derivative : 0, 1 or 2 — F, ∂_c F = E[σ'σ'], ∂²_c F = E[σ''σ''] (Price's theorem).
    method : "auto" (closed form or the tanh scale mixture, see the module docstring) or
        "quadrature" (2-D Gauss-Hermite with ``nodes`` nodes per dimension).

    Returns
    -------
    ndarray of the broadcast shape of a, b, c (float64).
    """
    act = as_activation(activation)
    derivative = integer("derivative", derivative, low=0, high=2)
    choice("method", method, ("auto", "quadrature"))
    nodes = integer("nodes", nodes, low=2, high=150)
    a, b, c = np.broadcast_arrays(*(_values(n, v) for n, v in (("a", a), ("b", b), ("c", c))))
    if np.any(a <= 0) or np.any(b <= 0):
        raise expected("a, b", "variances > 0", f"min {min(a.min(), b.min())!r}")
    bound = np.sqrt(a * b)
    if np.any(np.abs(c) > bound * (1 + 1e-12)):
        raise expected("c", "a covariance with |c| <= √(ab)", f"max |c|/√(ab) = {np.max(np.abs(c) / bound)!r}")
    c = np.clip(c, -bound, bound)
    if method == "quadrature":
        return gauss_hermite_pair(act, a, b, c, derivative, nodes)
    return act.pair(a, b, c, derivative)[derivative]


# ---------------------------------------------------------------------------------------------
# The layer recursion
# ---------------------------------------------------------------------------------------------

def kernel_layers(act: Activation, weight_variance: float, bias_variance: float, k_diag, k_cross,
                  n_steps: int, *, derivatives: int = 0):
    """Iterate the kernel map ``n_steps`` times from layer-1 pre-activation kernels.

    K_{l+1}^{diag} = C_b + C_W V(K_l^{diag}),  K_{l+1}^{cross} = C_b + C_W F(K_l^{diag}, K_l^{diag}, K_l^{cross})
    (both inputs of the pair have the same norm). With ``derivatives`` = 1 or 2 the
    derivatives of K^{cross} with respect to K_1^{cross} are carried by the chain rule:
    K'_{l+1} = C_W F'·K'_l,  K''_{l+1} = C_W (F''·K'_l² + F'·K''_l).

    Parameters: k_diag scalar, k_cross array (any shape); no validation (internal).
    Returns ``(diag (n_steps+1,), cross (n_steps+1, *shape), d1, d2)`` with d1, d2 the
    derivative arrays (each of dK_l/dK_1 ... shape as cross) or None.
    """
    kc = np.asarray(k_cross, dtype=float)
    diag = np.empty(n_steps + 1)
    cross = np.empty((n_steps + 1,) + kc.shape)
    d1 = np.empty_like(cross) if derivatives >= 1 else None
    d2 = np.empty_like(cross) if derivatives >= 2 else None
    diag[0], cross[0] = k_diag, kc
    if d1 is not None:
        d1[0] = 1.0
    if d2 is not None:
        d2[0] = 0.0
    for l in range(n_steps):
        a = diag[l]
        # the diagonal is evaluated with the cross entries so that K(q=1) is exactly K^{diag}
        f, f1, f2 = act.pair(a, a, np.append(cross[l].ravel(), a), order=derivatives)
        m = cross[l].size
        diag[l + 1] = bias_variance + weight_variance * f[m]
        cross[l + 1] = bias_variance + weight_variance * f[:m].reshape(kc.shape)
        if d1 is not None:
            g1 = f1[:m].reshape(kc.shape)
            if d2 is not None:
                g2 = f2[:m].reshape(kc.shape)
                with np.errstate(invalid="ignore"):  # ReLU's F'' is infinite at q = ±1 while K'' may be 0
                    d2[l + 1] = weight_variance * (g2 * d1[l] ** 2 + g1 * d2[l])
            d1[l + 1] = weight_variance * g1 * d1[l]
    return diag, cross, d1, d2


@dataclass(frozen=True)
class NNGPCovariance:
    """ξ(q) = K_{L+1}(q) of a random MLP with ``depth`` = L hidden layers (implements :class:`Covariance`).

    K1(q) = C_b + C_W q, K_{l+1}(q) = C_b + C_W F_σ(K_l(1), K_l(1), K_l(q)); ξ' and ξ'' by the chain
    rule through the layers (exact, no finite differences): K'_1 = C_W, K''_1 = 0 and
    K'_{l+1} = C_W F'·K'_l, K''_{l+1} = C_W (F''·K'_l² + F'·K''_l). All methods take q as a float
    or an array with entries in [-1, 1] and return the same shape. For ReLU-type activations
    ξ''(1) is infinite (F'' = 1/(2π√(a² - c²)) diverges at c = a), and ξ''(-1) too when C_b = 0;
    it is returned as inf (the singularity is integrable: ξ' stays finite).
    """

    activation: Activation
    depth: int
    weight_variance: float
    bias_variance: float

    def _q(self, q):
        q = _values("q", q)
        if np.any(np.abs(q) > 1.0):
            raise expected("q", "an overlap in [-1, 1]", f"values in [{q.min()!r}, {q.max()!r}]")
        return q

    def layers(self, q, derivatives: int = 0):
        """Per layer l = 1..L+1: (K_l(1) (L+1,), K_l(q) (L+1, *q.shape), dK_l/dq, d²K_l/dq² or None)."""
        q = self._q(q)
        cw, cb = self.weight_variance, self.bias_variance
        diag, cross, d1, d2 = kernel_layers(self.activation, cw, cb, cb + cw, cb + cw * q, self.depth,
                                            derivatives=derivatives)
        # the first layer is linear in q: dK1/dq = C_W, so every dK_l/dK_1 scales by C_W (C_W² for K'')
        return diag, cross, None if d1 is None else cw * d1, None if d2 is None else cw * cw * d2

    def derivatives(self, q):
        """(ξ(q), ξ'(q), ξ''(q)) in one pass."""
        _, k, d1, d2 = self.layers(q, 2)
        return k[-1], d1[-1], d2[-1]

    def xi(self, q):
        return self.layers(q, 0)[1][-1]

    def dxi(self, q):
        return self.layers(q, 1)[2][-1]

    def d2xi(self, q):
        return self.derivatives(q)[2]

    def to_frame(self, q=None):
        """A table of q, ξ, ξ', ξ'' (default 201 points on [-1, 1])."""
        import pandas as pd

        q = np.linspace(-1, 1, 201) if q is None else self._q(q)
        xi, d1, d2 = self.derivatives(q)
        return pd.DataFrame({"q": q, "xi": xi, "dxi": d1, "d2xi": d2}).assign(
            activation=self.activation.label, depth=self.depth, weight_variance=self.weight_variance,
            bias_variance=self.bias_variance)


def nngp_covariance(activation, depth, weight_variance, bias_variance) -> NNGPCovariance:
    """The NNGP covariance ξ(q) of a random MLP: an :class:`NNGPCovariance`.

    Parameters
    ----------
    activation : a name from :data:`ACTIVATIONS` or an :class:`Activation` (``"shaped_tanh"``
        and ``"shaped_relu"`` by name use L = ``depth``, c = 1).
    depth : number of hidden layers L >= 1 (L + 1 weight layers; ξ = K_{L+1}).
    weight_variance : C_W > 0 (W_ij ~ N(0, C_W / fan_in)).
    bias_variance : C_b >= 0 (b_i ~ N(0, C_b)).
    """
    depth = integer("depth", depth, low=1, high=10_000)
    act = as_activation(activation, depth=depth)
    cw = positive("weight_variance", weight_variance)
    cb = real("bias_variance", bias_variance, low=0.0)
    return NNGPCovariance(act, depth, cw, cb)


# ---------------------------------------------------------------------------------------------
# Monte Carlo over random networks
# ---------------------------------------------------------------------------------------------

SAMPLING_METHODS = ("rows", "weights")


def sample_preactivations(act: Activation, X, depth, width, weight_variance, bias_variance, rng,
                          method="rows"):
    """Pre-activations h_l (m, width), l = 1..depth, of a fresh random MLP applied to inputs X (m, n0).

    ``method="weights"`` draws every W_l ~ N(0, C_W/fan_in) (width × fan_in) and b_l ~ N(0, C_b).
    ``method="rows"`` uses that, given the previous layer's outputs S (m, n), the rows of
    W S^T + b are independent N(0, G) with G = (C_W/n) S S^T + C_b 1 1^T; drawing them from G
    is the same law at m·width instead of width·n numbers per layer (exact, not an
    approximation; the tests check both against each other). Internal; yields each layer.
    """
    s = np.asarray(X, dtype=float)
    for _ in range(depth):
        n_in = s.shape[1]
        if method == "weights":
            w = rng.standard_normal((width, n_in)) * np.sqrt(weight_variance / n_in)
            h = s @ w.T
            if bias_variance > 0:
                h += rng.standard_normal(width) * np.sqrt(bias_variance)
        else:
            # einsum, not BLAS: for m = 2 rows a threaded dot product only waits on its threads
            g = weight_variance / n_in * np.einsum("ik,jk->ij", s, s) + bias_variance
            lam, vec = np.linalg.eigh(g)
            root = vec * np.sqrt(np.clip(lam, 0.0, None))  # G = root @ root.T (G may be singular)
            h = np.einsum("ij,jk->ik", root, rng.standard_normal((s.shape[0], width)))
        yield h
        s = act(h)


@dataclass
class KernelSample:
    """Monte Carlo estimate of ξ(q) over random networks, with its error bar and the theory.

    ``q`` (m,), ``xi_mean`` (m,), ``xi_err`` (m,) = standard error over ``n_networks``
    independent networks, ``xi_theory`` (m,) from :class:`NNGPCovariance`.
    """

    q: np.ndarray
    xi_mean: np.ndarray
    xi_err: np.ndarray
    xi_theory: np.ndarray
    width: int
    n_networks: int
    seed: object = None

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"q": self.q, "xi_mean": self.xi_mean, "xi_err": self.xi_err,
                             "xi_theory": self.xi_theory, "width": self.width, "n_networks": self.n_networks})


def pair_inputs(q0, overlaps, n0, rng):
    """Inputs (1 + m, n0): x_0 and x_k with |x|²/n0 = q0 and x_0·x_k/(n0 q0) = overlaps[k] exactly."""
    u = np.linalg.qr(rng.standard_normal((n0, 2)))[0].T * np.sqrt(n0 * q0)
    ov = np.asarray(overlaps, dtype=float)
    return np.vstack([u[0], ov[:, None] * u[0] + np.sqrt(1 - ov[:, None] ** 2) * u[1]])


def monte_carlo_kernel(activation, depth, weight_variance, bias_variance, q, *, width: int = 1000,
                       n_networks: int = 20, seed=None, method: str = "rows") -> KernelSample:
    """ξ(q) measured on random networks of finite ``width`` (inputs of dimension ``width``).

    For each network, the output covariance is averaged exactly over the last weight
    layer: ξ̂(q) = C_b + C_W (1/N) Σ_i σ(h_i^L(x)) σ(h_i^L(x')), with x·x'/N0 = q, |x|² = N0.
    Error model: the per-network estimates are independent and identically distributed,
    so ``xi_err`` is their standard deviation / √n_networks; the finite-width bias is
    O(1/width) (smaller than the error bar for the defaults).
    """
    depth = integer("depth", depth, low=1, high=1000)
    act = as_activation(activation, depth=depth)
    cw = positive("weight_variance", weight_variance)
    cb = real("bias_variance", bias_variance, low=0.0)
    width = integer("width", width, low=2, high=100_000)
    n_networks = integer("n_networks", n_networks, low=2, high=100_000)
    choice("method", method, SAMPLING_METHODS)
    if method == "weights" and width > 4096:
        raise expected("width", "<= 4096 with method='weights' (use method='rows')", width)
    cov = nngp_covariance(act, depth, cw, cb)
    qs = np.atleast_1d(cov._q(q))
    if qs.ndim != 1:
        raise expected("q", "a number or a 1-d array", f"shape {qs.shape}")
    rng = as_generator(seed)
    est = np.empty((n_networks, qs.size))
    for t in range(n_networks):
        x = pair_inputs(1.0, qs, width, rng)
        *_, h = sample_preactivations(act, x, depth, width, cw, cb, rng, method)
        s = act(h)
        est[t] = cb + cw * np.einsum("ij,j->i", s[1:], s[0]) / width
    return KernelSample(qs, est.mean(0), est.std(0, ddof=1) / np.sqrt(n_networks), cov.xi(qs), width,
                        n_networks, seed if not isinstance(seed, np.random.Generator) else None)


def _warm():
    """Load the numba kernels behind the tanh kernel map (for :mod:`engine.warm`)."""
    nngp_covariance("tanh", 1, 1.0, 0.0).derivatives(np.array([0.5]))
