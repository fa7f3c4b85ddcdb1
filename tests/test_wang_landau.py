"""Wang-Landau: the kernel against its reference, the density of states against exact enumeration.

Stated tolerance: with ``log_f_final = 1e-5`` on 12-16 spins and 15-30 bins, ln g agrees with the
enumeration to 0.15 in every bin (the constant is fixed by Σ g = 2^N on both). The error of the
1/t algorithm goes as sqrt(ln f): over 5 seeds the worst bin was 0.06-0.07 at 1e-5 and 0.2 at 1e-4.
"""
import math

import numpy as np
import pytest

import engine.wang_landau as wl
from engine.errors import EngineError
from engine.exact import exact_density_of_states, square_lattice
from engine.ising import IsingModel
from engine.kernels import wang_landau as K
from engine.kernels.gray import neighbour_segments
from engine.kernels.rng import seeded_state
from engine.network import Network
from engine.progress import Progress
from engine.thermo import thermodynamics
from engine.wang_landau import default_bin_width, energy_grid, wang_landau

LN_G_TOL = 0.15
FAST = dict(log_f_final=1e-5)


def mlp(widths=(6, 5, 3), seed=0, fields=False):
    net = Network.random(list(widths), seed=seed, bias_variance=0.5 if fields else 0.0)
    return IsingModel.from_network(net, fields=fields)


def dense(n=12, seed=5):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n, n)), 1)
    return IsingModel.from_couplings(J + J.T, 0.5 * rng.normal(size=n))


def compare(model, dos):
    """Exact DOS on the walk's bins; asserts both found the same bins; returns max |Δ ln g|."""
    ex = exact_density_of_states(model, bin_width=dos.bin_width)
    assert np.array_equal(ex.energies[ex.visited], dos.energies[dos.visited])  # every bin found, no extra
    return float(np.max(np.abs(ex.log_g[ex.visited] - dos.log_g[dos.visited]))), ex


# ------------------------------------------------------------------------------ kernel vs reference

def pruned_net():
    """A 12-8-4 net with three weights zero: input and hidden spins 0-2 each lose one neighbour (the CSR
    drops zero couplings), the other spins of those layers keep the same neighbours."""
    net = Network.random([12, 8, 4], seed=2)
    net.weights[0][[0, 1, 2], [0, 1, 2]] = 0.0
    return net


@pytest.mark.parametrize("kind", ["dense layers", "pruned layers", "float32 layers", "dense couplings"])
def test_apply_flips_equals_its_reference_and_a_fresh_computation(kind):
    from engine.kernels.gray import apply_flips, apply_flips_reference, neighbour_runs
    if kind == "dense couplings":
        model = dense(14, seed=1)
    else:
        net = pruned_net() if kind == "pruned layers" else Network.random([12, 8, 4], seed=2)
        if kind == "float32 layers":
            net.weights = [w.astype(np.float32).astype(np.float64) for w in net.weights]
        model = IsingModel.from_network(net, fields=True)
    segs = neighbour_segments(model.indptr, model.indices)
    first = neighbour_runs(segs[0], segs[1], segs[3])
    rows = [tuple(model.indices[model.indptr[i]:model.indptr[i + 1]]) for i in range(model.n_spins)]
    assert all(first[i] == (first[i - 1] if i > 0 and rows[i] == rows[i - 1] else i) for i in range(model.n_spins))
    rng = np.random.default_rng(0)
    s = model.random_spins(seed=1).astype(np.int8)
    h = model.local_fields(s)
    shared = mixed = 0
    for trial in range(40):
        n = int(rng.integers(0, 13))
        flipped = np.sort(rng.choice(model.n_spins if kind == "dense couplings" else 12, n, replace=False))
        s[flipped] *= -1
        want = h.copy()
        apply_flips_reference(flipped, s, want, model.indptr, model.indices, model.data)
        apply_flips(flipped.astype(np.int64), n, s, h, first, *segs, model.kernel_data)
        assert np.array_equal(h, want)  # the same additions in the same order
        assert np.allclose(h, model.local_fields(s), atol=1e-12)
        for r in range(0, n - n % 4, 4):
            same = first[flipped[r + 3]] <= flipped[r]
            shared += same
            mixed += not same
    # the cases exercised both ways of applying a group of four
    if kind == "pruned layers":
        assert shared > 0 and mixed > 0
    elif kind == "dense couplings":
        assert shared == 0 and mixed > 0
    else:
        assert shared > 0 and mixed == 0


def _walker(model, grid, spins, window):
    s = spins.astype(np.int8).copy()
    e = model.energy(s)
    B = grid.n_bins
    return dict(s=s, h=model.local_fields(s), lg=np.zeros(B), hist=np.zeros(B, dtype=np.int64),
                vis=np.zeros(B, dtype=np.bool_), scal=np.array([e, 1.0, e, e]),
                cnt=np.zeros(K.N_COUNTERS, dtype=np.int64), lo=window[0], hi=window[1])


@pytest.mark.parametrize("case", ["whole grid", "approach a window", "leave the grid", "converge", "dense couplings",
                                  "float32 couplings", "layer runs of 3 n_l steps", "pruned layers"])
def test_walk_kernel_equals_its_reference_for_the_same_stream(case):
    model = mlp((5, 4, 3), seed=1, fields=True)
    width = 0.5
    if case == "dense couplings":  # not layered: one block of the schedule, all spins
        model = dense(10, seed=4)
    elif case == "pruned layers":  # wider layers, some weights zero: flips applied four at a time and one at a time
        model = IsingModel.from_network(pruned_net())
        width = 1.0
    elif case == "float32 couplings":  # as trained networks: the kernel reads float32, the reference float64
        net = Network.random([5, 4, 3], seed=1, bias_variance=0.5)
        net.weights = [w.astype(np.float32).astype(np.float64) for w in net.weights]
        model = IsingModel.from_network(net, fields=True)
        assert model.kernel_data.dtype == np.float32
    bound = model.energy_bound()
    grid = energy_grid(model, width, -bound, bound)
    spins = np.ones(model.n_spins)
    window, flatness, final, n_steps = (0, grid.n_bins), 0.3, 1e-9, 4000
    schedule = wl.site_schedule(model, run=3 if case == "layer runs of 3 n_l steps" else 1)
    assert schedule.deferred == (case != "dense couplings")  # layers: net field changes at the end of a run
    if case in ("whole grid", "dense couplings", "float32 couplings", "layer runs of 3 n_l steps", "pruned layers"):
        flatness, n_steps = 0.05, 30_000  # easy flatness: many halvings, then the switch to 1/t
    elif case == "approach a window":
        e0 = model.energy(spins)  # ≈ 0; the window sits in the upper half of the range (E_max ≈ 9.4)
        window = tuple(int(x) for x in grid.index([e0 + 4, e0 + 8]))
    elif case == "leave the grid":
        grid = energy_grid(model, width, -4.0, 4.0)
        spins = model.random_spins(seed=3)
        while not -3 < model.energy(spins) < 3:
            spins = model.random_spins(seed=int(abs(model.energy(spins)) * 1000))
        window = (0, grid.n_bins)
    elif case == "converge":
        flatness, final, n_steps = 0.05, 0.05, 10_000
    w = _walker(model, grid, spins, window)
    w["cnt"][K.SCHEDULE] = 3  # resume mid-schedule
    seeds = (99, 7)
    args = (w["lo"], w["hi"])
    ref = K.walk_reference(n_steps, w["s"], w["h"], w["lg"], w["hist"], w["vis"], w["scal"], w["cnt"], *args, seeds,
                           model.indptr, model.indices, model.data, *schedule, grid.origin, grid.width, flatness,
                           final, True, 50)
    segs = neighbour_segments(model.indptr, model.indices)
    st = K.walker_streams(*seeds)
    status = K.walk(n_steps, w["s"], w["h"], w["lg"], w["hist"], w["vis"], w["scal"], w["cnt"], *args,
                    st, *segs, model.kernel_data, *schedule, grid.origin, 1.0 / grid.width, flatness, final, True, 50)
    assert status == ref[0]
    for name, got, want in zip(["s", "h", "lg", "hist", "vis", "scal", "cnt"],
                               [w[k] for k in ("s", "h", "lg", "hist", "vis", "scal", "cnt")], ref[1:]):
        assert np.array_equal(got, want), name  # the same arithmetic in the same order: bit for bit
    # the case exercised what it is named after
    if case in ("whole grid", "dense couplings", "float32 couplings", "layer runs of 3 n_l steps", "pruned layers"):
        assert w["cnt"][K.N_STAGES] > 0 and w["cnt"][K.PHASE] == K.ONE_OVER_T
    elif case == "approach a window":
        assert w["cnt"][K.N_APPROACH] > 0 and w["cnt"][K.STEPS] > 0
        assert not w["vis"][: w["lo"]].any() and not w["vis"][w["hi"]:].any()
    elif case == "leave the grid":
        assert status in (K.BELOW, K.ABOVE)
    else:
        assert w["cnt"][K.PHASE] == K.DONE and w["scal"][K.LOG_F] <= final
    # the tracked energy and fields are the model's
    assert np.isclose(w["scal"][K.ENERGY], model.energy(w["s"]))
    assert np.allclose(w["h"], model.local_fields(w["s"]))


def test_a_grid_exit_while_approaching_the_window_leaves_the_fields_current():
    """The approach path's own grid exit, with deferred flips pending in the layer run it leaves:
    kernel == reference bit for bit, and the fields are the model's (found missing in review)."""
    keys = ("s", "h", "lg", "hist", "vis", "scal", "cnt")
    exits_while_approaching = 0
    for seed in range(12):
        model = mlp((8, 8, 8), seed=seed)
        grid = energy_grid(model, 0.3, -3.0, 3.0)
        rng = np.random.default_rng(seed)
        while True:  # start in the lower third of the grid; the window is the top two bins
            s = model.random_spins(seed=int(rng.integers(1 << 30)))
            if -3.0 < model.energy(s) < -1.0:
                break
        w = _walker(model, grid, s, (grid.n_bins - 2, grid.n_bins))
        schedule, seeds = wl.site_schedule(model), (seed, 7)
        assert schedule.deferred
        ref = K.walk_reference(5000, *(w[k] for k in keys), w["lo"], w["hi"], seeds, model.indptr, model.indices,
                               model.data, *schedule, grid.origin, grid.width, 0.3, 1e-9, True, 50)
        segs = neighbour_segments(model.indptr, model.indices)
        status = K.walk(5000, *(w[k] for k in keys), w["lo"], w["hi"], K.walker_streams(*seeds), *segs,
                        model.kernel_data, *schedule, grid.origin, 1.0 / grid.width, 0.3, 1e-9, True, 50)
        assert status == ref[0]
        for k, want in zip(keys, ref[1:]):
            assert np.array_equal(w[k], want), (seed, k)
        assert np.allclose(w["h"], model.local_fields(w["s"])), seed
        exits_while_approaching += status != K.RAN and w["cnt"][K.STEPS] == 0 and w["cnt"][K.N_APPROACH] > 1
    assert exits_while_approaching >= 3  # the case happened


@pytest.mark.parametrize("cuts", [(1, 300, 699), (14, 280, 706)])
def test_a_walk_in_several_calls_continues_the_stream_and_the_schedule(cuts):
    """Stopping after any number of steps (not a multiple of the buffer) and resuming gives the one-call walk.

    A call returns with its fields up to date, so a call that ends inside a layer run applies that run's
    deferred field changes in two parts: the fields and E then agree to rounding, everything else exactly.
    Calls that end where layer runs end (multiples of N = 14 steps here) give the one-call walk bit for bit.
    """
    model = mlp((6, 5, 3), seed=2)
    grid = energy_grid(model, 0.5, -model.energy_bound(), model.energy_bound())
    segs, schedule = neighbour_segments(model.indptr, model.indices), wl.site_schedule(model)
    tail = (grid.origin, 1.0 / grid.width, 0.3, 1e-9, True, 50)
    one, two = (_walker(model, grid, np.ones(model.n_spins), (0, grid.n_bins)) for _ in range(2))
    st1, st2 = K.walker_streams(5, 6), K.walker_streams(5, 6)
    keys = ("s", "h", "lg", "hist", "vis", "scal", "cnt")
    K.walk(1000, *(one[k] for k in keys), one["lo"], one["hi"], st1, *segs, model.data, *schedule, *tail)
    for n in cuts:
        K.walk(n, *(two[k] for k in keys), two["lo"], two["hi"], st2, *segs, model.data, *schedule, *tail)
    assert np.array_equal(st1, st2)
    at_run_ends = all(n % model.n_spins == 0 for n in cuts)
    for k in keys:
        if k in ("h", "scal") and not at_run_ends:
            assert np.allclose(one[k], two[k], rtol=1e-13, atol=1e-13), k
        else:
            assert np.array_equal(one[k], two[k]), k
    assert one["cnt"][K.N_ACCEPTED] > 300


def test_site_schedule_runs_through_the_layers_and_proposes_every_spin_uniformly():
    model = mlp((6, 4, 2))
    start, size, left, deferred = wl.site_schedule(model)
    assert start.tolist() == [0] * 6 + [6] * 4 + [10] * 2 and size.tolist() == [6] * 6 + [4] * 4 + [2] * 2
    assert left.tolist() == [6, 5, 4, 3, 2, 1, 4, 3, 2, 1, 2, 1] and deferred
    start2, size2, left2, _ = wl.site_schedule(model, run=2)
    assert start2.tolist() == [0] * 12 + [6] * 8 + [10] * 4 and left2[:13].tolist() == list(range(12, 0, -1)) + [8]
    for start, size in ((start, size), (start2, size2)):
        site = np.empty(K.BUFFER, dtype=np.int64)
        st, p = seeded_state(1), 0
        counts = np.zeros(model.n_spins)
        for _ in range(400):
            p = K._fill_sites(st, site, K.BUFFER, p, start, size)
            counts += np.bincount(site, minlength=model.n_spins)
        # each spin is proposed once per N steps on average: chi-square against the uniform rate
        expected_count = counts.sum() / model.n_spins
        chi2 = float(np.sum((counts - expected_count) ** 2 / expected_count))
        assert chi2 < 35.0  # 11 degrees of freedom: P(chi2 > 35) ~ 2.5e-4
    dense_start, dense_size, dense_left, dense_deferred = wl.site_schedule(dense(7))
    assert np.all(dense_start == 0) and np.all(dense_size == 7) and dense_left.tolist() == [7, 6, 5, 4, 3, 2, 1]
    assert not dense_deferred  # every spin couples to others in its block: fields updated at once
    with pytest.raises(EngineError, match="run"):
        wl.site_schedule(model, run=0)


def test_greedy_descent_equals_reference_and_stops_in_a_local_minimum():
    model = dense(10, seed=2)
    J, b = model.dense_couplings(), model.fields
    segs = neighbour_segments(model.indptr, model.indices)
    for sign in (1.0, -1.0):
        s = model.random_spins(seed=4)
        want = K.greedy_descent_reference(J, b, s, sign, 100)
        h = model.local_fields(s)
        e0 = model.energy(s)
        de = K.greedy_descent(s, h, sign, *segs, model.data, 100)
        assert np.array_equal(s, want)
        assert np.isclose(e0 + de, model.energy(s))
        assert np.all(sign * 2 * s * model.local_fields(s) >= 0)  # no single flip improves sign·E


# ------------------------------------------------------------------------------ against exact enumeration

@pytest.mark.parametrize("name,model,kwargs", [
    ("field-free MLP", mlp(), dict(bin_width=0.6)),
    ("dense couplings with fields", dense(), dict(bin_width=2.0)),
    ("MLP with biases as fields", mlp((5, 5, 3), seed=3, fields=True), dict(bin_width=0.6)),
    ("square lattice 4x4 (integer levels)", square_lattice(4), {}),
    ("two windows", mlp(), dict(bin_width=0.6, n_windows=2, overlap=0.5)),
])
def test_density_of_states_matches_exact_enumeration(name, model, kwargs):
    dos = wang_landau(model, seed=7, **FAST, **kwargs)
    assert dos.converged and dos.log_f <= 1e-5
    err, ex = compare(model, dos)
    assert err < LN_G_TOL, name
    assert np.isclose(np.logaddexp.reduce(dos.log_g[dos.visited]), model.n_spins * math.log(2))
    assert dos.e_min == pytest.approx(ex.e_min) and dos.e_max == pytest.approx(ex.e_max)
    T = np.linspace(0.5, 4.0, 15)
    got, want = thermodynamics(dos, T), thermodynamics(ex, T)
    assert np.max(np.abs(got.U - want.U)) / model.n_spins < 0.02
    assert np.max(np.abs(got.C / want.C - 1)) < 0.06


def test_field_free_layered_walk_is_symmetric_within_tolerance():
    dos = wang_landau(mlp(), seed=8, bin_width=0.6, **FAST)
    assert dos.symmetric and dos.symmetry_error() < LN_G_TOL
    early = wang_landau(mlp(), seed=8, bin_width=0.6, max_steps=3000)
    assert not early.converged and early.symmetry_error() > dos.symmetry_error()
    assert dos.symmetrised().symmetry_error() < 1e-12


def test_plain_halving_without_the_one_over_t_switch():
    model = square_lattice(4)
    dos = wang_landau(model, seed=5, one_over_t=False, log_f_final=1e-4)
    assert dos.converged and dos.info["one_over_t_from_step"] == [0] and dos.log_f <= 1e-4
    assert compare(model, dos)[0] < 0.5  # plain Wang-Landau saturates: ~0.2 at 1e-4 over 5 seeds
    switched = wang_landau(model, seed=5, log_f_final=1e-4)
    assert switched.info["one_over_t_from_step"][0] > 0


def test_integer_model_walks_on_the_exact_levels():
    dos = wang_landau(square_lattice(4), seed=9, **FAST)
    assert dos.exact_levels and dos.bin_width == 4.0
    assert set(dos.energies[dos.visited].astype(int)) == set(range(-32, 33, 4)) - {-28, 28}


def test_unknown_range_grows_the_grid_and_opens_bins(monkeypatch):
    model = mlp()
    ones = np.ones(model.n_spins, dtype=np.int8)
    e0 = model.energy(ones)
    narrow = wl._Extremes(e0, e0, ones, ones, False)  # as if the quench had found nothing
    monkeypatch.setattr(wl, "_quench_extremes", lambda *a, **k: narrow)
    dos = wang_landau(model, seed=10, bin_width=0.6, **FAST)
    assert dos.converged and dos.info["grid_growths"] > 0
    err, _ = compare(model, dos)
    assert err < LN_G_TOL


def test_several_windows_cover_the_range_and_exchange():
    model = mlp((6, 6, 4), seed=4)
    dos = wang_landau(model, seed=11, bin_width=0.6, n_windows=3, overlap=0.5, **FAST)
    assert dos.n_windows == 3 and dos.converged and dos.info["joined_cleanly"]
    assert all(a > 0 for a in dos.info["exchange_attempts"])
    assert all(0 < a <= 1 for a in dos.info["exchange_acceptance"])
    err, _ = compare(model, dos)
    assert err < LN_G_TOL


# ------------------------------------------------------------------------------ stopping, progress, seeds

def test_max_steps_and_max_seconds_stop_early_with_a_flagged_estimate():
    model = mlp()
    dos = wang_landau(model, seed=1, bin_width=0.6, max_steps=20_000)
    assert not dos.converged and dos.n_steps <= 20_000 and dos.log_f > 1e-8
    assert np.isclose(np.logaddexp.reduce(dos.log_g[dos.visited]), model.n_spins * math.log(2))
    timed = wang_landau(model, seed=1, bin_width=0.6, log_f_final=1e-12, max_seconds=0.3)
    assert not timed.converged and timed.seconds < 5


def test_callback_sees_progress_and_the_current_estimate_and_can_stop():
    seen = []

    def callback(p):
        seen.append(p)
        return len(seen) >= 2

    dos = wang_landau(mlp(), seed=2, bin_width=0.6, log_f_final=1e-12, callback=callback)
    assert not dos.converged
    assert all(isinstance(p, Progress) for p in seen)
    assert seen[0].total == pytest.approx(12) and 0 <= seen[0].done <= seen[1].done <= 12
    assert seen[1].data.log_g.shape == seen[1].data.energies.shape
    assert len(seen) == 3 and seen[-1].data is dos  # a last report carries the result
    with pytest.raises(EngineError, match="callback"):
        wang_landau(mlp(), callback="print")


@pytest.mark.parametrize("n_windows", [1, 2])
def test_same_seed_same_result(n_windows):
    kw = dict(seed=3, bin_width=0.6, max_steps=300_000, n_windows=n_windows, overlap=0.5)
    a, b = wang_landau(mlp(), **kw), wang_landau(mlp(), **kw)
    assert np.array_equal(a.log_g, b.log_g) and a.n_steps == b.n_steps
    c = wang_landau(mlp(), **(kw | {"seed": 4}))
    assert not np.array_equal(a.log_g, c.log_g)


def test_default_bins_follow_the_documented_rule():
    model = IsingModel.from_network(Network.random([64, 32, 10], seed=0))
    width = default_bin_width(model)
    ext = wl._quench_extremes(model, neighbour_segments(model.indptr, model.indices))
    n_bins = (ext.e_max - ext.e_min) / width
    assert wl.MIN_BINS <= n_bins + 1e-9 and n_bins <= wl.MAX_BINS + 1e-9
    rows = np.repeat(np.arange(model.n_spins), np.diff(model.indptr))
    de_rms = 2 * np.sqrt(np.mean(np.bincount(rows, weights=model.data ** 2)))
    assert width == pytest.approx(de_rms) or n_bins in (pytest.approx(wl.MIN_BINS), pytest.approx(wl.MAX_BINS))
    assert ext.symmetric and ext.e_max == -ext.e_min and ext.e_min < 0
    assert default_bin_width(square_lattice(4)) == 4.0


# ------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("kwargs,match", [
    (dict(log_f_final=0.0), "log_f_final"), (dict(log_f_final=1.0), "log_f_final"),
    (dict(flatness=1.0), "flatness"), (dict(flatness=-0.1), "flatness"),
    (dict(bin_width=-1.0), "bin_width"), (dict(bin_width=float("nan")), "bin_width"),
    (dict(bin_width=1e-12), "bin_width"),
    (dict(max_seconds=0), "max_seconds"), (dict(max_steps=0), "max_steps"),
    (dict(n_windows=0), "n_windows"), (dict(n_windows=40), "n_windows"),
    (dict(n_windows=2, overlap=0.0), "overlap"), (dict(n_windows=2, overlap=0.9), "overlap"),
    (dict(one_over_t="yes"), "one_over_t"), (dict(seed=-1), "seed"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(EngineError, match=match):
        wang_landau(mlp(), **kwargs)


def test_bad_model():
    with pytest.raises(EngineError, match="IsingModel"):
        wang_landau(np.eye(4))
