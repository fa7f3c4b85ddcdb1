"""The thermal deep learning machine: energy and force, integrator, walls, observables, runs."""
import math

import numpy as np
import pytest

from engine.errors import EngineError
from engine.kernels import thermal_machine as K
from engine.kernels.rng import seeded_state
from engine import thermal_machine as tm
from engine.thermal_machine import Dynamics, MachineConfig, MachineData

TINY = MachineConfig(M=12, N=4, L=3, t_w=60, t_run=60, n_times=5, n_replicas=3)


def _toy_data(M=7, n_in=5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, M)
    X_test = np.where(rng.random((9, n_in)) > 0.5, 1.0, -1.0)
    return MachineData(np.where(rng.random((M, n_in)) > 0.5, 1.0, -1.0), tm.one_hot_pm(y), y,
                       X_test, rng.integers(0, 2, 9))


def _toy_state(R=2, N=3, L=4, seed=1, M=7):
    state = tm.init(_toy_data(M), N, L, n_replicas=R, seed=seed)
    # replicas that differ, so that per-replica bookkeeping is exercised
    state.x[...] = np.random.default_rng(seed).uniform(-0.9, 0.9, state.x.shape)
    return state


def _energy_by_definition(state, r):
    """E_l = sqrt(Σ_μ Σ_i [S^μ_{l,i} - tanh(Σ_j J_{l,ij} S^μ_{l-1,j})]²), loop by loop."""
    L = state.layout.L
    out = []
    for l in range(1, L + 1):
        S_prev, S, J = state.spins(l - 1)[r], state.spins(l)[r], state.weights(l)[r]
        total = 0.0
        for mu in range(state.layout.M):
            for i in range(S.shape[1]):
                total += (S[mu, i] - math.tanh(sum(J[i, j] * S_prev[mu, j] for j in range(J.shape[1])))) ** 2
        out.append(math.sqrt(total))
    return np.array(out)


# ---------------------------------------------------------------------------------- energy, force

def test_layer_energies_match_the_definition_and_the_reference():
    state = _toy_state()
    e = tm.layer_energies(state)
    for r in range(state.n_replicas):
        np.testing.assert_allclose(e[r], _energy_by_definition(state, r), rtol=1e-12)
    np.testing.assert_allclose(e, K.layer_energies_reference(state.x, *state._kernel_args()), rtol=1e-12)
    assert np.allclose(tm.hamiltonian(e), e.sum(axis=1))
    assert np.allclose(tm.hamiltonian(e, "squared"), (e ** 2).sum(axis=1))


@pytest.mark.parametrize("squared", [False, True])
def test_force_matches_torch_autograd(squared):
    torch = pytest.importorskip("torch")
    state = _toy_state(R=2, N=3, L=4)
    lay = state.layout
    g = K.gradient(state.x, *state._kernel_args(), squared)
    np.testing.assert_allclose(g, K.gradient_reference(state.x, *state._kernel_args(), squared), rtol=1e-10,
                               atol=1e-13)
    x = torch.tensor(state.x, requires_grad=True)
    s0, sl = torch.tensor(state.s0t), torch.tensor(state.slt)
    H = 0.0
    for r in range(state.n_replicas):
        for l in range(1, lay.L + 1):
            J = x[r, lay.weight_slice(l)].reshape(lay.widths[l], lay.widths[l - 1])
            prev = s0 if l == 1 else x[r, lay.spin_slice(l - 1)].reshape(lay.widths[l - 1], lay.M)
            cur = sl if l == lay.L else x[r, lay.spin_slice(l)].reshape(lay.widths[l], lay.M)
            e2 = ((cur - torch.tanh(J @ prev)) ** 2).sum()
            H = H + (e2 if squared else torch.sqrt(e2))
    H.backward()
    np.testing.assert_allclose(g, x.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_force_matches_finite_differences():
    state = _toy_state(R=1, N=2, L=3, M=4)
    g = K.gradient(state.x, *state._kernel_args(), False)[0]
    h = 1e-6
    rng = np.random.default_rng(3)
    for k in rng.choice(state.layout.n_free, size=12, replace=False):
        xp, xm = state.x.copy(), state.x.copy()
        xp[0, k] += h
        xm[0, k] -= h
        args = state._kernel_args()
        fd = (K.layer_energies(xp, *args).sum() - K.layer_energies(xm, *args).sum()) / (2 * h)
        assert abs(fd - g[k]) < 1e-6 * max(1.0, abs(g[k])), (k, fd, g[k])


def test_tanh_kernel_matches_numpy_everywhere():
    rng = np.random.default_rng(0)
    a = np.concatenate([rng.normal(scale=4.0, size=20_000), rng.normal(scale=1e-9, size=500),
                        [0.0, 1e-300, -1e-300, 19.0, 20.0, 21.0, 40.0, -300.0, 1e300, -1e300]])
    t = K.tanh_kernel(a)
    ref = np.tanh(a)
    assert np.all(np.abs(t - ref) <= 4e-16 * np.maximum(np.abs(ref), 1e-300) + 1e-300)
    assert np.all(np.abs(t) <= 1.0)


# ---------------------------------------------------------------------------------- noise

def test_ziggurat_kernel_equals_its_python_reference():
    for seed in (1, 12345, 2**63 + 7):
        got = K.draw_normals(seeded_state(np.uint64(seed))[None, :].copy(), 400)[0]
        np.testing.assert_array_equal(got, K.normals_reference(seed, 400))


def test_ziggurat_draws_standard_normals():
    from scipy import stats

    z = K.draw_normals(np.stack([seeded_state(7), seeded_state(8)]), 40_000).ravel()
    assert stats.kstest(z, "norm").pvalue > 1e-3
    # the tail beyond r = 3.654 is drawn by a separate branch: its share must be right
    p_tail = math.erfc(K.ZIG_R / math.sqrt(2))
    n_tail = np.count_nonzero(np.abs(z) > K.ZIG_R)
    assert abs(n_tail - p_tail * z.size) < 5 * math.sqrt(p_tail * z.size) + 1
    assert abs(z.mean()) < 5 / math.sqrt(z.size) and abs(z.var() - 1) < 5 * math.sqrt(2 / z.size)
    # the layer table: equal areas, and it closes at the top
    x, f = K.ZIG_X, K.ZIG_F
    areas = x[1:-1] * (f[2:] - f[1:-1])
    np.testing.assert_allclose(areas, areas[0], rtol=1e-9)
    assert abs(x[255] * (1.0 - f[255]) - areas[0]) < 1e-9


# ---------------------------------------------------------------------------------- integrator

@pytest.mark.parametrize("energy", ["sqrt", "squared"])
def test_fast_step_equals_the_numpy_reference_for_the_same_noise(energy):
    state = _toy_state(R=2)
    state.v[...] = np.random.default_rng(5).normal(scale=0.3, size=state.v.shape)  # walls get hit
    dyn = Dynamics(dt=0.05, eta=0.1, kT=0.01, energy=energy)
    ref = state.copy()
    tm.step(state, 25, dyn)
    tm.step(ref, 25, dyn, backend="numpy")
    np.testing.assert_allclose(state.x, ref.x, rtol=0, atol=1e-11)
    np.testing.assert_allclose(state.v, ref.v, rtol=0, atol=1e-11)
    assert np.array_equal(state.rng, ref.rng) and state.step == ref.step == 25


def test_replicas_on_several_threads_give_the_same_numbers(monkeypatch):
    monkeypatch.setattr(tm, "_MIN_WORK_FOR_THREADS", 0)  # thread even this toy state
    dyn = Dynamics(dt=0.05, eta=0.1, kT=0.01)
    states = {}
    for threads in (1, 2, 3):
        state = _toy_state(R=3)
        state.v[...] = np.random.default_rng(5).normal(scale=0.3, size=state.v.shape)
        states[threads] = tm.step(state, 40, dyn, threads=threads)
    for threads in (2, 3):
        assert np.array_equal(states[threads].x, states[1].x) and np.array_equal(states[threads].v, states[1].v)
        assert np.array_equal(states[threads].rng, states[1].rng)
    assert not np.array_equal(states[1].x[0], states[1].x[1])  # the replicas did move apart


def test_one_kernel_step_is_the_literal_integrator():
    state = _toy_state(R=1)
    dyn = Dynamics(dt=0.01, eta=0.2, kT=1e-3)
    x0, v0 = state.x.copy(), state.v.copy()
    xi = K.draw_normals(state.rng.copy(), state.layout.n_free)
    tm.step(state, 1, dyn)
    F = -K.gradient(x0, *state._kernel_args(), False) - dyn.eta * v0 + math.sqrt(dyn.eta * (2 - dyn.eta) * dyn.kT) * xi
    v1 = v0 + F * dyn.dt
    np.testing.assert_allclose(state.v, v1, atol=1e-14)
    np.testing.assert_allclose(state.x, x0 + v1 * dyn.dt, atol=1e-14)  # no wall is hit from |x| < 0.9


def test_reflecting_walls_keep_everything_inside_even_after_huge_forces():
    state = _toy_state(R=2)
    state.v[...] = np.random.default_rng(0).normal(scale=1e6, size=state.v.shape)
    tm.step(state, 3, Dynamics(dt=0.5, eta=0.0, kT=0.0))
    assert np.all(np.abs(state.x) < 1.0)
    # the mirror images: r = 1.5 -> 0.5 (v flips), r = 3.5 -> -0.5 (v kept), r = -1.25 -> -0.75
    r, v = K.reflect_reference([1.5, 3.5, -1.25, 0.3, 1.0, 5.0 + 1e-12], [1.0, 1.0, -2.0, 4.0, 1.0, 1.0])
    np.testing.assert_allclose(r[:4], [0.5, -0.5, -0.75, 0.3])
    np.testing.assert_allclose(v[:4], [-1.0, 1.0, 2.0, 4.0])
    assert np.all(np.abs(r) < 1.0)


def test_clamped_layers_never_move():
    data = _toy_data()
    state = tm.init(data, 3, 4, n_replicas=2, seed=0)
    s0t, slt = state.s0t.copy(), state.slt.copy()
    tm.step(state, 50, Dynamics(dt=0.05, eta=0.1, kT=0.1))
    assert np.array_equal(state.s0t, s0t) and np.array_equal(state.slt, slt)
    assert np.array_equal(state.spins(0)[1], data.s0) and np.array_equal(state.spins(4)[0], data.sl)
    assert state.layout.n_free == 3 * 3 * 7 + 3 * 5 + 3 * 3 * 2 + 2 * 3  # S_1..S_3, J_1..J_4


def test_without_friction_and_noise_the_total_energy_is_conserved():
    # η = 0, smooth (squared) energy, small Δt: leapfrog conserves H + K to O(Δt²)
    state = _toy_state(R=1, N=3, L=3)
    state.x *= 0.5
    dyn = Dynamics(dt=1e-3, eta=0.0, kT=0.0, energy="squared")

    def total():
        return tm.hamiltonian(tm.layer_energies(state), "squared")[0] + 0.5 * np.sum(state.v ** 2)

    e0 = total()
    h0 = tm.hamiltonian(tm.layer_energies(state), "squared")[0]
    tm.step(state, 400, dyn)
    assert np.all(np.abs(state.x) < 0.99)  # no wall was touched
    moved = abs(tm.hamiltonian(tm.layer_energies(state), "squared")[0] - h0)
    assert moved > 1e-2 and abs(total() - e0) < 1e-2 * moved


def test_split_replicas_draws_maxwell_boltzmann_velocities():
    state = _toy_state(R=1)
    split = tm.split_replicas(state, 4, kT=2.5e-3, seed=0)
    assert split.x.shape[0] == 4 and np.all(split.x == state.x[0])
    assert len({row.tobytes() for row in split.rng}) == 4
    v = split.v.ravel()
    assert abs(v.var() / 2.5e-3 - 1) < 5 * math.sqrt(2 / v.size) and abs(v.mean()) < 5 * math.sqrt(2.5e-3 / v.size)
    assert state.n_replicas == 1  # unchanged


# ---------------------------------------------------------------------------------- observables

def test_overlaps_of_constructed_states():
    rng = np.random.default_rng(0)
    a = np.where(rng.random(1000) > 0.5, 1.0, -1.0)
    b = a.copy()
    b[:250] *= -1  # a quarter flipped: q = 1 - 2/4
    assert tm.overlap(a, a) == 1.0
    assert tm.overlap(a, b) == tm.overlap(b, a) == pytest.approx(0.5)
    assert tm.cosine_overlap(a, 2 * a) == pytest.approx(1.0)
    assert tm.cosine_overlap(a, -3 * a) == pytest.approx(-1.0)
    x = rng.uniform(-1, 1, (6, 50))
    q = tm.overlap(x[:, None, :], x[None, :, :])
    qc = tm.cosine_overlap(x[:, None, :], x[None, :, :])
    assert np.allclose(q, q.T) and np.all(np.abs(q) <= 1) and np.all(np.abs(qc) <= 1 + 1e-12)
    assert np.allclose(np.diag(qc), 1.0)
    assert np.isnan(tm.cosine_overlap(np.zeros(3), np.ones(3)))


def test_layer_overlaps_split_the_flat_vector_by_layer():
    state = _toy_state(R=2, N=3, L=4)
    lay = state.layout
    xa = np.where(state.x[0] > 0, 1.0, -1.0)
    xb = xa.copy()
    xb[lay.spin_slice(2)] *= -1            # layer-2 spins anti-aligned
    xb[lay.weight_slice(3)] = 0.0          # layer-3 weights orthogonal
    q, q_cos, Q, Q_cos = tm.layer_overlaps(xa, xb, lay)
    assert q.shape == (3,) and Q.shape == (4,)
    np.testing.assert_allclose(q, [1, -1, 1])
    np.testing.assert_allclose(Q, [1, 1, 0, 1])
    np.testing.assert_allclose(q_cos, q)
    assert np.isnan(Q_cos[2])
    # the state's own view agrees with the flat slices
    np.testing.assert_array_equal(state.spins(2)[1].T.ravel(), state.x[1, lay.spin_slice(2)])


def test_relaxation_time_of_a_known_exponential():
    lags = np.concatenate([[0], np.unique(np.round(np.logspace(0, 4, 200)))])
    tau0 = 321.0
    c = np.exp(-lags / tau0)
    assert tm.relaxation_time(lags, c) == pytest.approx(tau0, rel=2e-3)
    two = tm.relaxation_time(lags, np.stack([c, np.full_like(c, 0.9), np.full_like(c, 0.1)], axis=1))
    assert two[0] == pytest.approx(tau0, rel=2e-3) and np.isinf(two[1]) and np.isnan(two[2])


def test_liquid_solid_rule_and_solid_depth():
    q_star = np.array([0.9, 0.5, 0.2, 0.05, 0.3, np.exp(-1), 0.95])  # L = 8: hidden layers 1..7
    assert tm.liquid_layers(q_star).tolist() == [False, False, True, True, True, False, False]
    assert tm.solid_depth(q_star, 8) == 8 - 3
    assert tm.solid_depth(np.zeros(9), 10) == 1 and tm.solid_depth(np.ones(9), 10) == 10


def test_complete_linkage_clustering_of_replicas():
    # two families {0, 2} and {1, 3}: close within, far between
    Q = np.array([[1.0, 0.1, 0.9, 0.2],
                  [0.1, 1.0, 0.15, 0.8],
                  [0.9, 0.15, 1.0, 0.05],
                  [0.2, 0.8, 0.05, 1.0]])
    cl = tm.cluster_replicas(Q, layer=2)
    order = cl.order.tolist()
    assert {frozenset(order[:2]), frozenset(order[2:])} == {frozenset({0, 2}), frozenset({1, 3})}
    # complete linkage: the last merge is at the largest distance between the families
    assert cl.linkage[-1, 2] == pytest.approx(1 - 0.05)
    assert cl.linkage[0, 2] == pytest.approx(1 - 0.9)
    assert cl.dendrogram()["leaves"] == order and len(cl.to_frame()) == 16
    with pytest.raises(EngineError, match="Q_ab"):
        tm.cluster_replicas(np.ones((1, 1)))


def test_network_accuracy_of_a_hand_built_network():
    rng = np.random.default_rng(0)
    X = np.where(rng.random((50, 4)) > 0.5, 1.0, -1.0)
    y = (X[:, 0] > 0).astype(int)  # the class is the first pixel
    J1 = np.eye(3, 4)
    J2 = np.array([[-1.0, 0, 0], [1.0, 0, 0]])
    assert tm.network_accuracy([J1, J2], X, y) == 1.0
    assert tm.network_accuracy([J1, J2], X, y, activation="tanh") == 1.0
    assert tm.network_accuracy([J1, -J2], X, y) == 0.0


# ---------------------------------------------------------------------------------- runs

def test_run_is_reproducible_and_seeded():
    a = tm.run(TINY, 3)
    b = tm.run(TINY, 3)
    c = tm.run(TINY, 4)
    for name in ("energy", "acc_sign", "q", "Q_cos", "c", "q_ab"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.energy, c.energy)


def test_run_result_shapes_and_invariants():
    r = tm.run(TINY, 0)
    L, R = TINY.L, TINY.n_replicas
    assert r.times[0] == 0 and r.times[-1] == TINY.t_w + TINY.t_run and np.all(np.diff(r.times) > 0)
    assert r.lags[0] == 0 and r.lags[-1] == TINY.t_run
    assert r.energy.shape == (len(r.times), L) and r.mean_abs_s.shape == (len(r.times), L - 1)
    assert r.q.shape == (len(r.lags), L - 1) and r.Q.shape == (len(r.lags), L)
    assert r.energy_ratio[0] == 1.0
    # at lag 0 every replica is the t_w state: c_cos = C_cos = q_cos = Q_cos = 1
    for name in ("c_cos", "C_cos", "q_cos", "Q_cos"):
        np.testing.assert_allclose(getattr(r, name)[0], 1.0)
    np.testing.assert_allclose(r.q[0], r.c[0])
    assert np.all(np.abs(r.q) <= 1) and np.all(np.abs(r.Q_cos) <= 1 + 1e-12)
    assert r.q_ab.shape == (L - 1, R, R) and np.allclose(r.q_ab, np.swapaxes(r.q_ab, 1, 2))
    np.testing.assert_allclose(np.diagonal(r.q_ab_cos, axis1=1, axis2=2), 1.0)
    assert np.all((0 <= r.acc_sign) & (r.acc_sign <= 1)) and np.all(r.mean_abs_s < 1)
    frame = r.to_frame()
    assert list(frame["layer"]) == list(range(1, L + 1)) and np.isnan(frame["q_star"].iloc[-1])
    for col in ("ln_alpha", "N", "M", "L", "layer", "q_star", "q_star_cosine", "seed", "xi_s"):
        assert col in frame.columns
    assert frame["xi_s"].iloc[0] == r.solid_depth == tm.solid_depth(r.q_star, L)
    series = r.series_frame()
    assert set(series["series"]) >= {"energy_ratio", "E", "acc_sign", "acc_tanh", "mean_abs_s", "c", "C", "q", "Q"}
    cl = r.clustering(2)
    assert sorted(cl.order.tolist()) == list(range(R))


def test_callback_stops_the_run_and_flags_the_partial_result():
    seen = []

    def callback(p):
        seen.append(p.done)
        return p.done >= TINY.t_w + 10

    r = tm.run(TINY, 0, callback=callback, chunk=5)
    assert r.stopped and 0 < len(r.lags) < len(tm.log_times(TINY.t_run, TINY.n_times))
    # it stopped at the first report past the threshold (chunks of <= 5 steps)
    assert seen[-2] < TINY.t_w + 10 <= seen[-1] <= seen[-2] + 5 and np.all(np.diff(seen) > 0)
    assert r.to_frame()["stopped"].all()
    # stopped before the replicas exist: no overlaps yet, the tables still build (NaN)
    early = tm.run(TINY, 0, callback=lambda p: p.done >= 20, chunk=5)
    assert early.stopped and len(early.lags) == 0 and early.times[-1] < TINY.t_w
    frame = early.to_frame()
    assert frame["q_star"].isna().all() and len(frame) == TINY.L and len(early.series_frame()) > 0


def test_learning_lowers_the_energy_on_digits():
    # a short but real run: the literal integrator must release energy (E(t)/E(0) falls)
    r = tm.run(MachineConfig(M=40, N=6, L=3, t_w=3000, t_run=10, n_times=6, n_replicas=2), 0)
    assert r.energy_ratio[-1] < 0.5


def test_machine_data_keeps_balanced_examples():
    d = tm.machine_data(MachineConfig(M=40))
    assert d.s0.shape == (40, 64) and set(np.unique(d.s0)) == {-1.0, 1.0}
    assert abs(d.y_train.mean() - 0.5) <= 0.05
    np.testing.assert_array_equal(d.sl, tm.one_hot_pm(d.y_train))
    t = tm.machine_data(MachineConfig(dataset="teacher_student", M=30, n_features=12))
    assert t.s0.shape == (30, 12) and t.X_test.shape[1] == 12


# ---------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("change, name", [
    (dict(L=1), "L"), (dict(L=0), "L"), (dict(N=0), "N"), (dict(M=1), "M"), (dict(M=10_000), "M"),
    (dict(eta=-0.1), "eta"), (dict(eta=2.5), "eta"), (dict(eta=float("nan")), "eta"), (dict(t_w=-1), "t_w"),
    (dict(t_run=0), "t_run"), (dict(dt=0.0), "dt"), (dict(kT=-1.0), "kT"), (dict(n_replicas=0), "n_replicas"),
    (dict(energy="cubic"), "energy"), (dict(dataset="mnist"), "dataset"), (dict(classes=(1, 1)), "classes"),
    (dict(N=2.5), "N"),
])
def test_bad_config_is_an_engine_error(change, name):
    cfg = MachineConfig(**{**TINY.to_dict(), **change, "classes": change.get("classes", (0, 1))})
    with pytest.raises(EngineError, match=f"`{name}` must be"):
        tm.run(cfg, 0)


def test_other_bad_input_is_an_engine_error():
    state = _toy_state()
    with pytest.raises(EngineError, match="`backend` must be"):
        tm.step(state, 1, backend="torch")
    with pytest.raises(EngineError, match="`n_steps` must be"):
        tm.step(state, -1)
    with pytest.raises(EngineError, match="`eta` must be"):
        tm.step(state, 1, Dynamics(eta=3.0))
    with pytest.raises(EngineError, match="`threads` must be"):
        tm.step(state, 1, threads=0)
    with pytest.raises(EngineError, match="`seed` must be"):
        tm.run(TINY, -1)
    with pytest.raises(EngineError, match="`l` must be"):
        state.spins(9)
    with pytest.raises(EngineError, match="`layer` must be"):
        tm.run(TINY, 0).clustering(7)
    with pytest.raises(EngineError, match="`config` must be"):
        MachineConfig.from_dict({"M": 10, "alpha": 3})
