"""A spectral baseline for "quality without data": heavy-tailed self-regularisation.

Martin & Mahoney (JMLR 22, 165, 2021; Nature Communications 12, 4122, 2021), as the
WeightWatcher tool reports it: for each layer's weight matrix W (n_out × n_in), the
empirical spectral density of the correlation matrix X = WᵀW (its non-zero eigenvalues
are the squared singular values of W, min(n_out, n_in) of them) has a power-law tail
ρ(λ) ~ λ^{-α}. Better-trained layers have smaller α (2 < α < 6 is the "well trained"
range in their papers). The tail is fitted as Clauset, Shalizi & Newman (SIAM Review 51,
661, 2009) do: for every candidate lower cut-off λ_min, the maximum-likelihood exponent
α = 1 + n / Σ ln(λ_i / λ_min) over the n eigenvalues above it, and λ_min is chosen to
minimise the Kolmogorov-Smirnov distance between the empirical and fitted tails.

With fewer than about 50 eigenvalues the fit is noise: such layers are flagged
unreliable (``reliable=False``), and most layers of the lab's small MLPs are.
The overall α of a network is the mean over its layers (WeightWatcher's summary);
means over reliable layers only are reported beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import EngineError, expected
from .validation import finite_array, integer

#: Layers with fewer eigenvalues than this get ``reliable = False``.
MIN_RELIABLE_EIGENVALUES = 50


@dataclass(frozen=True)
class PowerLawFit:
    """Tail fit of one layer's eigenvalue spectrum."""

    alpha: float          # power-law exponent of the density ρ(λ) ~ λ^-α
    lambda_min: float     # lower cut-off of the fitted tail
    n_tail: int           # eigenvalues in the tail
    ks_distance: float    # Kolmogorov-Smirnov distance of the fit on the tail
    n_eigenvalues: int
    lambda_max: float

    @property
    def reliable(self) -> bool:
        return self.n_eigenvalues >= MIN_RELIABLE_EIGENVALUES


def eigenvalues(W) -> np.ndarray:
    """Non-zero eigenvalues of WᵀW (squared singular values of W), ascending."""
    W = finite_array("W", W, ndim=2)
    return np.sort(np.linalg.svd(W, compute_uv=False) ** 2)


def fit_power_law(eigs, *, min_tail: int = 5) -> PowerLawFit:
    """Clauset-Shalizi-Newman fit of a power-law tail to positive values ``eigs``."""
    x = np.sort(finite_array("eigs", eigs, ndim=1))
    x = x[x > 1e-12 * max(x.max(initial=0.0), 1e-300)]
    min_tail = integer("min_tail", min_tail, low=2)
    if x.size < min_tail + 1:
        raise expected("eigs", f"at least {min_tail + 1} positive values for a tail fit", x.size)
    best = None
    logs = np.log(x)
    for k in range(0, x.size - min_tail + 1):  # candidate lambda_min = x[k]
        tail = x[k:]
        n = tail.size
        s = logs[k:].sum() - n * logs[k]
        if s <= 0:
            continue
        alpha = 1.0 + n / s
        emp = np.arange(n) / n                       # empirical CDF just below each point
        fit = 1.0 - (tail / tail[0]) ** (1.0 - alpha)  # fitted CDF
        ks = float(np.max(np.abs(np.concatenate([emp, emp + 1.0 / n]) - np.concatenate([fit, fit]))))
        if best is None or ks < best[3]:
            best = (alpha, tail[0], n, ks)
    if best is None:
        raise expected("eigs", "values that are not all equal", "a degenerate spectrum")
    alpha, lam_min, n, ks = best
    return PowerLawFit(float(alpha), float(lam_min), int(n), float(ks), int(x.size), float(x[-1]))


def layer_alphas(net) -> list[PowerLawFit | None]:
    """One power-law fit per weight layer of ``net`` (an :class:`engine.network.Network`).

    A layer with too few eigenvalues to fit a tail at all (fewer than 6, e.g. a two-class
    output layer) gives ``None``.
    """
    fits = []
    for w in net.weights:
        eigs = eigenvalues(w)
        try:
            fits.append(fit_power_law(eigs))
        except EngineError:
            fits.append(None)
    return fits


def network_alpha(net) -> dict:
    """WeightWatcher-style summary: mean α over the layers that could be fitted, and over reliable ones.

    Keys: ``alpha_mean``, ``alpha_mean_reliable``, ``alpha_weighted`` (mean of α log10 λ_max),
    ``n_alpha_layers`` (layers fitted), ``n_reliable_layers``, ``alpha_layers`` (NaN where a layer
    could not be fitted), ``alpha_layer_eigenvalues``.
    """
    fits = layer_alphas(net)
    alpha = np.array([f.alpha if f is not None else np.nan for f in fits])
    weighted = np.array([f.alpha * np.log10(f.lambda_max) if f is not None else np.nan for f in fits])
    n_eigs = [min(w.shape) for w in net.weights]
    ok = np.isfinite(alpha)
    reliable = ok & (np.array(n_eigs) >= MIN_RELIABLE_EIGENVALUES)
    return {
        "alpha_mean": float(alpha[ok].mean()) if ok.any() else float("nan"),
        "alpha_mean_reliable": float(alpha[reliable].mean()) if reliable.any() else float("nan"),
        "alpha_weighted": float(weighted[ok].mean()) if ok.any() else float("nan"),
        "n_alpha_layers": int(ok.sum()),
        "n_reliable_layers": int(reliable.sum()),
        "alpha_layers": [float(x) for x in alpha],
        "alpha_layer_eigenvalues": n_eigs,
    }
