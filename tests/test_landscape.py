"""Loss landscapes: parameter vectors, filter-normalised directions, lines and surfaces, the Hessian.

Oracles: the NumPy loss (``loss_reference`` through ``Network.forward``), finite differences of
gradients, ``torch.autograd.functional.hessian``, dense ``eigh``; tiny moons nets keep it fast.
"""
from pathlib import Path
import math

import numpy as np
import pytest

from engine import landscape as L
from engine.data import load_dataset
from engine.errors import EngineError
from engine.network import Network
from engine.training import NetworkSpec, train


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", seed=0)  # the card names it: default size


@pytest.fixture(scope="module")
def run_a(moons):
    """A 2-8-2 tanh net (42 parameters) trained full-batch to a minimum; snapshots[0] is its initialisation."""
    return train(NetworkSpec((8,), "tanh"), moons, epochs=150, lr=3e-2, batch_size=450, seed=0,
                 snapshot_every=150)


@pytest.fixture(scope="module")
def net_a(run_a):
    return run_a.network


@pytest.fixture(scope="module")
def net_b(moons):
    return train(NetworkSpec((8,), "tanh"), moons, epochs=40, lr=3e-2, seed=1).network


@pytest.fixture(scope="module")
def deep(moons):
    """Two hidden layers (2-6-5-2, 65 parameters), lightly trained: for layouts and directions."""
    return train(NetworkSpec((6, 5), "tanh"), moons, epochs=5, lr=3e-2, seed=2).network


@pytest.fixture(scope="module")
def spectrum(net_a):
    return L.hessian_spectrum(net_a, method="exact")


# ------------------------------------------------------------------ parameters and the loss

def test_parameter_vector_is_torchs_order_and_round_trips(deep):
    import torch

    theta = L.parameter_vector(deep)
    assert theta.shape == (deep.n_params,)
    torch_theta = torch.nn.utils.parameters_to_vector(deep.to_torch(torch.float64).parameters()).detach().numpy()
    assert np.array_equal(theta, torch_theta)
    back = L.network_from_vector(theta, deep)
    assert all(np.array_equal(a, b) for a, b in zip(back.weights + back.biases, deep.weights + deep.biases))
    blocks = L.parameter_blocks(deep)
    assert [(b.layer, b.kind) for b in blocks] == [(0, "weight"), (0, "bias"), (1, "weight"), (1, "bias"),
                                                  (2, "weight"), (2, "bias")]
    assert blocks[-1].stop == deep.n_params
    # row i of W_1 is one contiguous slice: the weights into neuron i
    w1 = blocks[2]
    assert np.array_equal(theta[w1.start + 2 * 6:w1.start + 3 * 6], deep.weights[1][2])


def test_torch_loss_and_batched_losses_equal_the_numpy_reference(net_a, moons):
    data = L.loss_data(net_a)
    ref_loss, ref_acc = L.loss_reference(net_a, data.X, data.y)
    value = L.evaluate_loss(net_a)
    assert value.loss == pytest.approx(ref_loss, rel=1e-12)
    assert value.accuracy == ref_acc
    # the card's data set is the training split the model was trained on
    assert np.array_equal(data.X, moons.X_train) and np.array_equal(data.y, moons.y_train)
    # K parameter vectors in one batched forward, each against the reference
    rng = np.random.default_rng(0)
    thetas = L.parameter_vector(net_a) + 0.3 * rng.standard_normal((5, net_a.n_params))
    obj = L._Objective(net_a, data)
    import torch

    losses, accs = obj.losses(torch.from_numpy(thetas))
    for k in range(5):
        rl, ra = L.loss_reference(L.network_from_vector(thetas[k], net_a), data.X, data.y)
        assert float(losses[k]) == pytest.approx(rl, rel=1e-12)
        assert float(accs[k]) == ra


def test_zoo_card_rebuilds_the_split_the_card_measured():
    path = Path(__file__).resolve().parents[1] / "sample_models" / "iris-4-8-3-tanh-s0-e200.safetensors"
    if not path.exists():
        pytest.skip("zoo model not built")
    net = Network.load(path)
    assert L.evaluate_loss(net).accuracy == pytest.approx(net.card["train_accuracy"], abs=1e-6)
    assert L.evaluate_loss(net, L.loss_data(net, split="test")).accuracy == pytest.approx(
        net.card["test_accuracy"], abs=1e-6)


def test_subsample_is_seeded(net_a):
    a, b, c = (L.loss_data(net_a, n_samples=50, seed=s) for s in (3, 3, 4))
    assert a.n_samples == 50 and np.array_equal(a.X, b.X) and not np.array_equal(a.X, c.X)


# ------------------------------------------------------------------------------ directions

def test_filter_normalised_directions_have_the_row_norms_of_the_weights(deep):
    d = L.random_direction(deep, seed=7)
    for blk in L.parameter_blocks(deep):
        part = d[blk.start:blk.stop]
        if blk.kind == "bias":
            assert np.all(part == 0.0)
        else:
            rows = part.reshape(blk.shape)
            np.testing.assert_allclose(np.linalg.norm(rows, axis=1),
                                       np.linalg.norm(deep.weights[blk.layer], axis=1), rtol=1e-12)
    assert np.array_equal(d, L.random_direction(deep, seed=7))
    assert not np.array_equal(d, L.random_direction(deep, seed=8))
    layer = L.random_direction(deep, seed=7, normalization="layer")
    for blk in L.parameter_blocks(deep):
        if blk.kind == "weight":
            assert np.linalg.norm(layer[blk.start:blk.stop]) == pytest.approx(np.linalg.norm(deep.weights[blk.layer]))


def test_filter_normalisation_keeps_zero_rows_zero(deep):
    d = np.ones(deep.n_params)
    blk = L.parameter_blocks(deep)[0]
    d[blk.start:blk.start + 2] = 0.0  # row 0 of W_0 (2 inputs)
    out = L.filter_normalize(d, deep)
    assert np.all(out[blk.start:blk.start + 2] == 0.0) and np.all(np.isfinite(out))


# --------------------------------------------------------------------- lines and surfaces

def test_interpolation_endpoints_reproduce_both_models_losses(net_a, net_b, run_a):
    line = L.interpolate(net_a, net_b, resolution=21)
    data = L.loss_data(net_a)
    i0, i1 = np.flatnonzero(line.t == 0.0), np.flatnonzero(line.t == 1.0)
    assert i0.size == 1 and i1.size == 1
    assert line.loss[i0[0]] == pytest.approx(L.loss_reference(net_a, data.X, data.y)[0], rel=1e-12)
    assert line.loss[i1[0]] == pytest.approx(L.loss_reference(net_b, data.X, data.y)[0], rel=1e-12)
    assert line.to_frame().shape == (21, 3) and not line.stopped_early
    # initial -> trained: training went downhill
    initial = run_a.snapshots[0][1]
    path = L.interpolate(initial, net_a, t_range=(0.0, 1.0), resolution=11)
    assert path.loss[-1] < path.loss[0]


def test_surface_centre_is_the_model_and_points_match_the_reference(net_a):
    s = L.loss_surface(net_a, seed=3, resolution=9, span=0.8, points_per_batch=7)
    data = L.loss_data(net_a)
    base = L.loss_reference(net_a, data.X, data.y)[0]
    assert s.loss.shape == (9, 9) and s.alpha[4] == 0.0 and s.beta[4] == 0.0
    assert s.loss[4, 4] == pytest.approx(base, rel=1e-12) and s.center_loss == pytest.approx(base, rel=1e-12)
    # rows are beta: loss[j, i] = L(θ + alpha[i] δ + beta[j] η), with the surface's own directions
    rng = np.random.default_rng(3)
    d1, d2 = L.random_direction(net_a, seed=rng), L.random_direction(net_a, seed=rng)
    theta = L.parameter_vector(net_a)
    for i, j in [(0, 8), (2, 5), (8, 1)]:
        other = L.network_from_vector(theta + s.alpha[i] * d1 + s.beta[j] * d2, net_a)
        assert s.loss[j, i] == pytest.approx(L.loss_reference(other, data.X, data.y)[0], rel=1e-10)
    # the β = 0 row is the 1D line along δ
    line = L.loss_line(net_a, direction=d1, span=0.8, resolution=9)
    np.testing.assert_allclose(line.loss, s.loss[4], rtol=1e-12)
    assert s.to_frame().shape == (81, 4)
    # the trained model sits in a basin: its neighbourhood is higher
    assert base <= np.nanmin(s.loss) + 1e-12


def test_surface_stops_on_request_and_keeps_what_it_has(net_a):
    calls = []
    s = L.loss_surface(net_a, resolution=5, points_per_batch=10, callback=lambda p: calls.append(p.done) or True)
    assert s.stopped_early and calls == [10]
    assert np.isfinite(s.loss.ravel()[:10]).all() and np.isnan(s.loss.ravel()[10:]).all()


def test_inputs_are_not_modified_and_torch_threads_are_restored(net_a):
    import torch

    threads = torch.get_num_threads()
    before = [w.copy() for w in net_a.weights + net_a.biases]
    L.loss_surface(net_a, resolution=3)
    L.hessian_vector_product(net_a, np.ones(net_a.n_params))
    assert all(np.array_equal(a, b) for a, b in zip(before, net_a.weights + net_a.biases))
    assert torch.get_num_threads() == threads


# -------------------------------------------------------------------------------- Hessian

def test_hessian_vector_products_equal_finite_differences_of_gradients(net_a):
    rng = np.random.default_rng(1)
    V = rng.standard_normal((3, net_a.n_params))
    HV = L.hessian_vector_product(net_a, V)
    theta, data, h = L.parameter_vector(net_a), L.loss_data(net_a), 1e-5
    for v, hv in zip(V, HV):
        plus = L.loss_gradient(L.network_from_vector(theta + h * v, net_a), data)
        minus = L.loss_gradient(L.network_from_vector(theta - h * v, net_a), data)
        np.testing.assert_allclose(hv, (plus - minus) / (2 * h), rtol=1e-6, atol=1e-8 * np.abs(hv).max())
    np.testing.assert_allclose(L.hessian_vector_product(net_a, V[0]), HV[0], rtol=1e-12)  # single = batched


def test_exact_hessian_equals_autograd_and_is_symmetric(net_a):
    import torch

    data = L.loss_data(net_a)
    H = L.hessian_matrix(net_a, data)
    obj = L._Objective(net_a, data)
    ref = torch.autograd.functional.hessian(obj.loss, obj.theta0).numpy()
    np.testing.assert_allclose(H, ref, rtol=1e-10, atol=1e-12)
    assert np.array_equal(H, H.T)
    v = np.random.default_rng(2).standard_normal(net_a.n_params)
    np.testing.assert_allclose(H @ v, L.hessian_vector_product(net_a, v), rtol=1e-9, atol=1e-12)


def test_exact_eigenvalues_equal_lanczos_extremes(net_a, spectrum):
    lz = L.hessian_spectrum(net_a, method="lanczos", top=3, bottom=2, tol=1e-10)
    assert spectrum.complete and spectrum.eigenvalues.size == net_a.n_params
    np.testing.assert_allclose(lz.eigenvalues[2:], spectrum.eigenvalues[-3:], rtol=1e-7)
    np.testing.assert_allclose(lz.eigenvalues[:2], spectrum.eigenvalues[:2], atol=1e-7 * spectrum.lambda_max)
    assert abs(lz.v_max @ spectrum.v_max) == pytest.approx(1.0, abs=1e-6)
    frame = lz.to_frame()
    assert list(frame["end"]) == ["smallest"] * 2 + ["largest"] * 3


def test_dense_spectrum_ends_by_lanczos_equal_full_eigh():
    """Above 500 parameters the exact path takes eigvalsh plus Lanczos for the two end vectors."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((600, 600))
    H = (A + A.T) / 2
    vals, vmin, vmax = L._dense_spectrum(H)
    ref_vals, ref_vecs = np.linalg.eigh(H)
    np.testing.assert_allclose(vals, ref_vals, atol=1e-10)
    assert abs(vmin @ ref_vecs[:, 0]) == pytest.approx(1.0, abs=1e-8)
    assert abs(vmax @ ref_vecs[:, -1]) == pytest.approx(1.0, abs=1e-8)
    assert vmax[np.argmax(np.abs(vmax))] > 0  # the sign convention


def test_trace_is_the_sum_of_eigenvalues_and_hutchinson_is_within_its_error_bar(net_a, spectrum):
    assert spectrum.trace == pytest.approx(spectrum.eigenvalues.sum(), rel=1e-10)
    est = L.hutchinson_trace(net_a, n_probes=400, seed=5, batch=64)
    assert est.n_probes == 400 and est.stderr > 0
    assert abs(est.trace - spectrum.trace) < 3 * est.stderr
    # the error bar is honest: the per-probe variance is 2 Σ_{i≠j} H_ij² for Rademacher probes
    H = L.hessian_matrix(net_a)
    off = 2 * (np.sum(H**2) - np.sum(np.diag(H) ** 2))
    assert est.stderr == pytest.approx(math.sqrt(off / 400), rel=0.25)
    again = L.hutchinson_trace(net_a, n_probes=400, seed=5, batch=64)
    assert again.trace == est.trace
    frame = est.to_frame()
    assert frame["running_trace"].iloc[-1] == pytest.approx(est.trace)


def test_trained_minimum_has_positive_curvature_matching_the_loss_along_v_max(net_a, run_a, spectrum):
    assert spectrum.lambda_max > 0
    assert spectrum.grad_norm < 0.05 * np.linalg.norm(L.loss_gradient(run_a.snapshots[0][1]))
    # along the unit eigenvector the loss bends as ½ λ_max α² (second difference, small α)
    a = 1e-3
    line = L.loss_line(net_a, direction=spectrum.v_max, span=a, resolution=3)
    curvature = (line.loss[0] - 2 * line.loss[1] + line.loss[2]) / a**2
    assert curvature == pytest.approx(spectrum.lambda_max, rel=1e-3)


def test_hessian_surface_is_the_plane_of_the_extreme_eigenvectors(net_a, spectrum):
    s = L.hessian_surface(net_a, spectrum=spectrum, resolution=5)
    assert s.kind == "hessian" and s.eigenvalues == (spectrum.lambda_max, spectrum.lambda_min)
    assert s.loss[2, 2] == pytest.approx(s.center_loss, rel=1e-12)
    assert s.alpha[-1] == pytest.approx(math.sqrt(8 / spectrum.lambda_max))
    assert s.direction_norms == pytest.approx((1.0, 1.0))
    # the λ_max axis rises more steeply than the λ_min axis
    assert s.loss[2, -1] - s.center_loss > s.loss[-1, 2] - s.center_loss


def test_sharpness(net_a, spectrum):
    s = L.sharpness(net_a, epsilon=1e-3)
    assert s.lambda_max == pytest.approx(spectrum.lambda_max, rel=1e-6)
    wider = L.sharpness(net_a, epsilon=1e-2)
    assert 0 <= s.epsilon_sharpness < wider.epsilon_sharpness
    assert math.isnan(L.sharpness(net_a, epsilon=None).epsilon_sharpness)


def test_zoo_sharpness_tabulates_models_and_stops(net_a, net_b, tmp_path):
    paths = [net_a.save(tmp_path / "a.safetensors"), net_b.save(tmp_path / "b.safetensors")]
    df = L.zoo_sharpness(paths, epsilon=None)
    assert list(df["name"]) == [net_a.name, net_b.name] and not df.attrs["stopped_early"]
    assert df["lambda_max"].iloc[0] == pytest.approx(L.sharpness(net_a, epsilon=None).lambda_max, rel=1e-6)
    assert df["test_accuracy"].iloc[1] == net_b.card["test_accuracy"]
    part = L.zoo_sharpness(paths, epsilon=None, callback=lambda p: True)
    assert len(part) == 1 and part.attrs["stopped_early"]


# -------------------------------------------------------------------------------- bad input

def test_model_without_data_is_refused(net_a, tmp_path):
    bare = Network.random([2, 8, 2], seed=0)
    with pytest.raises(EngineError, match="a model without data for a loss"):
        L.evaluate_loss(bare)
    with pytest.raises(EngineError, match="a model without data for a loss"):
        L.loss_surface(net_a, data=(np.zeros((4, 3)), np.zeros(4, dtype=int)))
    path = bare.save(tmp_path / "bare.safetensors")
    calls = []
    with pytest.raises(EngineError, match="a model without data for a loss"):
        L.zoo_sharpness([net_a.save(tmp_path / "a.safetensors"), path], callback=calls.append)
    assert calls == []  # refused before any work


def test_mismatched_architectures_are_refused(net_a, deep):
    with pytest.raises(EngineError, match="architecture"):
        L.interpolate(net_a, deep)
    relu = Network(net_a.weights, net_a.biases, ["relu", "linear"], net_a.card)
    with pytest.raises(EngineError, match="architecture"):
        L.interpolate(net_a, relu)


@pytest.mark.parametrize("kwargs, match", [
    (dict(resolution=1), "resolution"),
    (dict(resolution=L.MAX_RESOLUTION + 1), "resolution"),
    (dict(memory_budget=1000), "grid too large for the memory budget"),
    (dict(points_per_batch=10**6), "grid too large for the memory budget"),
    (dict(span=0.0), "span"),
    (dict(span=(1.0, 2.0, 3.0)), "span"),
    (dict(normalization="batch"), "normalization"),
    (dict(directions=(np.ones(3), np.ones(3))), "directions"),
])
def test_bad_surface_input(net_a, kwargs, match):
    with pytest.raises(EngineError, match=match):
        L.loss_surface(net_a, **kwargs)


def test_other_bad_input(net_a):
    with pytest.raises(EngineError, match="t_range"):
        L.interpolate(net_a, net_a, t_range=(1.0, 0.0))
    with pytest.raises(EngineError, match="vectors"):
        L.hessian_vector_product(net_a, np.ones(net_a.n_params + 1))
    with pytest.raises(EngineError, match="exact Hessian"):
        L.hessian_matrix(net_a, memory_budget=1000)
    with pytest.raises(EngineError, match="top"):
        L.hessian_spectrum(net_a, method="lanczos", top=net_a.n_params)
    with pytest.raises(EngineError, match="method"):
        L.hessian_spectrum(net_a, method="power")
    data = L.loss_data(net_a)
    with pytest.raises(EngineError, match="y"):
        L.evaluate_loss(net_a, (data.X, data.y + 5))
    with pytest.raises(EngineError, match="n_probes"):
        L.hutchinson_trace(net_a, n_probes=1)
    with pytest.raises(EngineError, match="split"):
        L.loss_data(net_a, split="validation")
    with pytest.raises(EngineError, match="paths"):
        L.zoo_sharpness([])


def test_cli_writes_tables(net_a, tmp_path):
    import pandas as pd

    model = net_a.save(tmp_path / "a.safetensors")
    out = tmp_path / "spectrum.csv"
    assert L.cli(["spectrum", str(model), "--method", "exact", "--quiet", "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == net_a.n_params
    assert L.cli(["surface", str(model), "--resolution", "3", "--quiet", "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 9
    assert L.cli(["surface", str(model), "--resolution", "1", "--quiet"]) == 2
