"""The kernels' random stream: xoshiro256+ in numba equals its pure-Python reference."""
import numpy as np

from engine.kernels import rng


def test_stream_matches_the_reference_bit_for_bit():
    for seed in (1, 12345, 2**64 - 5):
        assert np.array_equal(rng.uniforms(np.uint64(seed), 1000), rng.reference_uniforms(seed, 1000))


def test_block_draws_equal_one_at_a_time_draws_and_leave_the_same_state():
    st_a = rng.seeded_state(np.uint64(7))
    out = np.empty(300)
    rng.draw_uniforms(st_a, out, 257)
    one = rng.uniforms(np.uint64(7), 258)
    assert np.array_equal(out[:257], one[:257])
    # the state is left exactly after the draws used: the next draw is the 258th
    out2 = np.empty(1)
    rng.draw_uniforms(st_a, out2, 1)
    assert out2[0] == one[257]


def test_uniforms_are_uniform():
    u = rng.uniforms(np.uint64(3), 200_000)
    assert 0.0 <= u.min() and u.max() < 1.0
    counts = np.histogram(u, bins=20, range=(0, 1))[0]
    chi2 = np.sum((counts - 10_000) ** 2 / 10_000)
    assert chi2 < 45  # 19 degrees of freedom: p ~ 1e-3


def test_exponential_ziggurat_matches_its_reference_bit_for_bit():
    for seed in (1, 12345, 2**63 + 7):
        stream = rng.ReferenceStream(seed)
        want = np.array([stream.exponential() for _ in range(3000)])
        np.testing.assert_array_equal(rng.exponentials(np.uint64(seed), 3000), want)


def test_exponential_ziggurat_draws_exp1():
    import math

    from scipy import stats

    x = rng.exponentials(np.uint64(11), 400_000)
    assert x.min() >= 0.0
    assert stats.kstest(x, "expon").pvalue > 1e-3
    # the tail beyond r = 7.697 is a branch of its own (r + Exp(1)); P(X > r) = e^{-r}
    r = rng.EXP_X[1]
    p_tail = math.exp(-r)
    n_tail = np.count_nonzero(x > r)
    assert abs(n_tail - p_tail * x.size) < 5 * math.sqrt(p_tail * x.size) + 1
    # the wedges: P(X > a) = e^{-a} at a few points between layers
    for a in (0.05, 0.5, 1.0, 2.5, 5.0):
        p = math.exp(-a)
        assert abs(np.mean(x > a) - p) < 5 * math.sqrt(p * (1 - p) / x.size)
    # the layer table: equal areas, closing at the top
    xs, f = rng.EXP_X, rng.EXP_F
    areas = xs[1:-1] * (f[2:] - f[1:-1])
    np.testing.assert_allclose(areas, areas[0], rtol=1e-9)
    assert abs(xs[255] * (1.0 - f[255]) - areas[0]) < 1e-9
    assert abs(r * math.exp(-r) + math.exp(-r) - areas[0]) < 1e-12  # the base strip has the same area
