"""Mean-field signal propagation: the reference values of PHYSICS.md section 7, fixed points
against the maps they are fixed points of, depth scales against the observed flows, the
critical asymptotics, and finite-width networks against the mean-field flow.

Finite-width error model: per network, q_l and c_l are empirical averages over `width` units;
networks are independent, so the mean over n networks has standard error s/√n, and the
mean-field limit is approached with an O(1/width) bias (measured ~0.015 at width 1000, depth
20) on top of it.
"""
import numpy as np
import pytest

from engine import signal_propagation as sp
from engine.errors import EngineError
from engine.nngp import Activation


# --------------------------------------------------------------------------- reference values
def test_tanh_critical_line_reference_values():
    assert sp.critical_weight_variance("tanh", 0.0) == pytest.approx(1.0, abs=1e-9)
    w = sp.critical_weight_variance("tanh", 0.05)
    assert w == pytest.approx(1.7610, abs=0.005)
    fp = sp.fixed_point("tanh", w, 0.05)
    assert fp.q_star == pytest.approx(0.570, abs=1e-3)
    assert fp.chi1 == pytest.approx(1.0, abs=1e-9) and fp.phase == "critical" and np.isinf(fp.xi_c)


def test_erf_is_critical_at_pi_over_four_without_bias():
    assert sp.critical_weight_variance("erf", 0.0) == pytest.approx(np.pi / 4, rel=1e-12)
    assert sp.fixed_point("erf", np.pi / 4, 0.0).phase == "critical"


@pytest.mark.parametrize("w", [0.5, 1.0, 2.0, 3.0])
@pytest.mark.parametrize("b", [0.0, 0.3])
def test_relu_chi1_is_half_the_weight_variance(w, b):
    assert sp.fixed_point("relu", w, b).chi1 == pytest.approx(w / 2, rel=1e-14)


def test_relu_is_critical_only_at_two_zero():
    assert sp.critical_weight_variance("relu", 0.0) == 2.0
    for b in (1e-6, 0.05, 1.0):
        with pytest.raises(EngineError, match="no critical point"):
            sp.critical_weight_variance("relu", b)
    fp = sp.fixed_point("relu", 3.0, 0.1)
    assert np.isinf(fp.q_star) and fp.phase == "chaotic" and np.isinf(fp.xi_c) and fp.note


def test_critical_line_has_chi1_equal_one_and_separates_the_phases():
    b = np.array([0.0, 0.02, 0.1, 0.5, 1.0])
    for name in ("tanh", "erf", "sin", "sigmoid"):
        line = sp._critical_line(Activation(name), b)
        assert np.all(np.isfinite(line))
        for bb, ww in zip(b, line):
            assert sp.fixed_point(name, ww, bb).chi1 == pytest.approx(1.0, abs=1e-9)
            assert sp.fixed_point(name, 0.95 * ww, bb).phase == "ordered"
            assert sp.fixed_point(name, 1.05 * ww, bb).phase == "chaotic"


# --------------------------------------------------------------------------- fixed points are fixed points
CASES = [("tanh", 0.8, 0.05), ("tanh", 1.5, 0.05), ("tanh", 3.0, 0.2), ("tanh", 4.0, 0.0), ("erf", 2.0, 0.1),
         ("sin", 2.0, 0.0), ("sin", 1.2, 0.3), ("sigmoid", 20.0, 0.1), ("sigmoid", 200.0, 0.1), ("relu", 1.0, 0.2),
         ("linear", 0.5, 0.3), ("shaped_relu", 0.7, 0.1)]


@pytest.mark.parametrize("name, w, b", CASES)
def test_fixed_point_solves_the_maps_and_attracts_the_flow(name, w, b):
    act = Activation(name, scale=4.0) if name.startswith("shaped") else Activation(name)
    fp = sp.fixed_point(act, w, b)
    q, c = fp.q_star, fp.c_star
    assert w * act.variance(q) + b == pytest.approx(q, rel=1e-12, abs=1e-14)
    assert (w * act.pair(q, q, q * c, 0)[0] + b) / q == pytest.approx(c, abs=1e-11)
    assert fp.chi1 == pytest.approx(w * act.pair(q, q, q, 1)[1], rel=1e-12)
    flow = sp.depth_flow(act, w, b, q0=2.0, c0=0.4, depth=1500)
    assert flow.q[-1] == pytest.approx(q, rel=1e-8)
    assert flow.c[-1] == pytest.approx(c, abs=1e-6)


@pytest.mark.parametrize("name, w, b", [("tanh", 1.5, 0.05), ("tanh", 3.0, 0.2), ("erf", 2.0, 0.1), ("sin", 1.2, 0.3)])
def test_xi_c_is_the_observed_exponential_rate_of_the_c_flow(name, w, b):
    """|c_l - c*| ∝ χ_c^l = e^{-l/ξ_c} once the flow is near the fixed point."""
    fp = sp.fixed_point(name, w, b)
    flow = sp.depth_flow(name, w, b, q0=fp.q_star, c0=0.5 if fp.c_star > 0.9 else fp.c_star + 0.05, depth=400)
    dev = np.abs(flow.c[1:] - fp.c_star)
    l = np.flatnonzero((dev > 1e-9) & (dev < 1e-4))[:20]
    assert l.size > 5
    rate = np.exp(np.mean(np.diff(np.log(dev[l]))))
    assert -1 / np.log(rate) == pytest.approx(fp.xi_c, rel=2e-3)


def test_chi1_is_the_slope_of_the_c_map_at_one_and_xi_q_the_rate_of_the_q_flow():
    w, b = 1.5, 0.05
    fp = sp.fixed_point("tanh", w, b)
    h = 1e-6
    c = sp.depth_flow("tanh", w, b, q0=(fp.q_star - b) / w, c0=np.array([1 - h, 1.0]), depth=2).c  # q_1 = q*
    assert (c[2, 1] - c[2, 0]) / (c[1, 1] - c[1, 0]) == pytest.approx(fp.chi1, rel=1e-4)
    flow = sp.depth_flow("tanh", w, b, q0=3.0, c0=1.0, depth=60)
    dev = np.abs(flow.q[1:] - fp.q_star)
    l = np.flatnonzero((dev > 1e-11) & (dev < 1e-5))[:8]
    assert -1 / np.log(np.exp(np.mean(np.diff(np.log(dev[l]))))) == pytest.approx(fp.xi_q, rel=1e-2)


# --------------------------------------------------------------------------- critical asymptotics
def test_tanh_at_criticality_has_q_of_one_over_two_l():
    flow = sp.depth_flow("tanh", 1.0, 0.0, q0=1.0, c0=1.0, depth=1000)
    ratio = [2 * l * flow.q[l] for l in (100, 1000)]
    assert abs(ratio[1] - 1) < 0.005 and abs(ratio[1] - 1) < abs(ratio[0] - 1)


def test_relu_at_criticality_has_one_minus_c_of_nine_pi_squared_over_two_l_squared():
    flow = sp.depth_flow("relu", 2.0, 0.0, q0=1.0, c0=0.0, depth=4000)
    ratio = [(1 - flow.c[l]) * 2 * l * l / (9 * np.pi ** 2) for l in (400, 4000)]
    assert abs(ratio[1] - 1) < 0.01 and abs(ratio[1] - 1) < abs(ratio[0] - 1)
    assert np.all(np.diff(flow.c[1:]) > 0) and flow.q[-1] == pytest.approx(2.0)  # q_l = q_1 = σ_w² q0


def test_degenerate_conventions_are_flagged():
    ordered = sp.fixed_point("tanh", 0.5, 0.0)
    assert ordered.q_star == 0.0 and ordered.xi_c == pytest.approx(-1 / np.log(0.5), rel=1e-9)
    assert "σ_b² = 0" in ordered.note
    assert sp.fixed_point("tanh", 0.5, 0.01).note == ""
    marginal = sp.fixed_point("relu", 2.0, 0.0)
    assert np.isnan(marginal.q_star) and np.isinf(marginal.xi_q) and marginal.note
    linear = sp.fixed_point("linear", 2.0, 0.1)
    assert np.isinf(linear.q_star) and np.isnan(linear.c_star) and np.isnan(linear.xi_q)


# --------------------------------------------------------------------------- phase diagram
def test_phase_diagram_is_consistent_with_pointwise_fixed_points():
    w = np.linspace(0.5, 4.0, 15)
    b = np.array([0.0, 0.05, 0.3])
    pd_ = sp.phase_diagram("tanh", w, b)
    assert pd_.chi1.shape == (3, 15) and pd_.critical_weight_variance.shape == (3,)
    for i, j in [(0, 0), (1, 7), (2, 14), (0, 9)]:
        fp = sp.fixed_point("tanh", w[j], b[i])
        assert pd_.chi1[i, j] == pytest.approx(fp.chi1, rel=1e-12)
        assert pd_.xi_c[i, j] == pytest.approx(fp.xi_c, rel=1e-9)
    for i in range(3):  # χ1 < 1 left of the line, > 1 right of it
        left = w < pd_.critical_weight_variance[i]
        assert np.all(pd_.chi1[i, left] < 1) and np.all(pd_.chi1[i, ~left] > 1)
    assert pd_.critical_weight_variance[1] == pytest.approx(1.761, abs=0.005)
    assert np.all(pd_.log_xi_c[np.isfinite(pd_.log_xi_c)] > -2)
    assert len(pd_.to_frame()) == 45


def test_phase_diagram_of_relu_has_no_line_away_from_zero_bias():
    pd_ = sp.phase_diagram("relu", [1.0, 2.0, 3.0], [0.0, 0.1])
    assert pd_.critical_weight_variance[0] == 2.0 and np.isnan(pd_.critical_weight_variance[1])
    np.testing.assert_allclose(pd_.chi1, [[0.5, 1.0, 1.5]] * 2)


# --------------------------------------------------------------------------- finite width
@pytest.mark.parametrize("name, w, b", [("tanh", 1.7610, 0.05), ("tanh", 3.0, 0.1), ("relu", 2.0, 0.0)])
def test_finite_width_follows_the_c_map(name, w, b):
    s = sp.simulate_propagation(name, w, b, width=1000, depth=20, q0=1.0, c0=0.3, n_networks=64, seed=5)
    assert s.layer[-1] == 20 and s.c_mean[0] == pytest.approx(0.3) and s.c_err[0] == 0
    assert np.max(np.abs(s.c_mean - s.c_theory)) < 0.03
    assert np.max(np.abs(s.q_mean - s.q_theory) / s.q_theory) < 0.05
    assert np.all(s.c_err[1:] > 0) and np.all(s.c_err[1:] < 0.01)


def test_row_sampling_and_weight_matrices_give_the_same_statistics():
    """'rows' draws each layer's pre-activations from their exact Gaussian law given the previous
    layer; it must agree with drawing whole weight matrices (two-sample z-test per layer)."""
    kw = dict(width=96, depth=6, q0=1.0, c0=0.5, n_networks=150)
    a = sp.simulate_propagation("tanh", 2.0, 0.1, seed=1, method="rows", **kw)
    b = sp.simulate_propagation("tanh", 2.0, 0.1, seed=2, method="weights", **kw)
    for m, e in (("c_mean", "c_err"), ("q_mean", "q_err")):
        z = np.abs(getattr(a, m) - getattr(b, m))[1:] / np.hypot(getattr(a, e), getattr(b, e))[1:]
        assert z.max() < 4.0


def test_simulation_is_seeded_and_stops_when_asked():
    a = sp.simulate_propagation("erf", 1.0, 0.0, width=50, depth=3, q0=1.0, c0=0.1, n_networks=3, seed=4)
    b = sp.simulate_propagation("erf", 1.0, 0.0, width=50, depth=3, q0=1.0, c0=0.1, n_networks=3, seed=4)
    np.testing.assert_array_equal(a.c_mean, b.c_mean)
    seen = []
    s = sp.simulate_propagation("erf", 1.0, 0.0, width=50, depth=3, q0=1.0, c0=0.1, n_networks=10, seed=4,
                                callback=lambda p: seen.append(p.done) or p.done >= 2)
    assert s.stopped_early and s.n_networks == 2 and seen == [1, 2]
    assert list(s.to_frame().columns[:7]) == ["layer", "q_mean", "q_err", "c_mean", "c_err", "q_theory", "c_theory"]


# --------------------------------------------------------------------------- training
def test_ordered_initialisation_does_not_train_deep_nets_but_trains_shallow_ones():
    """σ_w² = 0.5: ξ_c ≈ 1.2, so 6 ξ_c ≈ 7 layers; depth 2 trains, depth 24 stays at chance."""
    r = sp.trainability_check("tanh", 0.5, 0.05, depths=(2, 24), width=32, epochs=6, lr=3e-3)
    assert r.fixed.trainable_depth == pytest.approx(6 * r.fixed.xi_c) and r.fixed.trainable_depth < 10
    assert r.trained.tolist() == [True, False]
    assert r.test_accuracy[1] < 0.2
    assert list(r.to_frame().columns[:4]) == ["depth", "train_accuracy", "test_accuracy", "trained"]


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call", [
    lambda: sp.fixed_point("softplus", 1.0, 0.0),
    lambda: sp.fixed_point("tanh", 0.0, 0.0),
    lambda: sp.fixed_point("tanh", 1.0, -0.1),
    lambda: sp.fixed_point("shaped_tanh", 1.0, 0.0),
    lambda: sp.critical_weight_variance("tanh", -1.0),
    lambda: sp.critical_weight_variance("linear", 0.1),
    lambda: sp.depth_flow("tanh", 1.0, 0.0, q0=0.0, c0=0.5, depth=3),
    lambda: sp.depth_flow("tanh", 1.0, 0.0, q0=1.0, c0=1.5, depth=3),
    lambda: sp.depth_flow("tanh", 1.0, 0.0, q0=1.0, c0=0.5, depth=0),
    lambda: sp.phase_diagram("tanh", [2.0, 1.0], [0.0]),
    lambda: sp.phase_diagram("tanh", [0.0, 1.0], [0.0]),
    lambda: sp.phase_diagram("tanh", [1.0], [-0.1, 0.0]),
    lambda: sp.phase_diagram("tanh", np.linspace(0.1, 5, 1000), np.linspace(0, 1, 1000)),
    lambda: sp.simulate_propagation("tanh", 1.0, 0.0, width=1, depth=3, q0=1.0, c0=0.5),
    lambda: sp.simulate_propagation("tanh", 1.0, 0.0, width=10, depth=3, q0=1.0, c0=[0.5, 0.2]),
    lambda: sp.simulate_propagation("tanh", 1.0, 0.0, width=5000, depth=3, q0=1.0, c0=0.5, method="weights"),
    lambda: sp.trainability_check("tanh", 1.0, 0.0, depths=(0, 2)),
    lambda: sp.trainability_check("shaped_tanh", 1.0, 0.0),
    lambda: sp.trainability_check("tanh", 1.0, 0.0, dataset="mnist"),
])
def test_bad_input_raises_engine_error(call):
    with pytest.raises(EngineError):
        call()
