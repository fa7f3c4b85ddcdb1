"""The thermodynamic fingerprint: ground states against enumeration, its invariants, the CLI and the zoo table.

Invariants checked: W = 2|E_min| (up to one bin) for field-free layered models, the anneal never
above the quench, the DOS reaching both ±E_min, T_c from tempering within its error bars of the
value from g(E) (and of exact enumeration), the twin sharing the temperature scale, seeds
reproducing the numbers. Small models (≤ 16 spins) and small budgets keep this file fast.
"""
import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

import engine.fingerprint as fpm
from engine.errors import EngineError
from engine.exact import exact_energies, exact_thermodynamics
from engine.fingerprint import (Fingerprint, fingerprint, ground_state, negated, quality_table, rank_correlations,
                                resampled_peak, spectral_alpha)
from engine.ising import IsingModel
from engine.network import Network
from engine.spectral import eigenvalues, fit_power_law
from engine.thermo import specific_heat_peak

#: Small budgets: a 13-spin model runs the whole fingerprint in well under a second once compiled.
FAST = dict(wl_seconds=20.0, log_f_final=1e-5, pt_sweeps=3000, n_temperatures=16, anneal_sweeps=500,
            anneal_replicas=8, n_resamples=100)


def small_net(widths=(4, 6, 3), seed=0, bias=0.0, test_accuracy=0.5, name=None) -> Network:
    net = Network.random(list(widths), seed=seed, bias_variance=bias, name=name or f"net-{seed}")
    net.card.update(test_accuracy=test_accuracy, dataset="synthetic", stage="trained", seed=seed, epochs=1)
    return net


@pytest.fixture(scope="module")
def fp_small():
    return fingerprint(small_net(), seed=0, **FAST)


# ------------------------------------------------------------------------------ pieces

def test_negated_model_has_the_mirrored_spectrum():
    model = IsingModel.from_network(small_net(bias=0.5), fields=True)
    e, e_neg = exact_energies(model), exact_energies(negated(model))
    assert np.allclose(np.sort(e_neg), np.sort(-e))


@pytest.mark.parametrize("fields", [False, True])
def test_ground_state_finds_the_exact_extremes(fields):
    net = small_net((4, 5, 4), seed=3, bias=0.7 if fields else 0.0)
    model = IsingModel.from_network(net, fields=fields)
    e = exact_energies(model)
    gs = ground_state(model, seed=0, anneal_sweeps=500, anneal_replicas=8)
    assert gs.symmetric is (not fields)
    assert gs.e_anneal >= e.min() - 1e-9 and gs.e_quench >= e.min() - 1e-9  # both are upper bounds ...
    assert math.isclose(gs.e_min, e.min(), abs_tol=1e-9)                     # ... and annealing reaches it
    assert math.isclose(gs.e_max, e.max(), abs_tol=1e-9)


def test_resampled_peak_of_a_known_curve():
    T = np.linspace(0.5, 2.0, 31)
    C = 3.0 - (T - 1.23) ** 2
    exact = resampled_peak(T, C, np.zeros_like(T), n_resamples=50, seed=0)
    assert math.isclose(exact.temperature, 1.23, abs_tol=1e-9) and exact.temperature_err < 1e-12
    assert math.isclose(exact.c_max, 3.0, abs_tol=1e-9) and not exact.at_edge
    small = resampled_peak(T, C, np.full_like(T, 0.001), n_resamples=200, seed=1)
    large = resampled_peak(T, C, np.full_like(T, 0.01), n_resamples=200, seed=1)
    assert 0 < small.temperature_err < large.temperature_err
    assert abs(large.temperature - 1.23) < 1e-9  # the central value does not depend on the errors
    edge = resampled_peak(T, T, np.full_like(T, 1e-3), n_resamples=20, seed=0)  # rising: peak at the top
    assert edge.at_edge and edge.edge_fraction == 1.0
    nan = resampled_peak(T, C, np.full_like(T, np.nan))
    assert math.isnan(nan.temperature_err) and math.isclose(nan.temperature, 1.23, abs_tol=1e-9)


def test_spectral_alpha_skips_layers_too_small_to_fit():
    net = Network.random([40, 30, 2], seed=0)
    spec = spectral_alpha(net)
    assert spec["alpha_layer_eigenvalues"] == [30, 2]
    assert math.isclose(spec["alpha_layers"][0], fit_power_law(eigenvalues(net.weights[0])).alpha)
    assert math.isnan(spec["alpha_layers"][1])
    assert spec["n_alpha_layers"] == 1 and spec["n_reliable_layers"] == 0
    assert math.isnan(spec["alpha_mean_reliable"]) and spec["alpha_mean"] == spec["alpha_layers"][0]


# ------------------------------------------------------------------------------ the fingerprint

def test_width_is_twice_the_ground_state_energy(fp_small):
    fp = fp_small
    N = fp.n_spins
    assert fp.symmetric and not fp.fields
    assert math.isclose(fp.e_max_per_spin, -fp.e_min_per_spin)
    # W from the Wang-Landau walk equals 2|E_min| from the ground-state search, to within one bin
    assert abs(fp.w_per_spin - 2 * abs(fp.e_min_per_spin)) * N <= fp.wl_bin_width
    assert fp.w_edge_bins <= 1.0  # and the DOS spans [-|E_min|, |E_min|]
    assert math.isclose(fp.w_ground_per_spin, 2 * abs(fp.e_min_per_spin))


def test_fingerprint_against_exact_enumeration(fp_small):
    model = IsingModel.from_network(small_net())
    e = exact_energies(model)
    N = model.n_spins
    fp = fp_small
    assert fp.e_min_anneal_per_spin <= fp.e_min_quench_per_spin + 1e-12  # anneal never above the quench
    assert math.isclose(fp.e_min_per_spin, e.min() / N, abs_tol=1e-12)
    assert math.isclose(fp.w_per_spin, (e.max() - e.min()) / N, abs_tol=1e-9)
    assert fp.wl_converged and fp.wl_symmetry_error < 0.15
    # T_c: tempering against g(E) (same model, independent method) and against enumeration
    assert not fp.t_c_pt_at_edge and fp.t_c_pt_err > 0
    assert abs(fp.t_c_pt - fp.t_c_wl) <= 3 * fp.t_c_pt_err
    T = np.geomspace(fp.t_min, fp.t_max, 241)
    exact = specific_heat_peak(exact_thermodynamics(model, T))
    assert abs(fp.t_c_pt - exact.temperature) <= 3 * fp.t_c_pt_err
    assert abs(fp.c_max_pt_per_spin - exact.c_max / N) <= 3 * fp.c_max_pt_err_per_spin


def test_fingerprint_with_fields_is_not_symmetric():
    net = small_net((4, 5, 3), seed=2, bias=0.8)
    model = IsingModel.from_network(net, fields=True)
    e = exact_energies(model)
    fp = fingerprint(net, seed=1, fields=True, **FAST)
    N = model.n_spins
    assert not fp.symmetric and fp.fields and fp.wl_symmetry_error is not None and math.isnan(fp.wl_symmetry_error)
    assert math.isclose(fp.e_min_per_spin, e.min() / N, abs_tol=1e-12)
    assert math.isclose(fp.e_max_per_spin, e.max() / N, abs_tol=1e-12)
    assert math.isclose(fp.w_ground_per_spin, (e.max() - e.min()) / N, abs_tol=1e-12)
    assert fp.w_edge_bins <= 1.0


def test_same_seed_same_numbers_and_twin_shares_the_temperature_scale(fp_small):
    again = fingerprint(small_net(), seed=0, **FAST).as_dict()
    first = fp_small.as_dict()
    for d in (first, again):
        d.pop("seconds"), d.pop("wl_seconds"), d.pop("cpu_seconds")
    assert first == again
    twin = fingerprint(small_net().shuffled(1.0, seed=0), seed=0, reference_width=fp_small.w_per_spin * 13, **FAST)
    assert math.isclose(twin.typical_field, fp_small.typical_field)  # same weights, same range of T
    assert math.isclose(twin.paper_width_per_spin, fp_small.w_per_spin)


def test_as_dict_is_strict_json(fp_small):
    d = fp_small.as_dict()
    text = json.dumps(d, allow_nan=False)  # NaN would not be valid JSON
    assert json.loads(text)["n_spins"] == 13
    assert set(d) == {f.name for f in dataclasses.fields(Fingerprint)}


def test_a_stop_request_skips_tempering():
    calls = []

    def stop_in_wang_landau(p):
        calls.append(p.message)
        return "Wang-Landau" in p.message

    fp = fingerprint(small_net(), seed=0, callback=stop_in_wang_landau, **{**FAST, "log_f_final": 1e-8})
    assert fp.stopped and math.isnan(fp.t_c_pt) and fp.pt_sweeps == 0
    assert not fp.wl_converged and math.isfinite(fp.w_per_spin)
    assert any(m.startswith("ground state") for m in calls)


BAD = [
    (dict(net="not a network"), "net"),
    (dict(seed=-1), "seed"),
    (dict(wl_seconds=0), "wl_seconds"),
    (dict(log_f_final=1.5), "log_f_final"),
    (dict(fields="yes"), "fields"),
    (dict(reference_width=-2.0), "reference_width"),
    (dict(pt_sweeps=0), "pt_sweeps"),
    (dict(callback=3), "callback"),
]


@pytest.mark.parametrize("kwargs,match", BAD, ids=[m for _, m in BAD])
def test_bad_inputs_raise_engine_errors(kwargs, match):
    kw = {**FAST, **kwargs}
    net = kw.pop("net", small_net())
    with pytest.raises(EngineError, match=match):
        fingerprint(net, **kw)


def test_bad_inputs_of_the_helpers():
    with pytest.raises(EngineError, match="n_resamples"):
        resampled_peak([1.0, 2.0, 3.0], [1.0, 2.0, 1.0], [0.1, 0.1, 0.1], n_resamples=1)
    with pytest.raises(EngineError, match="one length"):
        resampled_peak([1.0, 2.0], [1.0], [0.1, 0.1])
    with pytest.raises(EngineError, match="target"):
        rank_correlations(pd.DataFrame({"w_per_spin": [1, 2, 3]}))
    with pytest.raises(EngineError, match="zoo table"):
        fpm.load_zoo_table("/nonexistent/zoo_physics.csv")
    with pytest.raises(EngineError, match="variant"):
        fpm.fingerprint_row({}, variant="other", info={})


# ------------------------------------------------------------------------------ statistics of the table

def test_rank_correlations_match_scipy_and_handle_gaps():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    acc = rng.uniform(size=20)
    t = pd.DataFrame({"test_accuracy": acc, "w_per_spin": acc ** 3, "t_c_pt": rng.normal(size=20),
                      "e_min_per_spin": -acc, "alpha_mean": np.full(20, 2.0)})
    t.loc[3, "t_c_pt"] = np.nan
    r = rank_correlations(t).set_index("indicator")
    assert r.loc["w_per_spin", "rho"] == pytest.approx(1.0) and r.loc["e_min_per_spin", "rho"] == pytest.approx(-1.0)
    ok = t["t_c_pt"].notna()
    want = spearmanr(t.loc[ok, "t_c_pt"], acc[ok])
    assert r.loc["t_c_pt", "n"] == 19
    assert r.loc["t_c_pt", "rho"] == pytest.approx(want.statistic)
    assert r.loc["t_c_pt", "p"] == pytest.approx(want.pvalue)
    assert math.isnan(r.loc["alpha_mean", "rho"])  # a constant column has no rank correlation


def test_quality_table_pairs_each_model_with_its_twin():
    rows = []
    for m, (w, ws, acc) in {"a": (2.0, 1.0, 0.9), "b": (1.0, 1.0, 0.3)}.items():
        base = dict(model=m, n_layers=2, architecture="4-6-3", activation="tanh", test_accuracy=acc)
        rows += [dict(base, variant="trained", layers_included=2, w_per_spin=w, t_c_pt=2 * w, t_c_pt_err=0.1),
                 dict(base, variant="shuffled", layers_included=2, w_per_spin=ws, t_c_pt=2 * ws, t_c_pt_err=0.2),
                 dict(base, variant="trained", layers_included=1, w_per_spin=np.nan)]
    q = quality_table(pd.DataFrame(rows)).set_index("model")
    assert list(q.index) == ["a", "b"]
    assert q.loc["a", "d_w_per_spin"] == pytest.approx(1.0) and q.loc["a", "w_ratio"] == pytest.approx(2.0)
    assert q.loc["b", "d_t_c_pt"] == pytest.approx(0.0)
    assert q.loc["a", "d_t_c_pt_err"] == pytest.approx(math.hypot(0.1, 0.2))
    assert q.loc["a", "group"] == "4-6-3 tanh"


# ------------------------------------------------------------------------------ the zoo and the CLI

@pytest.fixture
def tiny_zoo(tmp_path):
    folder = tmp_path / "zoo"
    for k, widths in enumerate([(3, 4, 2), (3, 3, 3, 2)]):
        small_net(widths, seed=k, test_accuracy=0.4 + 0.3 * k, name=f"tiny-{k}").save(folder / f"tiny-{k}.safetensors")
    return folder


ZOO_FAST = dict(wl_seconds=5.0, log_f_final=1e-3, pt_sweeps=200, n_temperatures=8, anneal_sweeps=100,
                anneal_replicas=4, n_resamples=20)


def test_zoo_rows_and_resume(tiny_zoo, tmp_path, monkeypatch):
    out = tmp_path / "zoo_physics.csv"
    df = fpm.compute_zoo(out, folder=tiny_zoo, progress=False, **ZOO_FAST)
    assert out.read_text().startswith("# ")  # the command and budgets are recorded in the file
    assert len(df) == 2 * 2 + 2 * 3  # per model: trained + shuffled for b = 1..L
    for m, L in (("tiny-0", 2), ("tiny-1", 3)):
        sub = df[df["model"] == m]
        assert sorted(sub["layers_included"]) == sorted(list(range(1, L + 1)) * 2)
        full = sub[sub["layers_included"] == L]
        assert set(full["variant"]) == {"trained", "shuffled"} and full["w_per_spin"].notna().all()
        # field-free: every row's ground-state width is twice its |E_min|
        assert np.allclose(sub["w_ground_per_spin"], 2 * sub["e_min_per_spin"].abs())
    back = fpm.load_zoo_table(out)
    assert len(back) == len(df) and set(back["code_version"]) == {fpm.CODE_VERSION}

    def boom(*a, **k):
        raise AssertionError("a model already in the table was recomputed")

    monkeypatch.setattr(fpm, "zoo_rows", boom)
    again = fpm.compute_zoo(out, folder=tiny_zoo, progress=False, **ZOO_FAST)  # resume: nothing to do
    assert len(again) == len(df)
    computed = []

    def record(net, card, **kw):  # stands in for a recomputation: returns the rows the table had
        computed.append(net.name)
        return df[df["model"] == net.name].to_dict("records")

    monkeypatch.setattr(fpm, "zoo_rows", record)
    fpm.compute_zoo(out, folder=tiny_zoo, progress=False, **{**ZOO_FAST, "log_f_final": 1e-4})
    assert sorted(computed) == ["tiny-0", "tiny-1"]  # other budgets: recomputed
    computed.clear()
    monkeypatch.setattr(fpm, "CODE_VERSION", "fingerprint-test-bump")
    fpm.compute_zoo(out, folder=tiny_zoo, progress=False, only="tiny-1", **ZOO_FAST)
    assert computed == ["tiny-1"]  # a new code version: recomputed (only the selected model here)


def test_cli_prints_json(tmp_path, capsys):
    path = small_net((3, 4, 2), seed=5).save(tmp_path / "m.safetensors")
    assert fpm.cli([str(path), "--seconds", "5", "--log-f", "1e-3", "--seed", "2"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["n_spins"] == 9 and d["seed"] == 2 and d["code_version"] == fpm.CODE_VERSION
    assert d["w_per_spin"] > 0 and d["e_min_per_spin"] < 0


@pytest.mark.parametrize("argv,match", [
    (["/nonexistent/model.safetensors"], "existing"),
    ([], "model file"),
    (["x.safetensors", "--zoo"], "not both"),
    (["--zoo", "--only", "no-such-model-name", "--out", "/tmp/never-written.csv"], "only"),
    (["m.safetensors", "--seconds", "0"], "wl_seconds"),
])
def test_cli_bad_input_exits_2_with_a_message(argv, match, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    small_net((3, 4, 2)).save(tmp_path / "m.safetensors")
    assert fpm.cli(argv) == 2
    assert match in capsys.readouterr().err


def test_shipped_zoo_table_is_complete_and_consistent():
    """The CSV the page opens with: every zoo model and its twin, and the fingerprint's own invariants."""
    from engine.zoo import list_zoo

    df = fpm.load_zoo_table()
    names = {c["name"] for c in list_zoo()}
    q = quality_table(df)
    assert set(q["model"]) == names and q["w_per_spin_shuffled"].notna().all()
    assert (q["e_min_anneal_per_spin"] <= q["e_min_quench_per_spin"] + 1e-12).all()
    # W from Wang-Landau = 2|E_min| to within one bin (field-free, bipartite)
    assert ((q["w_per_spin"] - 2 * q["e_min_per_spin"].abs()).abs() * q["n_spins"] <= q["wl_bin_width"]).all()
    for m, sub in df.groupby("model"):
        L = int(sub["n_layers"].iloc[0])
        assert sorted(sub["layers_included"]) == sorted(list(range(1, L + 1)) * 2), m
