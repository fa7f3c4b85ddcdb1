"""The spectral (WeightWatcher-style) baseline: eigenvalues and power-law tail fits."""
import numpy as np
import pytest

from engine.errors import EngineError
from engine.network import Network
from engine.spectral import eigenvalues, fit_power_law, layer_alphas, network_alpha


def test_eigenvalues_are_those_of_wtw(rng):
    W = rng.normal(size=(7, 12))
    ev = np.sort(np.linalg.eigvalsh(W.T @ W))[-7:]  # 7 non-zero eigenvalues
    np.testing.assert_allclose(eigenvalues(W), ev, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("alpha", [2.0, 3.0, 4.5])
def test_pure_pareto_sample_recovers_its_exponent(alpha):
    rng = np.random.default_rng(int(alpha * 10))
    n = 2000
    x = 0.5 * rng.random(n) ** (-1.0 / (alpha - 1.0))  # density ~ x^-alpha above 0.5
    fit = fit_power_law(x)
    # MLE standard error is (alpha - 1) / sqrt(n_tail); allow 4 of them
    assert abs(fit.alpha - alpha) < 4 * (alpha - 1) / np.sqrt(fit.n_tail) + 0.05
    assert fit.n_tail > 200


def test_tail_is_found_above_a_non_power_law_bulk():
    rng = np.random.default_rng(0)
    bulk = rng.uniform(0.1, 1.0, size=1000)
    tail = 1.0 * rng.random(500) ** (-1.0 / 2.0)  # alpha = 3 above 1
    fit = fit_power_law(np.concatenate([bulk, tail]))
    assert fit.lambda_min >= 0.7  # the cut-off sits at the top of the bulk, not inside it
    assert abs(fit.alpha - 3.0) < 0.4


def test_small_layers_are_flagged_unreliable():
    net = Network.random([64, 32, 10], "tanh", seed=0)
    fits = layer_alphas(net)
    assert [f.n_eigenvalues for f in fits] == [32, 10]
    assert not any(f.reliable for f in fits)
    summary = network_alpha(net)
    assert summary["n_reliable_layers"] == 0 and np.isnan(summary["alpha_mean_reliable"])
    # an output layer with 2 eigenvalues cannot be fitted: skipped, not fatal
    tiny = network_alpha(Network.random([30, 16, 2], "relu", seed=0))
    assert tiny["n_alpha_layers"] == 1 and np.isnan(tiny["alpha_layers"][1])
    assert tiny["alpha_mean"] == tiny["alpha_layers"][0]
    big = Network.random([128, 128, 10], "tanh", seed=0)
    assert layer_alphas(big)[0].reliable


def test_bad_input():
    with pytest.raises(EngineError, match="eigs"):
        fit_power_law([1.0, 2.0])
    with pytest.raises(EngineError, match="W"):
        eigenvalues(np.ones(4))
    with pytest.raises(EngineError, match="finite"):
        fit_power_law([1.0, np.nan, 2.0, 3.0, 4.0, 5.0, 6.0])
