"""Replica overlaps (engine.replicas) against exact enumeration, invariants and constructed cases.

Oracles: a brute-force double loop over all 2^N x 2^N pairs of states (N <= 6) for the
exact overlap distribution; the exact distribution (Walsh-Hadamard, N = 10) for the sampled
estimators, which must agree within their error bars; constructed samples whose overlaps
are known by construction.
"""
import numpy as np
import pytest

from engine import replicas as rp
from engine.errors import EngineError
from engine.ising import IsingModel
from engine.montecarlo import typical_field
from engine.network import Network


def all_states(n):
    """(2^n, n) int8 in the index order of engine.exact: bit i of c set means s_i = -1."""
    return (1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)).astype(np.int8)


def mlp(widths=(3, 4, 3), fields=False, seed=1):
    net = Network.random(list(widths), seed=seed, bias_variance=0.5 if fields else 0.0)
    return IsingModel.from_network(net, fields=fields)


def random_samples(rng, shape):
    return (2 * rng.integers(0, 2, size=shape) - 1).astype(np.int8)


# ------------------------------------------------------------------------------ kernel and invariants

def test_bit_packed_counts_match_the_numpy_reference(rng):
    S = random_samples(rng, (7, 4, 3, 203))
    pairs = rp.replica_pairs(4)
    # overlapping groups, sizes 5 to 203 (1 to 4 words of 64), boundaries off the word grid
    starts, stops = np.array([0, 5, 3, 0, 17, 64]), np.array([5, 83, 9, 203, 82, 192])
    np.testing.assert_array_equal(rp.agreement_counts(S, pairs, starts, stops),
                                  rp.agreement_counts_reference(S, pairs, starts, stops))


def test_moment_kernel_matches_the_numpy_reference(rng):
    sizes = np.array([5, 78, 6, 83])
    agree = rng.integers(0, sizes + 1, size=(9, 6, 3, 4)).astype(np.int32)
    np.testing.assert_allclose(rp.moment_sums(agree, sizes), rp.moment_sums_reference(agree, sizes),
                               rtol=1e-12, atol=1e-12)


def test_overlaps_are_the_normalised_spin_products(rng):
    S = random_samples(rng, (6, 3, 2, 12))
    ov = rp.overlaps_from_samples(S, [slice(0, 5), slice(5, 12)])
    q = ov.q
    for p, (a, b) in enumerate(ov.pairs):
        direct = (S[:, a].astype(float) * S[:, b]).reshape(6, 2, 12)
        np.testing.assert_allclose(q[:, p, :, 0], direct[..., :5].mean(-1))
        np.testing.assert_allclose(q[:, p, :, 1], direct[..., 5:].mean(-1))
        np.testing.assert_allclose(q[:, p, :, -1], direct.mean(-1))
    assert np.all(np.abs(q) <= 1)
    assert ov.names == ["layer 0", "layer 1", "all spins"] and ov.sizes.tolist() == [5, 7, 12]


def test_self_overlap_is_one_and_the_overlap_is_symmetric(rng):
    s = random_samples(rng, (5, 1, 2, 9))
    same = rp.overlaps_from_samples(np.concatenate([s, s], axis=1), [slice(0, 4), slice(4, 9)])
    assert np.all(same.q == 1.0)  # q_aa = 1
    S = random_samples(rng, (5, 2, 2, 9))
    ab = rp.overlaps_from_samples(S, [slice(0, 4)]).q
    ba = rp.overlaps_from_samples(S[:, ::-1], [slice(0, 4)]).q
    np.testing.assert_array_equal(ab, ba)  # q_ab = q_ba


def test_gauge_transformation_of_both_replicas_changes_no_overlap(rng):
    S = random_samples(rng, (4, 3, 2, 10))
    eps = random_samples(rng, (10,))
    a = rp.overlaps_from_samples(S, [slice(0, 3), slice(3, 10)])
    b = rp.overlaps_from_samples(S * eps, [slice(0, 3), slice(3, 10)])
    np.testing.assert_array_equal(a.agree, b.agree)


def test_a_global_flip_of_one_replica_negates_all_its_overlaps(rng):
    S = random_samples(rng, (4, 3, 2, 10))
    flipped = S.copy()
    flipped[:, 0] *= -1
    a = rp.overlaps_from_samples(S, [slice(0, 3), slice(3, 10)])
    b = rp.overlaps_from_samples(flipped, [slice(0, 3), slice(3, 10)])
    with0 = np.any(a.pairs == 0, axis=1)
    np.testing.assert_array_equal(b.q[:, with0], -a.q[:, with0])
    np.testing.assert_array_equal(b.q[:, ~with0], a.q[:, ~with0])


# ------------------------------------------------------------------------------ exact oracle

def brute_force_pq(model, T):
    """P(k) per group by the double loop over all pairs of states: slow and obvious."""
    s = all_states(model.n_spins).astype(float)
    E = model.energy(s)
    p = np.exp(-(E - E.min()) / T)
    p /= p.sum()
    joint = p[:, None] * p[None, :]
    groups = model.layer_slices() + [slice(0, model.n_spins)]
    out = []
    for g in groups:
        n = g.stop - g.start
        k = ((s[:, None, g] == s[None, :, g]).sum(-1))
        out.append(np.bincount(k.ravel(), weights=joint.ravel(), minlength=n + 1))
    return out


@pytest.mark.parametrize("fields", [False, True])
def test_exact_overlaps_match_a_brute_force_double_loop(fields):
    model = mlp((2, 3, 1), fields=fields)
    T = 0.8 * typical_field(model)
    ex = rp.exact_overlaps(model, [T])
    for got, want in zip(ex.pq, brute_force_pq(model, T)):
        np.testing.assert_allclose(got[0], want, atol=1e-12)
    assert ex.names == ["input", "hidden 1", "output", "all spins"]


def test_walsh_hadamard_is_its_own_inverse_up_to_2_to_the_n(rng):
    a = rng.normal(size=64)
    np.testing.assert_allclose(rp.walsh_hadamard(rp.walsh_hadamard(a)) / 64, a, atol=1e-12)
    u, c = 5, np.arange(64)
    assert np.isclose(rp.walsh_hadamard(a)[u], np.sum((-1.0) ** np.bitwise_count(u & c) * a))


def test_exact_pq_is_symmetric_without_fields_and_not_with_them():
    T = [0.5, 1.0, 2.0]
    sym = rp.exact_overlaps(mlp(fields=False), T)
    for pq in sym.pq:
        np.testing.assert_allclose(pq, pq[:, ::-1], atol=1e-12)
    np.testing.assert_allclose(sym.q_mean, 0.0, atol=1e-12)
    tilted = rp.exact_overlaps(mlp(fields=True), T)
    assert np.max(np.abs(tilted.pq[-1] - tilted.pq[-1][:, ::-1])) > 1e-3
    assert np.all(tilted.q_mean[:, -1] > 1e-3)  # fields align both replicas: <q> > 0


def test_odd_layer_flip_maps_j_to_minus_j_with_identical_overlaps():
    """The bipartite gauge: E(gs) = -E(s), so the model -J has exactly the overlap statistics of J."""
    model = mlp((3, 4, 3))
    minus = IsingModel.from_layers([-w for w in model.layer_weights])
    s = all_states(model.n_spins)
    g = model.odd_layer_flip()
    np.testing.assert_allclose(minus.energy(s * g), model.energy(s))
    a, b = rp.exact_overlaps(model, [0.4, 1.3]), rp.exact_overlaps(minus, [0.4, 1.3])
    for x, y in zip(a.pq, b.pq):
        np.testing.assert_allclose(x, y, atol=1e-12)


def test_free_spins_give_the_binomial_law_and_binder_one_over_n():
    model = mlp((3, 4, 3))
    ex = rp.exact_overlaps(model, [1e9])
    for g, n in enumerate(ex.sizes):
        np.testing.assert_allclose(ex.pq[g][0], rp.free_overlap_distribution(int(n))[1], atol=1e-8)
        assert ex.q2[0, g] == pytest.approx(1 / n, abs=1e-8)
        assert ex.binder[0, g] == pytest.approx(1 / n, abs=1e-7)


def test_ground_state_limit_gives_binder_one():
    model = mlp((3, 4, 3))
    ex = rp.exact_overlaps(model, [1e-3 * typical_field(model)])
    np.testing.assert_allclose(ex.binder[0], 1.0, atol=1e-6)  # q = ±1 only: a unique ground state pair
    np.testing.assert_allclose(ex.q_ea[0], 1.0, atol=1e-6)


# ------------------------------------------------------------------------------ sampled vs exact

@pytest.fixture(scope="module")
def tiny_run():
    model = mlp((3, 4, 3))
    T = np.array([0.3, 0.7, 1.5]) * typical_field(model)
    res = rp.replica_overlaps(model, T, 3000, n_replicas=4, n_runs=2, seed=11)
    return model, T, res, rp.exact_overlaps(model, T)


@pytest.mark.parametrize("name", ["q2", "q_abs", "q_ea", "q4", "binder", "q_mean"])
def test_sampled_estimators_agree_with_exact_enumeration_within_error_bars(tiny_run, name):
    _, _, res, ex = tiny_run
    est, err, exact = getattr(res.stats, name), getattr(res.stats, name + "_err"), getattr(ex, name)
    assert np.all(np.isfinite(err)) and np.all(err > 0)
    assert np.all(err < 0.05), err  # the error bars are informative, so the test can fail
    z = (est - exact) / err
    assert np.all(np.abs(z) < 4.0), z


def test_an_equilibrated_run_is_not_flagged_by_the_drift_check(tiny_run):
    st = tiny_run[2].stats
    assert np.all(np.abs(st.q2_drift) < 4 * st.q2_drift_err), st.q2_drift / st.q2_drift_err


def test_sampled_pq_agrees_with_exact_enumeration_bin_by_bin(tiny_run):
    _, T, res, ex = tiny_run
    for t in range(T.size):
        for layer in range(len(res.layer_names)):
            df = res.pq(layer if layer < len(res.layer_names) - 1 else -1, t)
            assert df["probability"].sum() == pytest.approx(1.0)
            exact = ex.pq[layer][t]
            big = exact > 0.005
            z = (df["probability"].to_numpy() - exact)[big] / df["probability_err"].to_numpy()[big]
            assert np.all(np.abs(z) < 4.5), (t, layer, z)


def test_sampled_pq_is_symmetric_without_fields(tiny_run):
    _, T, res, _ = tiny_run
    for t in range(T.size):
        df = res.pq(-1, t)
        p, e = df["probability"].to_numpy(), df["probability_err"].to_numpy()
        sig = np.sqrt(e ** 2 + e[::-1] ** 2)
        ok = sig > 0
        assert np.all(np.abs(p - p[::-1])[ok] / sig[ok] < 4.5)


def test_sampled_overlaps_follow_the_fields_when_there_are_fields():
    model = mlp((3, 4, 3), fields=True)
    T = np.array([0.6, 1.4]) * typical_field(model)
    res = rp.replica_overlaps(model, T, 2000, n_replicas=4, seed=3)
    ex = rp.exact_overlaps(model, T)
    z = (res.stats.q_mean - ex.q_mean) / res.stats.q_mean_err
    assert np.all(np.abs(z) < 4.0), z
    assert np.all(res.stats.q_mean[:, -1] > 5 * res.stats.q_mean_err[:, -1])  # an asymmetric P(q), resolved


def test_central_weight_is_the_weight_of_pq_between_the_peaks(tiny_run):
    _, _, res, ex = tiny_run
    w, err, cut = res.central_weight(-1, 0)
    assert cut == pytest.approx(0.5 * res.stats.q_ea[0, -1])
    q = ex.grid(-1)
    exact = ex.pq[-1][0][np.abs(q) < cut].sum()
    assert abs(w - exact) < 4 * err + 1e-12 and err < 0.02


# ------------------------------------------------------------------------------ Binder limits, errors

def test_binder_of_gaussian_overlaps_is_zero_and_of_two_peaks_is_one(rng):
    assert rp.binder_cumulant(0.04, 3 * 0.04 ** 2) == pytest.approx(0.0)
    assert rp.binder_cumulant(0.25, 0.25 ** 2) == pytest.approx(1.0)
    # independent spins (infinite T) in a 400-spin layer: q nearly Gaussian, g = 1/400 exactly in law
    free = rp.overlaps_from_samples(random_samples(rng, (1500, 4, 1, 400)), [slice(0, 400)]).stats()
    assert abs(free.binder[0, 0] - 1 / 400) < 4 * free.binder_err[0, 0] and abs(free.binder[0, 0]) < 0.05
    assert free.q2[0, 0] == pytest.approx(1 / 400, rel=0.1)
    # two sharp peaks at q = ±0.5: b = ±(a with a fixed quarter of the spins flipped)
    a = random_samples(rng, (300, 1, 1, 40))
    v = np.ones(40, np.int8)
    v[:10] = -1
    sign = random_samples(rng, (300, 1, 1, 1))
    two = rp.overlaps_from_samples(np.concatenate([a, a * v * sign], axis=1)).stats()
    assert set(np.unique(rp.overlaps_from_samples(np.concatenate([a, a * v * sign], axis=1)).q)) == {-0.5, 0.5}
    assert two.binder[0, -1] == pytest.approx(1.0) and two.q_ea[0, -1] == pytest.approx(0.5)


def test_stuck_chains_are_caught_by_the_run_jackknife(rng):
    """Every run's chains frozen in their own random states: no time variation inside a run, so
    binning sees (almost) nothing, but the runs disagree; the run jackknife must measure the
    true spread of <q²>."""
    def frozen(n_runs):
        S = np.repeat(random_samples(rng, (n_runs, 1, 4, 1, 30)), 20, axis=1).reshape(-1, 4, 1, 30)
        return rp.overlaps_from_samples(S, run=np.repeat(np.arange(n_runs), 20)).stats()

    one = frozen(1)
    assert one.err_bins["q2"][0, 0] == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(one.err_runs["q2"][0, 0])  # one run: no run jackknife
    st = frozen(8)
    assert st.err_runs["q2"][0, 0] > 1.5 * st.err_bins["q2"][0, 0] and st.q2_err[0, 0] == st.err_runs["q2"][0, 0]
    many = [frozen(8) for _ in range(150)]
    spread = np.std([m.q2[0, 0] for m in many])
    mean_err = np.sqrt(np.mean([m.q2_err[0, 0] ** 2 for m in many]))
    assert 0.8 < mean_err / spread < 1.25, (mean_err, spread)


def test_the_drift_check_flags_runs_that_still_relax(rng):
    """<q²> of the later half minus the earlier half: ~0 for stationary samples, large when the
    replicas only freeze together in the later half of each run."""
    def runs(relaxing):
        S = random_samples(rng, (4, 200, 3, 1, 50))  # 4 runs, 200 samples, 3 replicas
        if relaxing:
            S[:, 100:, 1:] = S[:, 100:, :1]  # later half: all replicas identical, q = 1
        return rp.overlaps_from_samples(S.reshape(-1, 3, 1, 50), run=np.repeat(np.arange(4), 200)).stats()

    still = runs(False)
    assert abs(still.q2_drift[0, -1]) < 4 * still.q2_drift_err[0, -1]
    moving = runs(True)
    assert moving.q2_drift[0, -1] == pytest.approx(1 - 1 / 50, abs=0.01)
    assert moving.q2_drift[0, -1] > 10 * moving.q2_drift_err[0, -1]


def test_empty_overlaps_give_nan_not_an_error():
    ov = rp.overlaps_from_samples(np.ones((0, 2, 3, 5), np.int8))
    st = ov.stats()
    assert np.all(np.isnan(st.q2)) and st.n_items == 0


# ------------------------------------------------------------------------------ runs, seeds, callbacks

def test_runs_added_one_at_a_time_equal_one_call_and_seeds_reproduce():
    model = mlp((3, 4, 3))
    T = [0.5, 1.0]
    whole = rp.replica_overlaps(model, T, 200, n_replicas=3, n_runs=3, seed=7)
    parts = [rp.replica_overlaps(model, T, 200, n_replicas=3, first_run=k, seed=7) for k in range(3)]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    np.testing.assert_array_equal(whole.overlaps.agree, merged.overlaps.agree)
    np.testing.assert_array_equal(whole.overlaps.run, merged.overlaps.run)
    np.testing.assert_array_equal(whole.swap_acceptance, merged.swap_acceptance)
    assert whole.n_runs == 3 and whole.run_ids == [(7, 0), (7, 1), (7, 2)]
    again = rp.replica_overlaps(model, T, 200, n_replicas=3, n_runs=3, seed=7)
    np.testing.assert_array_equal(whole.overlaps.agree, again.overlaps.agree)
    with pytest.raises(EngineError, match="twice"):
        parts[0].merge(parts[0])
    with pytest.raises(EngineError, match="temperatures"):
        parts[0].merge(rp.replica_overlaps(model, [0.5, 2.0], 20, n_replicas=3, seed=7))


def test_callback_sees_partial_results_and_can_stop():
    model = mlp((3, 4, 3))
    seen = []

    def cb(p):
        seen.append((p.done, p.total, p.data))
        return p.data is not None

    res = rp.replica_overlaps(model, [0.5, 1.0], 20000, n_replicas=2, n_runs=2, seed=1, callback=cb)
    assert res.stopped and res.n_runs == 1
    assert 0 < res.overlaps.n_samples < 10000
    assert isinstance(seen[-1][2], rp.ReplicaResult) and seen[-1][1] == 2 * 25000
    assert np.all(np.diff([d for d, _, _ in seen]) >= 0)


def test_to_frame_is_long_format_with_errors(tiny_run):
    _, T, res, _ = tiny_run
    df = res.to_frame()
    assert len(df) == T.size * 4
    for col in ("T", "layer", "layer_name", "q2", "q2_err", "q_abs", "q_ea", "q_ea_err", "binder", "binder_err",
                "q2_err_bins", "q2_err_runs", "q2_free", "q2_drift", "q2_drift_err", "swap_acceptance_next"):
        assert col in df
    assert set(df["layer"]) == {0, 1, 2, -1}
    assert np.all(df["q2_err"] >= np.fmax(df["q2_err_bins"], df["q2_err_runs"]) - 1e-15)
    assert df["swap_acceptance_next"].iloc[-1] != df["swap_acceptance_next"].iloc[-1]  # NaN on the last T


# ------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("samples, slices, match", [
    (np.ones((2, 3, 4), np.int8), None, "4-d"),
    (np.ones((2, 1, 2, 4), np.int8), None, "at least 2 replicas"),
    (np.zeros((2, 2, 2, 4), np.int8), None, "±1"),
    (np.ones((2, 2, 2, 4), np.int8), [slice(0, 5)], r"inside \[0, 4\)"),
    (np.ones((2, 2, 2, 4), np.int8), [slice(2, 2)], "non-empty"),
    (np.ones((2, 2, 2, 4), np.int8), [slice(0, 4, 2)], "step 1"),
    (np.ones((2, 2, 2, 4), np.int8), ["a"], "slice"),
    (np.ones((2, 2, 2, 4), np.int8), 3, "list of slices"),
])
def test_bad_samples_or_slices_raise_engine_errors(samples, slices, match):
    with pytest.raises(EngineError, match=match):
        rp.overlaps_from_samples(samples, slices)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_replicas=1), "n_replicas"),
    (dict(temperatures=[1.0, 0.5]), "increasing"),
    (dict(temperatures=[-1.0, 1.0]), "> 0"),
    (dict(n_sweeps=0), "n_sweeps"),
    (dict(keep_samples=0), "keep_samples"),
    (dict(keep_samples=101), "keep_samples"),
    (dict(n_runs=0), "n_runs"),
    (dict(first_run=-1), "first_run"),
    (dict(seed=-3), "seed"),
    (dict(sampler="gibbs"), "sampler"),
    (dict(model="not a model"), "IsingModel"),
])
def test_bad_replica_overlaps_inputs_raise_engine_errors(kwargs, match):
    args = dict(model=mlp((2, 2)), temperatures=[0.5, 1.0], n_sweeps=100)
    args.update(kwargs)
    with pytest.raises(EngineError, match=match):
        rp.replica_overlaps(args.pop("model"), args.pop("temperatures"), args.pop("n_sweeps"), **args)


def test_bad_lookups_and_exact_limits_raise_engine_errors(tiny_run):
    _, _, res, _ = tiny_run
    with pytest.raises(EngineError, match="layer"):
        res.pq(7, 0)
    with pytest.raises(EngineError, match="layer"):
        res.pq("no such layer", 0)
    with pytest.raises(EngineError, match="t_index"):
        res.pq(-1, 3)
    with pytest.raises(EngineError, match="cut"):
        res.central_weight(-1, 0, cut=-0.1)
    with pytest.raises(EngineError, match="at most 22 spins"):
        rp.exact_overlaps(mlp((12, 12)), [1.0])
    with pytest.raises(EngineError, match="> 0"):
        rp.exact_overlaps(mlp((2, 2)), [0.0])
    with pytest.raises(EngineError, match="Overlaps"):
        rp.overlap_stats("not overlaps")
    with pytest.raises(EngineError, match="names"):
        rp.overlaps_from_samples(np.ones((1, 2, 1, 4), np.int8), [slice(0, 2)], names=["a", "b"])
    with pytest.raises(EngineError, match="power of 2"):
        rp.walsh_hadamard(np.ones(6))


def test_inputs_are_not_modified(rng):
    S = random_samples(rng, (3, 3, 2, 8))
    before = S.copy()
    rp.overlaps_from_samples(S, [slice(0, 3)])
    np.testing.assert_array_equal(S, before)
