"""Network: shapes, forward pass, torch round trip, safe files, shuffles, sub-networks."""
import json

import numpy as np
import pytest

from engine.errors import EngineError
from engine.network import MAX_MODEL_BYTES, Network


@pytest.fixture
def net():
    return Network.random([5, 7, 4, 3], "tanh", weight_variance=1.5, bias_variance=0.2, seed=3, name="t")


def test_shapes_and_counts(net):
    assert net.widths == [5, 7, 4, 3]
    assert net.n_layers == 3
    assert net.n_params == 5 * 7 + 7 + 7 * 4 + 4 + 4 * 3 + 3
    assert net.n_neurons == 19
    assert net.activations == ["tanh", "tanh", "linear"]


def test_forward_matches_explicit_formula(net, rng):
    X = rng.normal(size=(6, 5))
    h = X
    for w, b, a in zip(net.weights, net.biases, net.activations):
        h = h @ w.T + b
        h = np.tanh(h) if a == "tanh" else h
    np.testing.assert_allclose(net.forward(X), h, rtol=0, atol=1e-14)
    np.testing.assert_allclose(net.forward(X[0]), h[0], atol=1e-14)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear", "sin", "erf"])
def test_torch_round_trip_forward_agrees(activation, rng):
    import torch

    net = Network.random([4, 6, 3], activation, seed=1, bias_variance=0.5)
    X = rng.normal(size=(10, 4))
    module = net.to_torch(torch.float64)
    out_torch = module(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(out_torch, net.forward(X), atol=1e-12)
    back = Network.from_torch(module)
    assert back.activations == net.activations
    np.testing.assert_allclose(back.forward(X), net.forward(X), atol=1e-12)
    # float32 torch agrees to float32 precision
    out32 = net.to_torch()(torch.from_numpy(X).float()).detach().numpy()
    np.testing.assert_allclose(out32, net.forward(X), atol=1e-5)


def test_save_load_round_trip_exact(net, tmp_path):
    path = net.save(tmp_path / "m.safetensors")
    assert path.with_suffix(".json").exists()
    back = Network.load(path)
    for a, b in zip(net.weights + net.biases, back.weights + back.biases):
        assert np.array_equal(a, b)  # float64 weights are stored as float64 when float32 is not exact
    assert back.activations == net.activations
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["widths"] == [5, 7, 4, 3] and card["name"] == "t"


def test_float32_exact_weights_stored_compactly(tmp_path):
    net = Network([np.ones((3, 2), dtype=np.float32) * 0.5], [np.zeros(3)], ["linear"])
    data = net.to_safetensors_bytes()
    assert b"F32" in data[:400]
    assert np.array_equal(Network.from_bytes(data).weights[0], net.weights[0])


def test_torch_state_dict_file_is_accepted_with_an_activation():
    import torch
    from safetensors.torch import save

    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    data = save(module.state_dict())
    with pytest.raises(EngineError, match="activation"):
        Network.from_bytes(data)
    net = Network.from_bytes(data, activation="relu")
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(net.forward(x), module.double()(torch.from_numpy(x)).detach().numpy(), atol=1e-6)
    net2 = Network.from_bytes(data, json.dumps({"activations": ["relu", "linear"], "name": "x"}))
    assert net2.name == "x"


# ------------------------------------------------------------ bad input
def test_pickle_is_refused_and_never_loaded(tmp_path):
    import pickle

    import torch

    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled!')",))

    raw = pickle.dumps(Boom(), protocol=4)
    with pytest.raises(EngineError, match="pickle"):
        Network.from_bytes(raw)
    torch.save({"w": torch.zeros(2)}, tmp_path / "m.pt")
    with pytest.raises(EngineError, match="pickle"):
        Network.from_bytes((tmp_path / "m.pt").read_bytes())


def test_garbage_is_not_a_safetensors_file():
    with pytest.raises(EngineError, match="valid .safetensors"):
        Network.from_bytes(b"hello world, I am not a model")


def test_inconsistent_shapes_are_refused():
    from safetensors.numpy import save

    data = save({"layers.0.weight": np.ones((4, 3), np.float32), "layers.0.bias": np.ones(4, np.float32),
                 "layers.1.weight": np.ones((2, 5), np.float32), "layers.1.bias": np.ones(2, np.float32)})
    with pytest.raises(EngineError, match=r"weights\[1\].*4 inputs"):
        Network.from_bytes(data, activation="tanh")
    data = save({"layers.0.weight": np.ones((4, 3), np.float32), "layers.0.bias": np.ones(5, np.float32)})
    with pytest.raises(EngineError, match=r"biases\[0\]"):
        Network.from_bytes(data, activation="tanh")


def test_nan_and_inf_weights_are_refused():
    from safetensors.numpy import save

    w = np.ones((2, 2), np.float32)
    w[0, 1] = np.nan
    with pytest.raises(EngineError, match="finite"):
        Network.from_bytes(save({"layers.0.weight": w}), activation="tanh")
    w[0, 1] = np.inf
    with pytest.raises(EngineError, match="finite"):
        Network.from_bytes(save({"layers.0.weight": w}), activation="tanh")


def test_file_over_the_limit_is_refused_before_parsing(tmp_path):
    with pytest.raises(EngineError, match="50 MB"):
        Network.from_bytes(b"\0" * (MAX_MODEL_BYTES + 1))
    big = tmp_path / "big.safetensors"
    with open(big, "wb") as f:
        f.seek(MAX_MODEL_BYTES + 10)
        f.write(b"\0")
    with pytest.raises(EngineError, match="50 MB"):
        Network.load(big)


def test_unknown_activation_is_refused():
    with pytest.raises(EngineError, match="activation"):
        Network([np.ones((2, 2))], [np.zeros(2)], ["swish"])
    from safetensors.numpy import save

    data = save({"layers.0.weight": np.ones((2, 2), np.float32)}, metadata={"activations": '["gelu"]'})
    with pytest.raises(EngineError, match="gelu"):
        Network.from_bytes(data)


def test_card_that_contradicts_the_file_is_refused(net):
    with pytest.raises(EngineError, match="card widths"):
        Network.from_bytes(net.to_safetensors_bytes(), json.dumps({"widths": [1, 2]}))
    with pytest.raises(EngineError, match="JSON"):
        Network.from_bytes(net.to_safetensors_bytes(), b"{not json")


# -------------------------------------------------------------- shuffles
def test_shuffle_keeps_the_multiset_of_weights_exactly(net):
    sh = net.shuffled(1.0, seed=0)
    a = np.sort(np.concatenate([w.ravel() for w in net.weights]))
    b = np.sort(np.concatenate([w.ravel() for w in sh.weights]))
    assert np.array_equal(a, b)
    assert all(np.array_equal(x, y) for x, y in zip(net.biases, sh.biases))
    assert [w.shape for w in sh.weights] == [w.shape for w in net.weights]
    # weights really move across layers (pooled): layer 0 receives values from other layers
    others = set(np.concatenate([w.ravel() for w in net.weights[1:]]).tolist())
    assert len(others & set(sh.weights[0].ravel().tolist())) > 0


@pytest.mark.parametrize("f", [0.0, 0.1, 0.3, 0.7, 1.0])
def test_partial_shuffle_changes_about_a_fraction_f(f):
    net = Network.random([30, 40, 20], "tanh", seed=1)
    n = sum(w.size for w in net.weights)
    changed = np.mean([
        np.sum(np.concatenate([w.ravel() for w in net.shuffled(f, seed=s).weights])
               != np.concatenate([w.ravel() for w in net.weights])) / n
        for s in range(3)])
    # k = f n positions are permuted; a random permutation of k keeps ~1 of them in place
    assert abs(changed - f) < 0.02 + 2 / n


def test_shuffle_is_reproducible_and_validated(net):
    a, b = net.shuffled(0.5, seed=7), net.shuffled(0.5, seed=7)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
    with pytest.raises(EngineError, match="fraction"):
        net.shuffled(1.5)


def test_first_layers(net, rng):
    sub = net.first_layers(2)
    assert sub.widths == [5, 7, 4]
    X = rng.normal(size=(3, 5))
    _, hidden = net.forward(X, return_hidden=True)
    np.testing.assert_allclose(sub.forward(X), hidden[2])
    assert net.first_layers(3).widths == net.widths
    for bad in (0, 4):
        with pytest.raises(EngineError, match="`b`"):
            net.first_layers(bad)


def test_inputs_are_not_modified(net):
    before = [w.copy() for w in net.weights]
    net.shuffled(1.0, seed=1)
    net.first_layers(1)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))


def test_digest_changes_with_weights(net):
    assert net.digest() == net.copy().digest()
    assert net.digest() != net.shuffled(1.0, seed=0).digest()
