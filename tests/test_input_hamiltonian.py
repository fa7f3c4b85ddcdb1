"""Tests for engine.input_hamiltonian: spherical spin-glass theory and the finite-width sampler.

Physics first: the published unit cases (spherical SK, pure 3-spin, linear MLP, the 3-spin static
transition), exact identities (RS stationarity, AT, 1RSB -> RS, u = dF/dβ), the zero-temperature
RS criterion checked against an independent convex solver, then the sampler against exact Gibbs
densities (χ²), invariants and reproducibility, then bad input.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from engine import nngp
from engine import input_hamiltonian as ih
from engine.errors import EngineError
from engine.network import Network
from engine.nngp import PolynomialMixture as Mix

SK = Mix((0.0, 0.0, 0.5))  # spherical SK: ξ = q²/2
P3 = Mix((0.0, 0.0, 0.0, 1.0))  # ξ = q³
P3_HALF = Mix((0.0, 0.0, 0.0, 0.5))  # Crisanti-Sommers normalisation ξ = q³/2
FIELD = Mix((0.0, 0.3, 0.5, 0.0, 0.2))  # a field (ξ'(0) > 0) plus 2- and 4-spin

needs_kernels = pytest.mark.skipif(not hasattr(nngp, "nngp_covariance"),
                                   reason="engine.nngp.nngp_covariance has not landed yet")


# ------------------------------------------------------------------ zero temperature: unit cases
def test_spherical_sk_ground_state_is_one_and_rs():
    g = ih.ground_state(SK)
    assert g.verdict == "RS"
    assert g.energy == pytest.approx(1.0, abs=1e-12)
    assert g.rs_margin == pytest.approx(0.0, abs=1e-12)  # marginal: D(s) ≡ 0


def test_pure_three_spin_ground_state_is_1rsb_1_657():
    g = ih.ground_state(P3)
    assert g.verdict == "1RSB"
    assert g.energy == pytest.approx(1.657, abs=5e-4)
    assert g.energy < g.rs_energy == pytest.approx(math.sqrt(3.0))
    assert g.one_rsb_q0 == pytest.approx(0.0, abs=1e-6)  # no field: the measure starts at q = 0
    # Rescaling ξ -> ξ/2 rescales GS by 1/√2 (Crisanti-Sommers' normalisation gives 1.1717).
    assert ih.ground_state(P3_HALF).energy == pytest.approx(g.energy / math.sqrt(2), rel=1e-6)


def test_general_convex_solver_agrees_with_closed_form_1rsb():
    t = ih.TabulatedCovariance(P3)
    e1, lam, mu, q0 = ih._one_rsb_zero(t)
    with ih._single_thread():
        ef, q, chi, alpha = ih._full_zero(t, 64, (lam, mu, q0))
    assert ef == pytest.approx(e1, abs=1e-6)
    assert np.all(np.diff(chi) <= 1e-12) and np.all(np.diff(alpha) >= -1e-9)  # non-increasing, concave


@pytest.mark.parametrize("c1, c3", [(1.0, 0.1), (1.0, 0.4), (0.2, 1.0), (0.0, 1.0), (0.5, 0.5)])
def test_zero_temperature_rs_criterion_matches_independent_minimiser(c1, c3):
    """D(s) >= 0 (analytic) must agree with a brute-force minimisation of the χ functional."""
    xi = Mix((0.0, c1, 0.0, c3))
    t = ih.TabulatedCovariance(xi)
    g = ih.ground_state(xi)
    with ih._single_thread():
        ef, q, chi, _ = ih._full_zero(t, 128, (1 / math.sqrt(t.dxi1), 0.0, 0.5))  # start from RS
    if g.verdict == "RS":
        assert ef == pytest.approx(g.rs_energy, abs=1e-6)
    else:
        assert ef < g.rs_energy - 1e-6  # RSB lowers GS, as the criterion says
        assert ef == pytest.approx(g.energy, abs=2e-6)


def test_ground_state_functional_of_constant_chi_is_rs_value():
    t = ih.TabulatedCovariance(FIELD)
    q = np.linspace(0, 1, 33)
    for lam in (0.3, 0.8, 1.5):
        assert ih._chi_functional(t, q, np.full(q.size, lam)) == pytest.approx(0.5 * (t.dxi1 * lam + 1 / lam))


# -------------------------------------------------------------------------- finite temperature
def test_rs_stationarity_and_global_minimum():
    betas = np.array([0.3, 0.8, 1.5, 3.0, 10.0])
    q = ih.rs_overlap(FIELD, betas)
    lhs = betas ** 2 * FIELD.dxi(q)
    np.testing.assert_allclose(lhs, q / (1 - q) ** 2, rtol=1e-9)
    grid = np.linspace(0, 0.999, 5000)
    for b, qb in zip(betas, q):
        assert ih.rs_functional(FIELD, b, qb) <= ih.rs_functional(FIELD, b, grid).min() + 1e-12


def test_spherical_sk_overlap_is_one_minus_temperature():
    betas = np.array([0.5, 0.9, 1.25, 2.0, 5.0])
    np.testing.assert_allclose(ih.rs_overlap(SK, betas), np.maximum(1 - 1 / betas, 0), atol=1e-9)


def test_energy_is_derivative_of_free_entropy_and_entropy_is_legendre():
    for xi, betas in ((FIELD, np.array([0.5, 1.0, 2.0])), (P3_HALF, np.array([1.2, 2.0, 3.0]))):
        th = ih.thermodynamics(xi, betas)
        h = 1e-5
        fp = ih.thermodynamics(xi, betas + h).free_entropy
        fm = ih.thermodynamics(xi, betas - h).free_entropy
        np.testing.assert_allclose(th.u, (fp - fm) / (2 * h), rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(th.energy, -th.u)
        np.testing.assert_allclose(th.entropy, th.free_entropy - betas * th.u, atol=1e-12)
        assert np.all(th.entropy <= 1e-12)


def test_rs_formulas_for_u_and_s():
    b = 1.7
    th = ih.thermodynamics(FIELD, [b])
    q = th.q_rs[0]
    assert th.u_rs[0] == pytest.approx(b * (FIELD.xi(1.0) - FIELD.xi(q)))
    s = 0.5 * (-b * b * (FIELD.xi(1.0) - FIELD.xi(q)) + q / (1 - q) + math.log(1 - q))
    assert th.entropy_rs[0] == pytest.approx(s)


def test_constant_part_of_xi_drops_out():
    """ξ(0) (the output bias) shifts H by an O(√N0) constant: no thermodynamic quantity may move."""
    shifted = Mix((0.7,) + FIELD.coefficients[1:])
    betas = [0.5, 2.0, 6.0]
    a, b = ih.thermodynamics(FIELD, betas), ih.thermodynamics(shifted, betas)
    for name in ("q_rs", "u", "entropy", "free_entropy", "at_value"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-12)
    assert ih.ground_state(shifted).energy == pytest.approx(ih.ground_state(FIELD).energy, rel=1e-9)


def test_field_keeps_the_smallest_overlap_positive():
    """ξ'(0) > 0 acts as a field: q0 > 0 in the RSB phase (pure 3-spin without field: q0 = 0)."""
    with_field = Mix((0.0, 0.1, 0.0, 0.5))
    th = ih.thermodynamics(with_field, [3.0])
    assert th.phase[0] != "RS" and th.q0[0] > 0.05
    assert ih.thermodynamics(P3_HALF, [3.0]).q0[0] == 0.0


def test_at_line_on_constructed_case():
    xi = Mix((0.0, 0.2, 0.0, 0.0, 1.0))  # field + 4-spin: RS at high T, AT-unstable below
    a = ih.at_point(xi)
    assert math.isfinite(a.beta)
    q = ih.rs_overlap(xi, a.beta)[0]
    assert a.q == pytest.approx(q)
    assert a.beta ** 2 * xi.d2xi(q) * (1 - q) ** 2 == pytest.approx(1.0, abs=1e-6)
    th = ih.thermodynamics(xi, [0.9 * a.beta, 1.1 * a.beta])
    assert th.at_value[0] < 1 < th.at_value[1]


def test_at_never_crossed_for_linear_and_marginal_sk():
    assert ih.at_point(Mix((0.1, 2.0))).beta == math.inf
    th = ih.thermodynamics(SK, [2.0, 4.0])
    np.testing.assert_allclose(th.at_value, 1.0, atol=1e-9)  # marginal, never exceeded
    assert th.beta_at == math.inf and list(th.phase) == ["RS", "RS"]


def test_one_rsb_reduces_to_rs():
    rng = np.random.default_rng(3)
    for _ in range(5):
        b, q0, q1, m = rng.uniform(0.3, 3), rng.uniform(0, 0.5), rng.uniform(0.5, 0.95), rng.uniform(0.05, 1)
        assert ih.one_rsb_functional(FIELD, b, q0, q0, m) == pytest.approx(ih.rs_functional(FIELD, b, q0))
        assert ih.one_rsb_functional(FIELD, b, q0, q1, 1.0) == pytest.approx(ih.rs_functional(FIELD, b, q0))
        assert ih.one_rsb_functional(FIELD, b, q0, q1, 1 - 1e-9) == pytest.approx(
            ih.rs_functional(FIELD, b, q0), abs=1e-7)


def test_three_spin_static_transition_at_0_5858():
    """Crisanti & Sommers (1992): ξ = q³/2 has its static 1RSB transition at T_s = 0.5858."""
    th = ih.thermodynamics(P3_HALF, 1 / np.array([0.600, 0.589, 0.583, 0.55]))
    assert list(th.phase) == ["RS", "RS", "1RSB", "1RSB"]
    assert np.all(th.q_rs[:2] == 0.0)
    assert th.m[2] > 0.9 and th.q1[2] > 0.5  # m -> 1 at the transition, q1 jumps
    assert np.all(th.one_rsb_violation[2:] <= 1e-8)


def test_low_temperature_limit_matches_ground_state():
    for xi in (P3_HALF, FIELD):
        th = ih.thermodynamics(xi, [200.0])
        assert th.u[0] == pytest.approx(ih.ground_state(xi).energy, rel=5e-3)


def test_crisanti_sommers_general_solver_matches_1rsb_where_1rsb_is_exact():
    o = ih.one_rsb(P3_HALF, 2.0)
    cs = ih.crisanti_sommers(P3_HALF, 2.0, n_cells=120)
    assert cs["free_entropy"] == pytest.approx(o.free_entropy, abs=2e-4)
    assert np.all(np.diff(cs["x"]) >= -1e-12) and cs["x"][-1] == 1.0


def test_overlap_distribution_shapes():
    rs = ih.overlap_distribution(FIELD, 1.0)
    assert rs.phase == "RS" and rs.q.size == 1 and rs.weight.sum() == pytest.approx(1.0)
    one = ih.overlap_distribution(P3_HALF, 2.5)
    assert one.phase == "1RSB" and one.q[0] < one.q[1]
    assert one.weight.sum() == pytest.approx(1.0) and 0 < one.weight[0] < 1
    assert ih.overlap_distribution(SK, 2.0).symmetric and not rs.symmetric


def test_thermodynamics_frames():
    th = ih.thermodynamics(P3_HALF, np.linspace(1.4, 2.2, 9))
    df = th.to_frame()
    assert len(df) == 9 and {"beta", "phase", "energy", "entropy", "q0", "q1", "m"} <= set(df.columns)
    s = th.entropy_curve()
    assert np.all(np.diff(s["energy"]) >= 0)


# --------------------------------------------------------------------------- kernels, verdicts
@needs_kernels
@pytest.mark.parametrize("depth, c_w, c_b", [(1, 1.0, 0.0), (2, 1.5, 0.1), (3, 0.7, 0.0)])
def test_linear_mlp_is_rs_with_gs_cw_to_the_l_plus_1_over_2(depth, c_w, c_b):
    xi = ih.nngp_kernel("linear", depth, c_w, c_b)
    q = np.linspace(0, 1, 11)
    np.testing.assert_allclose(xi.d2xi(q), 0.0, atol=1e-12)  # linear in q
    g = ih.ground_state(xi)
    assert g.verdict == "RS"
    assert g.energy == pytest.approx(c_w ** ((depth + 1) / 2), rel=1e-9)
    v = ih.classify("linear", depth, c_w, c_b)
    assert v.verdict == "RS" and v.ground_energy == pytest.approx(g.energy)


@needs_kernels
def test_relu_gp_limit_is_full_rsb_like_with_a_certified_solution():
    """ReLU's ξ'' diverges at q = 1, so RS fails at T = 0 however shallow the net (D(s) < 0 near 1);
    the general minimiser must beat 1RSB and satisfy its own first-order condition."""
    g = ih.ground_state(ih.nngp_kernel("relu", 1))
    assert g.verdict == "full-RSB-like" and g.at_ratio == math.inf and g.rs_margin < 0
    assert g.energy < g.one_rsb_energy < g.rs_energy == pytest.approx(math.sqrt(0.5))
    assert g.full_violation < 1e-6 and g.concave_on_support
    o = ih.overlap_distribution(ih.nngp_kernel("relu", 1), 50.0)
    assert o.phase == "full-RSB-like" and np.all(np.diff(o.x) >= -1e-12)
    cs = ih.crisanti_sommers(ih.nngp_kernel("relu", 1), 50.0, n_cells=80)
    assert cs["free_entropy"] <= ih.one_rsb(ih.nngp_kernel("relu", 1), 50.0).free_entropy + 1e-9


@needs_kernels
def test_verdict_table():
    df = ih.verdict_table(["linear", "tanh"], [1, 2])
    assert len(df) == 4 and set(df["verdict"]) <= set(ih.PHASES)
    assert {"diagnostic", "note", "ground_energy", "rs_energy"} <= set(df.columns)


# ----------------------------------------------------------------------------------- simulation
def _nets():
    return [Network.random([5, 7, 6, 1], a, weight_variance=1.3, bias_variance=0.2, seed=i)
            for i, a in enumerate(["tanh", "relu", "sin", "erf", "linear", "sigmoid"])]


def test_numpy_backprop_matches_torch_autograd_and_finite_differences():
    x = np.random.default_rng(0).standard_normal((4, 5))
    for net in _nets():
        e, g = ih.energy_and_gradient(net, x)
        e_t, g_t = ih.energy_and_gradient(net, x, backend="torch")
        np.testing.assert_allclose(e, e_t, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, g_t, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(e, math.sqrt(5) * net.forward(x)[:, 0])
        h = 1e-6
        fd = np.stack([(ih.energy_and_gradient(net, x + h * np.eye(5)[i])[0]
                        - ih.energy_and_gradient(net, x - h * np.eye(5)[i])[0]) / (2 * h) for i in range(5)], 1)
        if net.activations[0] != "relu":  # ReLU kinks spoil central differences
            np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6)


def test_langevin_stays_on_the_sphere():
    net = Network.random([6, 12, 1], "tanh", seed=1)
    s = ih.sample_inputs(net, [0.5, 2.0], n_chains=3, n_steps=200, thin=20, step_size=0.05, seed=2)
    np.testing.assert_allclose(np.sum(s.x ** 2, axis=-1), 6.0, rtol=1e-12)
    assert s.x.shape == (5, 2, 3, 6) and s.energy.shape == (5, 2, 3)


def _chi2_pvalue(samples, edges, density):
    counts, _ = np.histogram(samples, bins=edges)
    p = np.array([density(a, b) for a, b in zip(edges[:-1], edges[1:])])
    expected_ = counts.sum() * p / p.sum()
    return stats.chisquare(counts, expected_).pvalue


def test_sampler_stationary_distribution_linear_net_n0_3_with_tempering():
    """N0 = 3, linear net: H = N0|a| c + const with c = cos(angle to a); uniform on the 2-sphere
    makes c uniform on [-1, 1], so the Gibbs density of c is ∝ e^{-β N0 |a| c}."""
    net = Network.random([3, 4, 1], "linear", seed=7)
    a = (net.weights[1] @ net.weights[0])[0]
    betas = np.array([0.3, 0.7, 1.5])
    s = ih.sample_inputs(net, betas, n_chains=1500, n_steps=1500, n_burn=1499, thin=1, step_size=0.01,
                         swap_every=5, seed=11)
    c = s.x[0] @ a / (np.linalg.norm(a) * math.sqrt(3))  # (B, C)
    k = 3 * np.linalg.norm(a)
    edges = np.linspace(-1, 1, 16)
    for i, b in enumerate(betas):
        dens = lambda lo, hi, b=b: (math.exp(-b * k * lo) - math.exp(-b * k * hi)) / (b * k)
        assert _chi2_pvalue(c[i], edges, dens) > 1e-3
    assert np.all(s.swap_acceptance > 0)


def test_sampler_energy_in_sixteen_dimensions_matches_exact_quadrature():
    """Linear net, N0 = 16: c = cos(angle to a) has density ∝ (1-c²)^{(N0-3)/2} e^{-β N0 |a| c}."""
    n0, beta = 16, 1.5
    net = Network.random([n0, 8, 1], "linear", seed=21)
    a = (net.weights[1] @ net.weights[0])[0]
    k = n0 * np.linalg.norm(a)
    c = np.linspace(-1, 1, 20001)
    w = (1 - c * c) ** ((n0 - 3) / 2) * np.exp(-beta * k * (c + 1))
    exact = np.trapezoid(c * w, c) / np.trapezoid(w, c)
    s = ih.sample_inputs(net, [beta], n_chains=400, n_steps=800, n_burn=799, thin=1, step_size=0.01, seed=8)
    cs = s.x[0, 0] @ a / (np.linalg.norm(a) * math.sqrt(n0))
    assert abs(cs.mean() - exact) < 4 * cs.std() / math.sqrt(cs.size)


def test_sampler_stationary_distribution_tanh_net_on_the_circle():
    net = Network.random([2, 16, 1], "tanh", weight_variance=3.0, seed=1)
    theta = np.linspace(-np.pi, np.pi, 4001)
    xs = math.sqrt(2) * np.stack([np.cos(theta), np.sin(theta)], 1)
    h = ih.energy_and_gradient(net, xs)[0]
    beta = 1.0
    assert np.ptp(beta * h) > 1.0  # a non-trivial landscape
    w = np.exp(-beta * (h - h.min()))
    cdf = np.concatenate([[0], np.cumsum(0.5 * (w[1:] + w[:-1]) * np.diff(theta))])
    # total time η·n_steps = 20 >> the time to cross the landscape's barriers
    s = ih.sample_inputs(net, [beta], n_chains=2000, n_steps=2000, n_burn=1999, thin=1, step_size=0.01, seed=3)
    ang = np.arctan2(s.x[0, 0, :, 1], s.x[0, 0, :, 0])
    edges = np.linspace(-np.pi, np.pi, 21)
    dens = lambda lo, hi: np.interp(hi, theta, cdf) - np.interp(lo, theta, cdf)
    assert _chi2_pvalue(ang, edges, dens) > 1e-3


def test_gaussian_prior_linear_net_is_shifted_gaussian():
    """Prior e^{-|x|²/2}, H = √N0 a·x + const: the Gibbs measure is N(-β√N0 a, I)."""
    net = Network.random([2, 3, 1], "linear", seed=2)
    a = (net.weights[1] @ net.weights[0])[0]
    s = ih.sample_inputs(net, [0.8], n_chains=3000, n_steps=800, n_burn=799, thin=1, step_size=0.01,
                         prior="gaussian", seed=4)
    x = s.x[0, 0]
    np.testing.assert_allclose(x.mean(0), -0.8 * math.sqrt(2) * a, atol=4 / math.sqrt(3000))
    np.testing.assert_allclose(x.var(0), 1.0, atol=0.1)


def test_descent_never_increases_and_finds_linear_minimum():
    net = Network.random([8, 5, 1], "linear", bias_variance=0.5, seed=3)
    a = (net.weights[1] @ net.weights[0])[0]
    const = (net.weights[1] @ net.biases[0] + net.biases[1]).item()
    e, x = ih.descend(net, 6, n_steps=300, seed=1)
    np.testing.assert_allclose(e, -np.linalg.norm(a) + const / math.sqrt(8), atol=1e-8)
    np.testing.assert_allclose(np.sum(x ** 2, 1), 8.0)
    net2 = Network.random([8, 20, 1], "tanh", seed=3)
    e0 = ih.descend(net2, 4, n_steps=0, seed=9)[0]
    e1 = ih.descend(net2, 4, n_steps=50, seed=9)[0]
    assert np.all(e1 <= e0)


def _small_sim(**kw):
    args = dict(n0=8, width_ratio=2, betas=(0.5, 1.5), n_chains=3, n_draws=2, n_steps=120, thin=5,
                n_descents=3, descent_steps=20, n_bins=10, seed=5)
    args.update(kw)
    return ih.simulate("tanh", 1, **args)


def test_simulation_result_shapes_and_frames():
    r = _small_sim()
    assert r.complete and r.n_draws == 2 and r.width == 16
    assert r.energy.shape == r.energy_err.shape == (2,) and np.all(np.isfinite(r.energy_err))
    assert r.p_q.shape == (2, 10) and r.q_edges.shape == (11,)
    np.testing.assert_allclose((r.p_q * np.diff(r.q_edges)).sum(1), 1.0)
    assert r.ground_energies.shape == (2, 3) and r.ground_overlaps.shape == (2, 3)
    assert np.all(r.ground_energies <= r.energy_per_draw.min(1)[:, None] + 0.5)
    assert len(r.to_frame()) == 2 and len(r.overlap_frame()) == 20 and len(r.ground_frame()) == 6
    one = _small_sim(n_draws=1)
    assert np.all(np.isfinite(one.energy_err))  # error from time blocks


def test_simulation_is_reproducible():
    a, b, c = _small_sim(seed=3), _small_sim(seed=3), _small_sim(seed=4)
    np.testing.assert_array_equal(a.energy_per_draw, b.energy_per_draw)
    np.testing.assert_array_equal(a.p_q, b.p_q)
    np.testing.assert_array_equal(a.ground_energies, b.ground_energies)
    assert not np.array_equal(a.energy_per_draw, c.energy_per_draw)


def test_simulation_progress_and_early_stop():
    seen = []

    def cb(p):
        seen.append(p)
        return p.data is not None  # stop after the first finished draw

    r = _small_sim(n_draws=3, callback=cb)
    assert not r.complete and r.n_draws == 1
    assert any(p.data is not None for p in seen) and all(0 <= p.fraction <= 1 for p in seen)


# ------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call", [
    lambda: ih.simulate("softsign", 1),
    lambda: ih.simulate("tanh", 0),
    lambda: ih.simulate("tanh", 1, weight_variance=0.0),
    lambda: ih.simulate("tanh", 1, weight_variance=-1.0),
    lambda: ih.simulate("tanh", 1, betas=(0.0, 1.0)),
    lambda: ih.simulate("tanh", 1, betas=(-1.0,)),
    lambda: ih.simulate("tanh", 1, n_chains=1),
    lambda: ih.simulate("tanh", 1, n0=512, width_ratio=8, n_steps=10 ** 6, n_draws=100),  # too much work
    lambda: ih.simulate("tanh", 1, n0=64, width_ratio=128),  # wider than Network allows
    lambda: ih.simulate("tanh", 1, backend="jax"),
    lambda: ih.simulate("tanh", 1, prior="uniform"),
    lambda: ih.sample_inputs(Network.random([3, 4, 2], "tanh", seed=0), [1.0]),  # vector output
    lambda: ih.sample_inputs(Network.random([3, 4, 1], "tanh", seed=0), [2.0, 1.0]),  # ladder not increasing
    lambda: ih.descend(Network.random([3, 4, 1], "tanh", seed=0), prior="gaussian"),
    lambda: ih.thermodynamics(SK, [1.0, -0.5]),
    lambda: ih.thermodynamics(SK, [0.0]),
    lambda: ih.thermodynamics(SK, np.linspace(0.1, 1, 10 ** 5)),  # grid too large
    lambda: ih.rs_overlap(SK, float("nan")),
    lambda: ih.one_rsb(SK, [1.0, 2.0]),
    lambda: ih.rs_functional(SK, 1.0, 1.0),
    lambda: ih.one_rsb_functional(SK, 1.0, 0.6, 0.5, 0.5),
    lambda: ih.one_rsb_functional(SK, 1.0, 0.1, 0.5, 1.5),
    lambda: ih.one_rsb_functional(SK, -1.0, 0.1, 0.5, 0.5),
    lambda: ih.ground_state(SK, n_grid=10 ** 6),
    lambda: ih.ground_state(object()),
    lambda: ih.ground_state(Mix((1.0,))),  # ξ'(1) = 0: no landscape
    lambda: ih.nngp_kernel("tanh", 0),
    lambda: ih.nngp_kernel("tanh", 1, weight_variance=0.0),
    lambda: ih.nngp_kernel("tanh", 1, bias_variance=-0.1),
    lambda: ih.verdict_table(["tanh"] * 30, list(range(1, 30))),
])
def test_bad_input_raises_engine_error(call):
    with pytest.raises(EngineError):
        call()


@needs_kernels
def test_classify_unknown_activation():
    with pytest.raises(EngineError):
        ih.classify("softsign", 1)
