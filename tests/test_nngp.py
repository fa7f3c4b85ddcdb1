"""The NNGP kernel maps: closed forms against quadrature, the tanh scale mixture against its
oracles, derivatives against finite differences, layer recursions against exact cases, and the
kernels against Monte Carlo over random networks.

Monte Carlo error model (``monte_carlo_kernel``): each network gives one estimate of ξ(q),
averaged exactly over its last weight layer; networks are independent, so the mean has
standard error s/√n. The finite-width bias is O(1/width), well below 4 standard errors at
the sizes used, so |mean - ξ| <= 4 SE is a test that fails with probability ~6e-5 per point
if the theory is right (a few points per test are correlated, so ~1e-4 per test).
"""
import numpy as np
import pytest
from scipy import integrate, special

from engine.errors import EngineError
from engine.nngp import (ACTIVATIONS, Activation, NNGPCovariance, PolynomialMixture, _tanh_diagonal_kernel,
                         _tanh_diagonal_reference, _tanh_pair_kernel, _tanh_pair_reference, as_activation,
                         gauss_hermite_pair, kolmogorov_density, kolmogorov_rule, monte_carlo_kernel,
                         nngp_covariance, pair_expectation)

SMOOTH = [Activation(n) for n in ("linear", "tanh", "sin", "erf", "sigmoid")] + [Activation("shaped_tanh", scale=4.0)]
KINKED = [Activation("relu"), Activation("shaped_relu", scale=4.0, slope=1.0)]
ALL = SMOOTH + KINKED
ids = [a.label for a in ALL]


# --------------------------------------------------------------------------- the scale mixture
def test_kolmogorov_rule_is_a_probability_rule_with_the_known_moments():
    k, w = kolmogorov_rule()
    assert np.all(w > 0) and np.all(k > 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    # E K = √(π/2) ln 2, E K² = π²/12 (moments of the Kolmogorov distribution)
    assert w @ k == pytest.approx(np.sqrt(np.pi / 2) * np.log(2), rel=1e-13)
    assert w @ k ** 2 == pytest.approx(np.pi ** 2 / 12, rel=1e-13)
    mass, _ = integrate.quad(kolmogorov_density, 0, 10, limit=200)
    assert mass == pytest.approx(1.0, abs=1e-10)


def test_tanh_is_the_kolmogorov_scale_mixture_of_erf():
    """tanh(x) = E_K[erf(x/(√2 K))] (Stefanski 1991): the identity behind the tanh kernel map."""
    k, w = kolmogorov_rule()
    x = np.linspace(-30, 30, 6001)[:, None]
    s = np.sqrt(2) * k
    assert np.max(np.abs((w * special.erf(x / s)).sum(1) - np.tanh(x[:, 0]))) < 3e-10
    d1 = (w * 2 / np.sqrt(np.pi) / s * np.exp(-(x / s) ** 2)).sum(1)
    assert np.max(np.abs(d1 - 1 / np.cosh(x[:, 0]) ** 2)) < 3e-9


def test_tanh_kernels_match_their_numpy_references(rng):
    k, w = kolmogorov_rule()
    a, b = rng.uniform(0.01, 20, 50), rng.uniform(0.01, 20, 50)
    b[::2] = a[::2]  # the kernel sums half the (j, k) grid when a == b
    c = rng.uniform(-1, 1, 50) * np.sqrt(a * b)
    out = [np.empty(50) for _ in range(3)]
    _tanh_pair_kernel(a, b, c, k * k, w, 2, *out)
    np.testing.assert_allclose(out, _tanh_pair_reference(a, b, c, k * k, w), rtol=1e-12, atol=1e-14)
    _tanh_diagonal_kernel(a, k * k, w, *out)
    np.testing.assert_allclose(out, _tanh_diagonal_reference(a, k * k, w), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("a, rho", [(8.0, 0.0), (8.0, 0.6), (8.0, -0.95), (30.0, 0.9)])
def test_tanh_pair_at_large_variance_matches_adaptive_quadrature(a, rho):
    """Where Gauss-Hermite fails (tanh(√a z) step-like), check F and ∂F by nested adaptive quadrature."""
    c = rho * a
    s = np.sqrt(a * (1 - rho ** 2))

    def inner(u, f):  # E[f(v) | u], v | u ~ N(ρu, a(1-ρ²))
        if s < 1e-12:
            return f(rho * u)
        return integrate.quad(lambda z: f(rho * u + s * z) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi), -12, 12,
                              points=[-rho * u / s], limit=200)[0]

    def outer(f):
        g = lambda u: f(u) * inner(u, f) * np.exp(-u * u / (2 * a)) / np.sqrt(2 * np.pi * a)
        return integrate.quad(g, -12 * np.sqrt(a), 12 * np.sqrt(a), points=[0.0], limit=400)[0]

    sech2 = lambda x: 1 / np.cosh(x) ** 2
    f, f1, _ = Activation("tanh").pair(a, a, c, order=1)
    assert float(f) == pytest.approx(outer(np.tanh), abs=1e-8)
    assert float(f1) == pytest.approx(outer(sech2), abs=1e-8)


def test_tanh_diagonal_matches_one_dimensional_quadrature():
    act = Activation("tanh")
    for a in (0.01, 1.0, 7.0, 50.0):
        gauss = lambda z: np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
        quad = lambda f: integrate.quad(lambda z: f(np.sqrt(a) * z) * gauss(z), -12, 12, points=[0.0], limit=400)[0]
        t = np.tanh
        v, dv, chi = act.diagonal(a)
        assert v == pytest.approx(quad(lambda x: t(x) ** 2), abs=1e-10)
        assert chi == pytest.approx(quad(lambda x: (1 - t(x) ** 2) ** 2), abs=1e-9)
        # V' = E[σ'²] + E[σσ''] (heat equation)
        assert dv == pytest.approx(quad(lambda x: (1 - t(x) ** 2) ** 2 - 2 * t(x) ** 2 * (1 - t(x) ** 2)), abs=1e-9)


# --------------------------------------------------------------------------- closed forms vs quadrature
POINTS = [(0.3, 0.5, 0.2), (1.0, 1.0, -0.7), (0.8, 0.8, 0.8), (1.5, 0.4, -0.77)]


@pytest.mark.parametrize("act", SMOOTH, ids=lambda a: a.label)
@pytest.mark.parametrize("order", [0, 1, 2])
def test_closed_forms_match_gauss_hermite_for_smooth_activations(act, order):
    a, b, c = (np.array(t) for t in zip(*POINTS))
    exact = pair_expectation(act, a, b, c, derivative=order)
    quad = pair_expectation(act, a, b, c, derivative=order, method="quadrature", nodes=120)
    np.testing.assert_allclose(exact, quad, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("act", KINKED, ids=lambda a: a.label)
def test_relu_closed_forms_match_quadrature_to_its_kink_limited_accuracy(act):
    """The kink limits Gauss-Hermite to algebraic convergence: compare F and F' at 1e-2, and check
    the error shrinks with more nodes (so the agreement is not a coincidence)."""
    a, b, c = (np.array(t) for t in zip(*POINTS))
    for order in (0, 1):
        exact = act.pair(a, b, c, order)[order]
        errs = [np.max(np.abs(gauss_hermite_pair(act, a, b, c, order, n) - exact)) for n in (20, 140)]
        assert errs[1] < 2e-2 and errs[1] < errs[0]


def test_relu_second_derivative_is_the_gaussian_density_at_the_origin():
    """∂²F = E[δ(u)δ(v)] = 1/(2π√(ab - c²)), checked against the first derivative by differences."""
    act = Activation("relu")
    a, b, c, h = 1.3, 0.7, 0.2, 1e-5
    fd = (act.pair(a, b, c + h, 1)[1] - act.pair(a, b, c - h, 1)[1]) / (2 * h)
    assert act.pair(a, b, c, 2)[2] == pytest.approx(fd, rel=1e-7)
    assert np.isinf(act.pair(1.0, 1.0, 1.0, 2)[2])


@pytest.mark.parametrize("act", ALL, ids=ids)
def test_price_derivatives_match_finite_differences(act):
    a, b, h = 0.9, 1.4, 1e-5
    c = np.array([-0.8, -0.2, 0.3, 0.9])
    f, f1, f2 = act.pair(a, b, c)
    fp, fm = act.pair(a, b, c + h), act.pair(a, b, c - h)
    np.testing.assert_allclose(f1, (fp[0] - fm[0]) / (2 * h), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(f2, (fp[1] - fm[1]) / (2 * h), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("act", ALL, ids=ids)
def test_diagonal_is_the_pair_on_the_diagonal_and_its_slope(act):
    a, h = np.array([0.05, 0.7, 3.0]), 1e-6
    v, dv, chi = act.diagonal(a)
    f, f1, _ = act.pair(a, a, a, order=1)
    np.testing.assert_allclose(v, f, rtol=1e-12)
    np.testing.assert_allclose(chi, f1, rtol=1e-10)
    np.testing.assert_allclose(dv, (act.diagonal(a + h)[0] - act.diagonal(a - h)[0]) / (2 * h), rtol=1e-6)


def test_shaped_activations_are_rescaled_and_tilted_versions():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(Activation("shaped_tanh", scale=9.0)(x), 3 * np.tanh(x / 3))
    sp, sm = Activation("shaped_relu", scale=4.0, slope=1.0).slopes
    assert (sp, sm) == (1.5, 0.5)
    np.testing.assert_allclose(Activation("shaped_relu", scale=4.0)(x), np.where(x > 0, 1.5 * x, 0.5 * x))
    # L -> ∞: both become the identity, so F -> c
    for name in ("shaped_tanh", "shaped_relu"):
        assert Activation(name, scale=1e8).pair(0.7, 0.7, 0.3, 0)[0] == pytest.approx(0.3, abs=1e-4)


# --------------------------------------------------------------------------- the layer recursion
def test_linear_network_has_the_closed_form_kernel():
    L, cw, cb = 3, 1.7, 0.2
    cov = nngp_covariance("linear", L, cw, cb)
    q = np.linspace(-1, 1, 9)
    want = cw ** (L + 1) * q + cb * sum(cw ** l for l in range(L + 1))
    np.testing.assert_allclose(cov.xi(q), want, rtol=1e-13)
    np.testing.assert_allclose(cov.dxi(q), cw ** (L + 1), rtol=1e-13)
    np.testing.assert_allclose(cov.d2xi(q), 0.0, atol=1e-13)


def test_one_hidden_relu_layer_is_the_arc_cosine_kernel():
    cw, cb = 2.0, 0.0
    q = np.linspace(-1, 1, 11)
    theta = np.arccos(q)
    want = cw * cw / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * np.cos(theta))
    np.testing.assert_allclose(nngp_covariance("relu", 1, cw, cb).xi(q), want, atol=1e-13)


@pytest.mark.parametrize("act", ALL, ids=ids)
@pytest.mark.parametrize("depth", [1, 3])
def test_kernel_derivatives_match_finite_differences(act, depth):
    cov = nngp_covariance(act, depth, 1.4, 0.15)
    q, h = np.linspace(-0.95, 0.95, 9), 1e-5
    xi, d1, d2 = cov.derivatives(q)
    np.testing.assert_allclose(xi, cov.xi(q))
    np.testing.assert_allclose(d1, (cov.xi(q + h) - cov.xi(q - h)) / (2 * h), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(d2, (cov.dxi(q + h) - cov.dxi(q - h)) / (2 * h), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("act", ALL, ids=ids)
def test_kernel_invariants(act):
    cov = nngp_covariance(act, 2, 1.3, 0.1)
    q = np.linspace(-1, 1, 41)
    xi = cov.xi(q)
    diag, k, _, _ = cov.layers(q)
    assert xi[-1] == pytest.approx(diag[-1], rel=1e-12)  # ξ(1) is the output variance
    assert np.all(np.abs(xi) <= xi[-1] * (1 + 1e-12))  # Cauchy-Schwarz
    assert np.all(cov.dxi(q[1:-1]) >= -1e-12)  # ξ' = C_W Π F' >= 0 for monotone σ ...
    if act.name != "sin":  # ... and sin is not monotone, so only the others are checked
        assert np.all(np.diff(xi) >= -1e-12)
    if act.odd:
        np.testing.assert_allclose(nngp_covariance(act, 2, 1.3, 0.0).xi(-q), -nngp_covariance(act, 2, 1.3, 0.0).xi(q),
                                   atol=1e-12)


def test_kernel_accepts_scalars_and_keeps_shapes():
    cov = nngp_covariance("tanh", 2, 1.0, 0.0)
    assert np.shape(cov.xi(0.5)) == ()
    assert cov.d2xi(np.zeros((2, 3))).shape == (2, 3)
    assert isinstance(cov, NNGPCovariance)
    frame = cov.to_frame()
    assert list(frame.columns[:4]) == ["q", "xi", "dxi", "d2xi"] and len(frame) == 201


def test_relu_second_derivative_is_infinite_at_q_equal_one():
    assert np.isinf(nngp_covariance("relu", 2, 2.0, 0.0).d2xi(1.0))
    assert np.isfinite(nngp_covariance("tanh", 2, 2.0, 0.0).d2xi(1.0))


def test_shaped_activation_by_name_takes_the_depth_as_its_scale():
    cov = nngp_covariance("shaped_tanh", 5, 1.0, 0.0)
    assert cov.activation == Activation("shaped_tanh", scale=5.0)
    # deep shaped tanh stays nearly linear: ξ'' small against ξ'
    assert abs(cov.d2xi(0.5)) < 0.2 * cov.dxi(0.5)


# --------------------------------------------------------------------------- Monte Carlo over networks
@pytest.mark.parametrize("act", ALL, ids=ids)
def test_kernel_matches_monte_carlo_over_random_networks(act):
    q = np.array([-0.8, -0.3, 0.0, 0.4, 0.9])
    mc = monte_carlo_kernel(act, 2, 1.5, 0.1, q, width=300, n_networks=24, seed=7, method="weights")
    assert np.all(mc.xi_err > 0)
    z = np.abs(mc.xi_mean - mc.xi_theory) / mc.xi_err
    assert z.max() < 4.0, (mc.xi_mean, mc.xi_theory, mc.xi_err)


def test_monte_carlo_error_bars_shrink_like_one_over_root_width():
    q = np.array([0.0, 0.5])
    errs = [monte_carlo_kernel("tanh", 2, 2.0, 0.0, q, width=n, n_networks=40, seed=3).xi_err.mean()
            for n in (250, 4000)]
    assert errs[0] / errs[1] == pytest.approx(4.0, rel=0.35)


def test_monte_carlo_is_seeded_and_tabulates():
    a = monte_carlo_kernel("erf", 1, 1.0, 0.0, [0.3], width=64, n_networks=4, seed=11)
    b = monte_carlo_kernel("erf", 1, 1.0, 0.0, [0.3], width=64, n_networks=4, seed=11)
    assert a.xi_mean == b.xi_mean
    assert list(a.to_frame().columns) == ["q", "xi_mean", "xi_err", "xi_theory", "width", "n_networks"]


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call", [
    lambda: nngp_covariance("softplus", 2, 1.0, 0.0),
    lambda: nngp_covariance("tanh", 0, 1.0, 0.0),
    lambda: nngp_covariance("tanh", 2.5, 1.0, 0.0),
    lambda: nngp_covariance("tanh", 2, 0.0, 0.0),
    lambda: nngp_covariance("tanh", 2, -1.0, 0.0),
    lambda: nngp_covariance("tanh", 2, 1.0, -0.1),
    lambda: nngp_covariance("tanh", 2, float("nan"), 0.0),
    lambda: nngp_covariance("tanh", 2, 1.0, 0.0).xi(1.5),
    lambda: nngp_covariance("tanh", 2, 1.0, 0.0).dxi([0.0, -1.01]),
    lambda: nngp_covariance("tanh", 2, 1.0, 0.0).d2xi(np.nan),
    lambda: pair_expectation("tanh", 1.0, 1.0, 1.5),
    lambda: pair_expectation("tanh", 0.0, 1.0, 0.0),
    lambda: pair_expectation("tanh", 1.0, 1.0, 0.5, derivative=3),
    lambda: pair_expectation("tanh", 1.0, 1.0, 0.5, method="simpson"),
    lambda: pair_expectation("shaped_tanh", 1.0, 1.0, 0.5),
    lambda: Activation("shaped_tanh", scale=0.0),
    lambda: Activation("gelu"),
    lambda: as_activation(3),
    lambda: monte_carlo_kernel("tanh", 1, 1.0, 0.0, [0.5], width=1, n_networks=4),
    lambda: monte_carlo_kernel("tanh", 1, 1.0, 0.0, [0.5], width=8, n_networks=4, method="exact"),
    lambda: monte_carlo_kernel("tanh", 1, 1.0, 0.0, [0.5], width=8, n_networks=4, seed=-1),
    lambda: PolynomialMixture((1.0, -0.5)),
])
def test_bad_input_raises_engine_error(call):
    with pytest.raises(EngineError):
        call()


def test_every_listed_activation_has_a_kernel_map():
    for name in ACTIVATIONS:
        act = as_activation(name, depth=3)
        assert np.isfinite(act.pair(0.6, 0.6, 0.2, 1)[1])


def test_polynomial_mixture_is_a_covariance():
    m = PolynomialMixture((0.0, 0.0, 0.5))
    assert m.xi(1.0) == 0.5 and m.dxi(1.0) == 1.0 and m.d2xi(0.3) == 1.0
