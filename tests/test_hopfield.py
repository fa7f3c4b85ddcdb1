"""Hopfield networks: Hebbian storage, zero-T recall kernel, capacity, AGS theory (engine.hopfield)."""
import math

import numpy as np
import pytest

from engine import hopfield as hf
from engine.errors import EngineError


@pytest.fixture(scope="module")
def small():
    return hf.store(hf.random_patterns(5, 40, seed=1))


# ------------------------------------------------------------------------------ storage

def test_hebbian_weights_match_the_definition():
    xi = hf.random_patterns(3, 12, seed=2)
    N = xi.shape[1]
    w = np.zeros((N, N))
    for i in range(N):
        for j in range(N):
            if i != j:
                w[i, j] = sum(xi[mu, i] * xi[mu, j] for mu in range(3)) / N
    assert np.array_equal(hf.hebbian_weights(xi), w)
    net = hf.store(xi)
    assert np.array_equal(net.weights, w)
    assert net.couplings.dtype == np.int16 and np.array_equal(net.couplings, net.couplings.T)


def test_energy_overlaps_and_ising_view_agree(small):
    s = np.stack([small.patterns[0], hf.corrupt(small.patterns[1], 0.4, seed=3)])
    e = small.energy(s)
    sf = s.astype(float)
    assert np.allclose(e, [-0.5 * x @ small.weights @ x for x in sf])
    assert np.allclose(small.overlaps(s), sf @ small.patterns.T / small.n_neurons)
    assert small.overlaps(small.patterns[2])[2] == 1.0
    assert np.allclose(small.to_ising().energy(s), e)
    assert np.allclose(small.local_fields(s[0]), small.weights @ sf[0])


def test_corrupt_flips_the_expected_fraction():
    p = np.ones(4000, dtype=np.int8)
    assert np.array_equal(hf.corrupt(p, 0.0, seed=0), p)
    assert np.array_equal(hf.corrupt(p, 1.0, seed=0), -p)
    flipped = np.mean(hf.corrupt(p, 0.2, seed=4) == -1)
    assert abs(flipped - 0.2) < 4 * math.sqrt(0.2 * 0.8 / 4000)


def test_digit_patterns_are_binarised_digits_and_upscale():
    xi, shape, labels = hf.digit_patterns((0, 1), upscale=2)
    assert xi.shape == (2, 256) and shape == (16, 16) and labels == ["0", "1"]
    img = xi[0].reshape(16, 16)
    assert np.array_equal(img[::2, ::2], img[1::2, 1::2])  # 2x2 blocks
    net = hf.store(xi, image_shape=shape, labels=labels)
    assert net.as_images(net.patterns).shape == (2, 16, 16)
    xi1, _, _ = hf.digit_patterns((0, 1))
    assert np.allclose(net.pattern_overlaps(), hf.store(xi1).pattern_overlaps())  # upscaling keeps overlaps


def test_pseudo_inverse_rule_makes_correlated_digits_fixed_points():
    xi, shape, labels = hf.digit_patterns((0, 1, 4, 7))
    hebb = hf.store(xi, image_shape=shape, labels=labels)
    proj = hf.store(xi, image_shape=shape, labels=labels, rule="pseudo_inverse")
    assert np.allclose(proj.weights, proj.weights.T) and np.all(np.diag(proj.weights) == 0)
    h = proj.local_fields(xi)
    assert np.all(h * xi > 0)                                   # every digit is a fixed point
    assert not np.all(hebb.local_fields(xi) * xi > 0)           # Hebbian: correlated digits are not
    for mu in range(4):
        res = hf.recall(proj, hf.corrupt(xi[mu], 0.1, seed=mu), seed=mu, frames_per_sweep=8)
        assert res.retrieved == mu and res.final_overlaps[mu] == 1.0
        assert np.all(np.diff(res.energies) <= 1e-12)


def test_hebbian_retrieves_two_digits_from_noise():
    xi, shape, _ = hf.digit_patterns((0, 1))
    net = hf.store(xi, image_shape=shape)
    for mu in range(2):
        res = hf.recall(net, hf.corrupt(xi[mu], 0.15, seed=20 + mu), seed=mu)
        assert res.final_overlaps[mu] == 1.0


# ---------------------------------------------------------------------- zero-T dynamics

@pytest.mark.parametrize("rule", ["hebbian", "pseudo_inverse"])
def test_kernel_equals_reference_for_the_same_stream(small, rule):
    net = hf.store(small.patterns, rule=rule)
    xi_t = np.ascontiguousarray(net.patterns.T)
    s0 = hf.corrupt(net.patterns[0], 0.35, seed=5)
    got = hf._recall_zero_t(net.couplings, xi_t, s0.copy(), 987654321, 8, 7)
    ref = hf.recall_zero_t_reference(net.couplings, xi_t, s0.copy(), 987654321, 8, 7)
    for k, (a, b) in enumerate(zip(got, ref)):
        if k == 2 and rule == "pseudo_inverse":  # float energies: incremental vs recomputed sums
            assert np.allclose(a, b, rtol=0, atol=1e-9)
        else:
            assert np.array_equal(a, b)  # Hebbian: exact integers, bit for bit
    assert got[4].sum() > 0  # the run did flip spins


def test_energy_never_increases_and_traces_are_consistent():
    net = hf.store(hf.random_patterns(30, 200, seed=6))
    s0 = np.where(np.random.default_rng(7).random(200) < 0.5, 1, -1).astype(np.int8)
    res = hf.recall(net, s0, n_sweeps=30, frames_per_sweep=200, seed=8)  # a record after every update
    assert np.all(np.diff(res.energies) <= 0)
    assert res.energies[-1] < res.energies[0]
    assert np.allclose(res.energies, net.energy(res.states))
    assert np.allclose(res.overlaps, net.overlaps(res.states))
    assert res.converged
    h = net.local_fields(res.final_state)
    assert np.all(h * res.final_state >= 0)  # a fixed point: no single flip lowers E
    assert len(res.to_frame()) == len(res.times)


def test_recall_is_reproducible_and_fixes_noisy_patterns(small):
    s0 = hf.corrupt(small.patterns[3], 0.15, seed=9)
    a = hf.recall(small, s0, seed=10, target=3)
    b = hf.recall(small, s0, seed=10, target=3)
    assert np.array_equal(a.states, b.states)
    assert a.retrieved == 3 and a.final_overlaps[3] == 1.0
    assert np.array_equal(s0, hf.corrupt(small.patterns[3], 0.15, seed=9))  # input not modified


def test_retrieval_at_low_load_and_collapse_above_capacity():
    """N = 1000: α = 0.05 keeps every probe at m >= 0.95; at α = 0.25 the mean over probes is < 0.6.

    Near α_c single patterns can survive at finite N, hence the mean over 10 probes.
    """
    res = hf.capacity_curve(1000, [0.05, 0.25], n_draws=1, n_probes=10, n_sweeps=100, seed=11)
    low, high = res.overlaps[0, 0], res.overlaps[1, 0]
    assert np.all(low >= 0.95)
    assert np.mean(high) < 0.6
    assert res.theory_m[0] > 0.99 and res.theory_m[1] == 0.0


def test_capacity_curve_shapes_and_errors():
    seen = []
    res = hf.capacity_curve(100, [0.05, 0.1, 0.3], n_draws=3, n_probes=4, seed=12,
                            callback=lambda p: seen.append(p.done) or p.done >= 2)
    assert res.stopped and seen == [1, 2] and res.alphas.shape == (2,)
    assert res.overlaps.shape == (2, 3, 4) and np.all(np.isfinite(res.m_err))
    frame = res.to_frame()
    assert list(frame.columns[:3]) == ["alpha", "n_patterns", "m_mean"]
    assert res.n_patterns.tolist() == [5, 10]


# --------------------------------------------------------------------------- T > 0

def test_recall_at_temperature_matches_curie_weiss():
    pytest.importorskip("engine.montecarlo")
    net = hf.store(hf.random_patterns(2, 400, seed=13))  # α = 0.005 ≈ 0: Curie-Weiss
    res = hf.recall(net, net.patterns[0], temperature=0.6, n_sweeps=60, seed=14)
    m = res.overlaps[20:, 0]
    m_cw = hf.ags_retrieval(0.0, 0.6).m
    assert abs(m.mean() - m_cw) < 0.04
    assert np.allclose(res.energies, net.energy(res.states))


def test_phase_points_retrieve_at_low_temperature_only():
    pytest.importorskip("engine.montecarlo")
    pts = hf.phase_diagram_points(100, [0.03], [0.0, 0.3, 1.3], n_draws=2, n_probes=2, n_sweeps=30, seed=15)
    assert pts.retrieved[0].tolist() == [True, True, False]
    assert len(pts.to_frame()) == 3


# --------------------------------------------------------------------------- AGS theory

def test_ags_zero_temperature_capacity():
    assert abs(hf.ags_critical_alpha(0.0) - 0.138) < 0.0015
    # just below α_c the T = 0 retrieval state exists with m ≈ 0.967, just above it does not
    below, above = hf.ags_retrieval(0.137, 0.0), hf.ags_retrieval(0.139, 0.0)
    assert below.exists and 0.96 < below.m < 0.98 and not above.exists


def test_ags_spin_glass_line_is_one_plus_sqrt_alpha():
    for alpha in (0.01, 0.05, 0.1):
        tg = 1 + math.sqrt(alpha)
        assert hf.ags_spin_glass(alpha, tg - 0.01).q > 1e-3
        assert hf.ags_spin_glass(alpha, tg + 0.01).q == 0.0


def test_ags_small_alpha_is_curie_weiss():
    for T in (0.3, 0.7, 0.9):
        m = hf.ags_retrieval(1e-7, T).m
        assert abs(m - math.tanh(m / T)) < 1e-6 and m > 0.3


def test_ags_phase_diagram_lines():
    pd_ = hf.ags_phase_diagram(8)
    assert abs(pd_.alpha_c - 0.138) < 0.0015
    assert pd_.temperatures[0] == 0.0 and pd_.temperatures[-1] == 1.0
    hot = pd_.temperatures >= 0.1                               # (RS is slightly re-entrant below T ≈ 0.03)
    assert np.all(np.diff(pd_.alpha_retrieval[hot]) < 0)        # T_M falls with α
    assert abs(pd_.alpha_global[0] - 0.051) < 0.002             # global minima below α ≈ 0.051 at T = 0
    assert np.all(pd_.alpha_global[:-1] < pd_.alpha_retrieval[:-1])
    assert np.allclose(pd_.t_glass, 1 + np.sqrt(pd_.alphas))
    assert set(pd_.to_frame()["line"]) == {"T_M", "T_c", "T_g"}


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call", [
    lambda: hf.store(np.ones((0, 10))),                                # P = 0
    lambda: hf.store(np.ones((11, 10))),                               # P > N
    lambda: hf.store(np.ones((1, 2))),                                 # N too small
    lambda: hf.store(np.ones((1, hf.MAX_NEURONS + 1))),                # N too large
    lambda: hf.store(np.zeros((2, 10))),                               # not ±1
    lambda: hf.store(np.ones((2, 10)), image_shape=(3, 3)),
    lambda: hf.store(np.ones((2, 10)), rule="storkey"),
    lambda: hf.random_patterns(0, 10),
    lambda: hf.random_patterns(20, 10),
    lambda: hf.corrupt(np.ones(10), 1.5),                              # noise outside [0, 1]
    lambda: hf.corrupt(np.ones(10), -0.1),
    lambda: hf.digit_patterns((0, 0)),
    lambda: hf.digit_patterns((0, 12)),
    lambda: hf.capacity_curve(100, [0.0, 0.1]),
    lambda: hf.capacity_curve(2),
    lambda: hf.capacity_curve(100, [0.1], noise=2.0),
    lambda: hf.ags_retrieval(0.1, -1.0),
    lambda: hf.ags_spin_glass(-0.1, 0.5),
    lambda: hf.phase_diagram_points(hf.MAX_NEURONS_THERMAL + 1),
    lambda: hf.phase_diagram_points(50, temperatures=[-0.5]),
])
def test_bad_input_raises_engine_error(call):
    with pytest.raises(EngineError):
        call()


@pytest.mark.parametrize("kwargs", [
    {"temperature": -0.1}, {"n_sweeps": 0}, {"frames_per_sweep": 0}, {"temperature": 0.5, "frames_per_sweep": 2},
    {"target": 9},
])
def test_bad_recall_arguments(small, kwargs):
    with pytest.raises(EngineError):
        hf.recall(small, small.patterns[0], **kwargs)


def test_bad_initial_state(small):
    with pytest.raises(EngineError, match="initial"):
        hf.recall(small, np.zeros(small.n_neurons))
    with pytest.raises(EngineError, match="initial"):
        hf.recall(small, np.ones(small.n_neurons + 1))
