"""Restricted Boltzmann machines: exact oracles, CD/PCD, the Ising view, scikit-learn (engine.boltzmann)."""
import numpy as np
import pytest
from scipy import special

from engine import boltzmann as bm
from engine.errors import EngineError


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    return bm.RBM(rng.normal(0, 0.7, (5, 4)), rng.normal(0, 0.5, 5), rng.normal(0, 0.5, 4))


@pytest.fixture(scope="module")
def tiny_data():
    return (np.random.default_rng(1).random((30, 5)) < 0.3).astype(float)


@pytest.fixture(scope="module")
def digits():
    return bm.binary_digits()


def _joint_states(rbm):
    V = bm._all_states(rbm.n_visible)
    H = bm._all_states(rbm.n_hidden)
    return np.repeat(V, len(H), axis=0), np.tile(H, (len(V), 1))


# ------------------------------------------------------------------- exact small cases

def test_free_energy_equals_summing_out_the_hidden_units(tiny):
    V = bm._all_states(tiny.n_visible)
    H = bm._all_states(tiny.n_hidden)
    brute = np.array([-special.logsumexp([-tiny.energy(v, h) for h in H]) for v in V])
    assert np.allclose(tiny.free_energy(V), brute)


def test_log_partition_function_by_either_layer(tiny):
    Vj, Hj = _joint_states(tiny)
    log_z = special.logsumexp(-tiny.energy(Vj, Hj))
    assert np.isclose(bm.log_partition_function(tiny), log_z)
    flipped = bm.RBM(tiny.weights.T, tiny.hidden_bias, tiny.visible_bias)  # same Z, other layer enumerated
    assert np.isclose(bm.log_partition_function(flipped), log_z)


def test_conditionals_and_pseudo_likelihood_are_exact(tiny):
    V = bm._all_states(tiny.n_visible)
    F = tiny.free_energy(V)
    idx = {tuple(v): k for k, v in enumerate(V)}
    want = np.zeros(V.shape)
    for k, v in enumerate(V):
        for i in range(tiny.n_visible):
            u = v.copy()
            u[i] = 1 - u[i]
            want[k, i] = -F[k] - np.logaddexp(-F[k], -F[idx[tuple(u)]])  # ln P(v_i | v_-i)
    assert np.allclose(bm._conditional_log_probabilities(tiny, V), want)
    assert np.isclose(tiny.pseudo_log_likelihood(V), want.sum(axis=1).mean())


def test_exact_gradient_equals_finite_differences(tiny, tiny_data):
    g = bm.exact_gradient(tiny, tiny_data).flat()
    eps, fd = 1e-6, []
    for name in ("weights", "visible_bias", "hidden_bias"):
        for idx in np.ndindex(getattr(tiny, name).shape):
            plus, minus = tiny.copy(), tiny.copy()
            getattr(plus, name)[idx] += eps
            getattr(minus, name)[idx] -= eps
            diff = bm.exact_log_likelihood(plus, tiny_data) - bm.exact_log_likelihood(minus, tiny_data)
            fd.append(diff / (2 * eps))
    assert np.allclose(g, fd, atol=1e-7)


def test_cd1_gradient_agrees_with_the_exact_gradient(tiny, tiny_data):
    """CD-1 is biased but, for a small machine, points the same way with about the same size."""
    exact = bm.exact_gradient(tiny, tiny_data).flat()
    rng = np.random.default_rng(2)
    cd = np.mean([bm.cd_gradient(tiny, tiny_data, seed=rng).flat() for _ in range(200)], axis=0)
    cos = exact @ cd / np.linalg.norm(exact) / np.linalg.norm(cd)
    assert cos > 0.95
    assert 0.5 < np.linalg.norm(cd) / np.linalg.norm(exact) < 1.5
    big = np.abs(exact) > 0.1 * np.abs(exact).max()
    assert np.all(np.sign(cd[big]) == np.sign(exact[big]))


def test_pcd_training_raises_the_exact_likelihood(tiny_data):
    res = bm.train_rbm(tiny_data, 3, method="pcd", k=1, learning_rate=0.1, batch_size=5, n_epochs=40,
                       n_chains=20, seed=3)
    start = bm.RBM.random(5, 3, seed=3)
    assert bm.exact_log_likelihood(res.rbm, tiny_data) > bm.exact_log_likelihood(start, tiny_data) + 0.3
    assert res.n_updates == 40 * 6 and len(res.history.updates) == 41


# -------------------------------------------------------------------------- Ising view

def test_to_ising_preserves_boltzmann_weights(tiny):
    model = tiny.to_ising()
    assert model.is_layered and model.layer_sizes == [5, 4]
    assert np.allclose(model.layer_weights[0], tiny.weights.T / 4)
    Vj, Hj = _joint_states(tiny)
    spins = np.concatenate([2 * Vj - 1, 2 * Hj - 1], axis=1)
    e_rbm = tiny.energy(Vj, Hj)
    e_ising = model.energy(spins)
    assert np.allclose(e_rbm, e_ising + tiny.ising_offset)
    p_rbm = special.softmax(-e_rbm)
    p_ising = special.softmax(-e_ising)
    assert np.allclose(p_rbm, p_ising)


def test_ising_engine_samples_the_rbm_at_unit_temperature(tiny):
    """Heat-bath on ``to_ising()`` at T = 1 reproduces the RBM's exact visible marginals."""
    mc = pytest.importorskip("engine.montecarlo")
    model = tiny.to_ising()
    R = 400
    res = mc.heat_bath(model, 1.0, 50, spins=model.random_spins(R, seed=8), seed=9)
    v = (res.spins[:, :tiny.n_visible] + 1) / 2  # R independent final states
    V = bm._all_states(tiny.n_visible)
    exact = special.softmax(-tiny.free_energy(V)) @ V
    assert np.all(np.abs(v.mean(axis=0) - exact) < 5 * np.sqrt(exact * (1 - exact) / R))


def test_to_network_computes_hidden_probabilities(tiny, tiny_data):
    net = tiny.to_network()
    assert np.allclose(net.forward(tiny_data), tiny.hidden_probabilities(tiny_data))


# ------------------------------------------------------------------------- on digits

def test_training_lowers_reconstruction_error_on_digits(digits):
    X, Xt, _, _ = digits
    seen = []
    res = bm.train_rbm(X, 32, method="cd", k=1, n_epochs=3, test_data=Xt, image_shape=(8, 8), seed=4,
                       callback=lambda p: seen.append(p.done))
    h = res.history
    assert seen == [1, 2, 3]
    assert h.reconstruction_error[-1] < 0.7 * h.reconstruction_error[0]
    assert h.pseudo_log_likelihood[-1] > h.pseudo_log_likelihood[0]
    assert np.all(np.isfinite(h.free_energy_test))
    assert res.rbm.filters().shape == (32, 8, 8)
    assert len(res.to_frame()) == 4


def test_callback_stops_training(digits):
    res = bm.train_rbm(digits[0], 8, n_epochs=5, seed=5, callback=lambda p: p.done >= 2)
    assert res.stopped and res.history.epochs.tolist() == [0, 1, 2]


def test_gibbs_chain_shapes_and_reproducibility(tiny):
    a = bm.gibbs_chain(tiny, 3, 10, record_every=5, seed=6)
    b = bm.gibbs_chain(tiny, 3, 10, record_every=5, seed=6)
    assert a.steps.tolist() == [0, 5, 10] and a.states.shape == (3, 3, 5)
    assert np.array_equal(a.states, b.states)
    assert set(np.unique(a.states)) <= {0, 1} and np.all((a.probabilities >= 0) & (a.probabilities <= 1))


def test_gibbs_chain_samples_the_model(tiny):
    """Visible marginals of long chains against the exact P(v) (χ²-like bound on each marginal)."""
    V = bm._all_states(tiny.n_visible)
    p = special.softmax(-tiny.free_energy(V))
    exact = p @ V
    chain = bm.gibbs_chain(tiny, 200, 200, record_every=10, seed=7)
    samples = chain.states[5:].reshape(-1, tiny.n_visible)  # drop the first 40 steps
    est = samples.mean(axis=0)
    err = np.sqrt(exact * (1 - exact) / 200)  # chains are independent; records within a chain are not
    assert np.all(np.abs(est - exact) < 5 * err)


def test_same_algorithm_as_sklearn(digits, tiny):
    """Our p(h|v) and pseudo-likelihood reproduce scikit-learn's on the same parameters; PCD-1 training
    with the same settings lands on a similar machine (loosely: different random streams)."""
    from sklearn.neural_network import BernoulliRBM

    X = digits[0]
    sk = BernoulliRBM(n_components=4, random_state=3, n_iter=1).fit(X[:, :5])
    ours = bm.RBM(sk.components_.T, sk.intercept_visible_, sk.intercept_hidden_)
    assert np.allclose(ours.hidden_probabilities(X[:, :5]), sk.transform(X[:, :5]))
    cond = bm._conditional_log_probabilities(ours, X[:, :5])
    ind = np.random.RandomState(3).randint(0, 5, X.shape[0])  # score_samples' one random unit per row
    assert np.allclose(5 * cond[np.arange(X.shape[0]), ind], sk.score_samples(X[:, :5]))

    cmp = bm.compare_with_sklearn(X, n_hidden=16, n_epochs=2, seed=0)
    f = cmp.to_frame().set_index("implementation")
    r = f["reconstruction_error"]
    assert r.max() / r.min() < 1.3
    w = f["weight_std"]
    assert w.max() / w.min() < 1.3
    assert cmp.n_updates == 2 * int(np.ceil(X.shape[0] / 10))


def test_sklearn_comparison_reports_progress_and_can_be_stopped(digits):
    X = digits[0][:200]
    seen = []
    cmp = bm.compare_with_sklearn(X, n_hidden=8, n_epochs=2, seed=0, callback=lambda p: seen.append(p) and False)
    assert cmp is not None
    done = [p.done for p in seen]
    assert done == sorted(done) and done[-1] == seen[-1].total == 4  # our 2 epochs, then sklearn's fit
    assert any("scikit-learn" in p.message for p in seen) and any("engine.boltzmann" in p.message for p in seen)
    assert bm.compare_with_sklearn(X, n_hidden=8, n_epochs=2, seed=0, callback=lambda p: True) is None


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call", [
    lambda r, d: bm.train_rbm(d * 2 - 1, 4),                        # ±1 data, not {0, 1}
    lambda r, d: bm.train_rbm(d, 4, method="sgd"),
    lambda r, d: bm.train_rbm(d, 4, k=0),
    lambda r, d: bm.train_rbm(d, 4, learning_rate=0.0),
    lambda r, d: bm.train_rbm(d, 4, batch_size=0),
    lambda r, d: bm.train_rbm(d, 0),
    lambda r, d: bm.train_rbm(np.zeros((0, 5)), 4),
    lambda r, d: bm.train_rbm(d, 4, rbm="not an rbm"),
    lambda r, d: bm.train_rbm(d[:, :3], 4, rbm=r),                   # wrong width for the machine
    lambda r, d: bm.train_rbm(d, 4, test_data=d[:, :4]),
    lambda r, d: bm.cd_gradient(r, d, k=0),
    lambda r, d: bm.exact_gradient(bm.RBM.random(30, 25), np.zeros((2, 30))),   # too large to enumerate
    lambda r, d: bm.RBM(np.ones((3, 2)), np.zeros(2), np.zeros(2)),  # bias shape
    lambda r, d: bm.RBM(np.full((3, 2), np.nan), np.zeros(3), np.zeros(2)),
    lambda r, d: bm.RBM(np.ones((4, 2)), np.zeros(4), np.zeros(2), image_shape=(3, 3)),
    lambda r, d: r.free_energy(np.ones(4)),
    lambda r, d: r.pseudo_log_likelihood(np.full((2, 5), 0.5)),
    lambda r, d: bm.gibbs_chain(r, 0),
    lambda r, d: bm.gibbs_chain(r, 2, initial=np.zeros((3, 5))),
])
def test_bad_input_raises_engine_error(tiny, tiny_data, call):
    with pytest.raises(EngineError):
        call(tiny, tiny_data)
