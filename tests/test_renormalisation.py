"""Renormalisation along depth: the exact linear decimation against numerical composition and
sampling, the scalar RG flow's invariants and fixed points, ν, and the kernel-map analogue.

Sampling error model (``sample_chain``): the output of a linear Gaussian chain at a fixed input
is Gaussian, so the sample mean has error √(Σ_ii/n) and the sample covariance
Var(S_ij) = (Σ_ij² + Σ_ii Σ_jj)/(n - 1); all entries within 4.5 standard errors (a handful
of correlated entries: failure probability ~1e-4 if the decimation is right).
"""
import numpy as np
import pytest

from engine import renormalisation as rg
from engine import signal_propagation as sp
from engine.errors import EngineError


def _random_layers(rng, n0=3, n1=5, n2=4):
    W1, W2 = rng.normal(size=(n1, n0)), rng.normal(size=(n2, n1)) / np.sqrt(n1)
    A = rng.normal(size=(n2, n2))
    return W1, rng.normal(size=n1), 0.3, W2, rng.normal(size=n2), A @ A.T / n2 + 0.1 * np.eye(n2)


def test_composing_two_random_linear_layers_matches_the_decimation(rng):
    W1, b1, S1, W2, b2, S2 = _random_layers(rng)
    x = rng.normal(size=3)
    s = rg.sample_chain(W1, b1, S1, W2, b2, S2, x, n_samples=40000, seed=2)
    np.testing.assert_allclose(s.W_measured, W2 @ W1, atol=1e-12)
    np.testing.assert_allclose(s.b_measured, W2 @ b1 + b2, atol=1e-12)
    np.testing.assert_allclose(s.decimated.Sigma, S2 + W2 @ (S1 * np.eye(5)) @ W2.T, rtol=1e-14)
    assert s.max_z < 4.5
    assert len(s.to_frame()) == 16


def test_sampling_detects_a_wrong_decimation(rng):
    """The check has power: dropping the propagated noise W₂Σ₁W₂ᵀ is caught."""
    W1, b1, S1, W2, b2, S2 = _random_layers(rng)
    s = rg.sample_chain(W1, b1, S1, W2, b2, S2, np.zeros(3), n_samples=40000, seed=3)
    wrong = np.abs(s.cov - S2) / s.cov_err
    assert wrong.max() > 10


def test_decimation_is_associative_and_scalar_chain_matches_rg_step():
    w, b, T = 0.8, 0.3, 0.05
    layer = rg.GaussianLayer(np.array([[w]]), np.array([b]), np.array([[T]]))
    for k in range(1, 5):
        layer = rg.decimate(layer.W, layer.b, layer.Sigma, layer.W, layer.b, layer.Sigma)
        w, b, T = (float(v) for v in rg.rg_step(w, b, T))
        assert (layer.W[0, 0], layer.b[0], layer.Sigma[0, 0]) == pytest.approx((w, b, T), rel=1e-13)
    r = np.random.default_rng(0)
    L = [(r.normal(size=(3, 3)), r.normal(size=3), 0.1 * (k + 1)) for k in range(3)]
    left = rg.decimate(*rg.decimate(*L[0], *L[1]).__dict__.values(), *L[2])
    right = rg.decimate(*L[0], *rg.decimate(*L[1], *L[2]).__dict__.values())
    for a, b_ in zip(left.__dict__.values(), right.__dict__.values()):
        np.testing.assert_allclose(a, b_, rtol=1e-12, atol=1e-12)


def test_scalar_flow_fixed_points_and_invariants():
    f = rg.scalar_flow(0.9, 0.1, 0.01, 8)
    np.testing.assert_allclose(f.xi[1:], f.xi[:-1] / 2, rtol=1e-10)  # lengths halve per step
    np.testing.assert_allclose(f.T / (1 - f.w ** 2), 0.01 / (1 - 0.81), rtol=1e-12)  # stationary variance
    np.testing.assert_array_equal(f.layers, 2.0 ** np.arange(9))
    crit = rg.scalar_flow(1.0, 0.2, 0.5, 5)  # w* = 1: noise and bias grow linearly with the layer count
    np.testing.assert_allclose(crit.w, 1.0)
    np.testing.assert_allclose(crit.T, 0.5 * crit.layers)
    np.testing.assert_allclose(crit.b, 0.2 * crit.layers)
    assert np.all(np.isinf(crit.xi))
    stable = rg.scalar_flow(0.0, 0.2, 0.5, 3)
    assert stable.w.tolist() == [0.0] * 4 and stable.T.tolist() == [0.5] * 4
    assert rg.scalar_flow(1.1, 0.0, 0.1, 40).w[-1] == np.inf  # |w| > 1 runs away
    assert rg.scalar_flow(-1.0, 0.0, 0.1, 1).w[-1] == 1.0  # w = -1 maps onto the critical point


def test_flow_field_vanishes_at_the_fixed_points_and_follows_the_invariant():
    ff = rg.flow_field(np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.2]))
    assert ff.w.shape == (2, 3)
    assert ff.dw[:, 0].tolist() == [0.0, 0.0] and ff.dT[:, 0].tolist() == [0.0, 0.0]  # w* = 0, any T
    assert ff.dw[0, 2] == 0.0 and ff.dT[0, 2] == 0.0  # (1, 0)
    np.testing.assert_allclose(ff.dw[:, 1], -0.25)
    w_after, t_after = (ff.w + ff.dw)[:, :2], (ff.T + ff.dT)[:, :2]  # the |w| < 1 columns
    np.testing.assert_allclose(t_after / (1 - w_after ** 2), ff.invariant[:, :2], rtol=1e-12)
    assert np.all(np.isinf(ff.invariant[:, 2]))
    assert len(ff.to_frame()) == 6


def test_correlation_length_and_nu():
    assert rg.correlation_length(0.0) == 0.0 and np.isinf(rg.correlation_length(-1.0))
    assert rg.correlation_length(np.exp(-0.5)) == pytest.approx(2.0)
    eps = np.geomspace(1e-4, 1e-2, 9)
    fit = rg.fit_nu(1 - eps)
    # ξ = -1/ln(1 - ε) = 1/ε - 1/2 + O(ε): the local slope is ν = 1 + ε/2 + ..., so 1 <= ν <= 1 + max ε
    assert 1.0 <= fit.nu <= 1.0 + eps.max() and 0 < fit.nu_err < 1e-3
    np.testing.assert_allclose(fit.to_frame()["fit"], fit.log_xi, atol=5e-3)  # the O(ε) curvature
    far = rg.fit_nu(1 - np.geomspace(0.05, 0.5, 9))
    assert far.nu > fit.nu  # further from w = 1 the corrections grow


def test_kernel_depth_flow_is_the_signal_propagation_flow():
    kf = rg.kernel_depth_flow("tanh", 1.5, 0.05, 64, c0=[0.0, 0.5])
    flow = sp.depth_flow("tanh", 1.5, 0.05, q0=1.0, c0=np.array([0.0, 0.5]), depth=64)
    np.testing.assert_array_equal(kf.c, flow.c)
    np.testing.assert_allclose(kf.rg_chi, kf.fixed.chi_c ** kf.rg_layers, rtol=1e-12)
    assert kf.rg_layers.tolist() == [1, 2, 4, 8, 16, 32, 64]
    assert kf.c.shape == (65, 2) and len(kf.to_frame()) == 130
    # the linear chain's analogue: for linear φ the kernel map is w → the c-map slope χ_c = σ_w²
    lin = rg.kernel_depth_flow("linear", 0.6, 0.1, 8)
    assert lin.fixed.chi_c == pytest.approx(0.6)


@pytest.mark.parametrize("call", [
    lambda: rg.decimate(np.eye(2), np.zeros(2), 0.1, np.eye(3), np.zeros(3), 0.1),
    lambda: rg.decimate(np.eye(2), np.zeros(3), 0.1, np.eye(2), np.zeros(2), 0.1),
    lambda: rg.decimate(np.eye(2), np.zeros(2), -0.1, np.eye(2), np.zeros(2), 0.1),
    lambda: rg.decimate(np.eye(2), np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]), np.eye(2), np.zeros(2), 0.1),
    lambda: rg.decimate(np.eye(2), np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]), np.eye(2), np.zeros(2), 0.1),
    lambda: rg.decimate(np.eye(2), np.zeros(2), np.eye(3), np.eye(2), np.zeros(2), 0.1),
    lambda: rg.sample_chain(np.eye(2), np.zeros(2), 0.1, np.eye(2), np.zeros(2), 0.1, np.zeros(3)),
    lambda: rg.sample_chain(np.eye(2), np.zeros(2), 0.1, np.eye(2), np.zeros(2), 0.1, np.zeros(2), n_samples=1),
    lambda: rg.scalar_flow(0.5, 0.0, -1.0, 3),
    lambda: rg.scalar_flow(0.5, 0.0, 1.0, 100),
    lambda: rg.scalar_flow(float("inf"), 0.0, 1.0, 3),
    lambda: rg.flow_field([0.0, 1.0], [-0.1]),
    lambda: rg.flow_field([], [0.1]),
    lambda: rg.fit_nu([0.5, 1.0, 0.9]),
    lambda: rg.fit_nu([0.5, 0.9]),
    lambda: rg.kernel_depth_flow("tanh", 0.0, 0.0, 8),
    lambda: rg.kernel_depth_flow("tanh", 1.0, 0.0, 0),
    lambda: rg.kernel_depth_flow("cosh", 1.0, 0.0, 8),
])
def test_bad_input_raises_engine_error(call):
    with pytest.raises(EngineError):
        call()
