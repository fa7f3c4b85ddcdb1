"""Training: reproducible for a seed, reaches a sensible accuracy, reports progress, stops on request."""
import numpy as np
import pytest

from engine.data import load_dataset
from engine.errors import EngineError
from engine.network import Network
from engine.training import NetworkSpec, train


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", seed=0)


def test_reproducible_for_a_seed_and_different_across_seeds():
    data = load_dataset("moons", seed=0, n_samples=200)
    a = train(NetworkSpec((8,), "tanh"), data, epochs=3, seed=4)
    b = train(NetworkSpec((8,), "tanh"), data, epochs=3, seed=4)
    c = train(NetworkSpec((8,), "tanh"), data, epochs=3, seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a.network.weights, b.network.weights))
    assert a.history == b.history
    assert not np.array_equal(a.network.weights[0], c.network.weights[0])


def test_digits_reaches_a_sensible_accuracy(digits):
    r = train(NetworkSpec((32,), "tanh"), digits, epochs=10, lr=1e-2, seed=0)
    assert r.history["test_accuracy"][-1] > 0.93
    assert r.history["loss"][-1] < r.history["loss"][0] / 5
    # the card's accuracy is the network's measured accuracy
    assert r.network.accuracy(digits.X_test, digits.y_test) == pytest.approx(r.network.card["test_accuracy"], abs=1e-6)


def test_snapshots_and_callback_stop(digits):
    seen = []

    def cb(p):
        seen.append((p.done, p.data["history"]["test_accuracy"][-1]))
        return p.done >= 3

    r = train(NetworkSpec((16,), "relu"), digits, epochs=10, seed=1, callback=cb, snapshot_every=2)
    assert r.stopped_early and r.history["epoch"][-1] == 3
    assert [e for e, _ in r.snapshots] == [0, 2]
    assert [d for d, _ in seen] == [1, 2, 3]
    assert r.network.card["epochs"] == 3


def test_continuing_from_a_network_does_not_modify_it(digits):
    net = Network.random([64, 8, 10], "tanh", seed=0)
    before = net.weights[0].copy()
    train(net, digits, epochs=1, seed=0)
    assert np.array_equal(before, net.weights[0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(epochs=-1), "epochs"), (dict(lr=0.0), "lr"), (dict(optimizer="lbfgs"), "optimizer"),
    (dict(batch_size=0), "batch_size"),
])
def test_bad_input(digits, kwargs, match):
    with pytest.raises(EngineError, match=match):
        train(NetworkSpec((4,), "tanh"), digits, **kwargs)


def test_architecture_must_match_the_data(digits):
    with pytest.raises(EngineError, match="64 inputs"):
        train(Network.random([3, 4, 10], "tanh", seed=0), digits, epochs=1)
    with pytest.raises(EngineError, match="activation"):
        train(NetworkSpec((4,), "swish"), digits, epochs=1)


def test_divergence_raises_or_stops_on_request():
    data = load_dataset("iris", seed=0)
    spec = NetworkSpec((8, 8, 8), "relu", weight_variance=8.0)
    with pytest.raises(EngineError, match="lr"):
        train(spec, data, epochs=5, lr=1e200, optimizer="sgd", seed=0)
    r = train(spec, data, epochs=5, lr=1e200, optimizer="sgd", seed=0, stop_on_divergence=True)
    assert r.diverged and np.isnan(r.history["loss"][-1])
    assert all(np.all(np.isfinite(w)) for w in r.network.weights)  # the last finite state is kept
