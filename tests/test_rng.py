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
