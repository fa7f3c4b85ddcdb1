"""The Hopfield and Boltzmann-machine pages under AppTest (NN_LAB_TINY=1: small default sizes).

Each page is driven through its controls and Run buttons; the checks are on what the page
computed (recall, capacity, phase points, a trained RBM, the spin system it hands on) and on
bad input: a clear ``st.error`` while the last valid results stay.
"""
import numpy as np
import pytest

from tests.test_pages import ROOT, open_page, ok

THERMO = ROOT / "pages" / "thermodynamics.py"


def charts(at) -> int:
    return len(at.get("plotly_chart"))


# ------------------------------------------------------------------------------- Hopfield

@pytest.fixture
def hopfield():
    at = open_page("hopfield.py")
    ok(at)
    return at


def test_recall_opens_with_two_digits_recalled(hopfield):
    at = hopfield
    net, res, prov = at.session_state["hf:recall"]
    assert net.labels == ["0", "1"] and net.n_neurons == 256 and prov["noise"] == 0.15
    assert res.final_overlaps[0] == 1.0 and res.retrieved == 0       # 15% noise: back to the digit
    assert np.all(np.diff(res.energies) <= 1e-12)                    # T = 0: E never rises
    assert charts(at) == 6                                           # patterns, strip, animation, m, E, overlaps
    assert at.query_params["hf_view"] == "Recall"


def test_hebbian_mixture_and_pseudo_inverse_recall(hopfield):
    at = hopfield
    at.button_group(key="ctl:hf_digits").set_value([0, 1, 4])
    at.run()
    at.selectbox(key="ctl:hf_start").set_value(2)
    at.run()
    ok(at)
    _, res, _ = at.session_state["hf:recall"]
    assert res.target == 2 and res.final_overlaps[2] < 0.95          # correlated digits: a mixture state
    assert any("mixture" in i.value for i in at.info)
    at.button_group(key="ctl:hf_rule").set_value("pseudo-inverse")
    at.run()
    ok(at)
    net, res, _ = at.session_state["hf:recall"]
    assert net.rule == "pseudo_inverse" and res.final_overlaps[2] == 1.0
    assert at.query_params["hf_digits"] == "0,1,4"


def test_too_many_patterns_shows_an_error_and_keeps_the_last_run(hopfield):
    at = hopfield
    before = at.session_state["hf:recall"]
    at.button_group(key="ctl:hf_src").set_value("random")
    at.run()
    ok(at)
    at.select_slider(key="ctl:hf_N").set_value(36)
    at.slider(key="ctl:hf_P").set_value(50)
    at.run()
    assert not at.exception
    assert at.error and "n_patterns" in at.error[0].value and "50" in at.error[0].value
    last = at.session_state["hf:recall"]
    assert last[0].n_neurons == 400 and last is not before            # the last valid run (random, N = 400)
    assert charts(at) >= 5 and any("previous valid run" in c.value for c in at.caption)


def test_no_digit_selected_shows_an_error(hopfield):
    at = hopfield
    before = at.session_state["hf:recall"]
    at.button_group(key="ctl:hf_digits").set_value([])
    at.run()
    assert not at.exception
    assert at.error and "digits" in at.error[0].value
    assert at.session_state["hf:recall"] is before and charts(at) == 6


def test_temperature_recall_runs_through_the_ising_engine(hopfield):
    at = hopfield
    at.slider(key="ctl:hf_T").set_value(0.3)
    at.run()
    ok(at)
    _, res, _ = at.session_state["hf:recall"]
    assert res.temperature == 0.3 and len(res.times) == 21            # one record per sweep, 20 sweeps
    assert res.overlaps[-5:, 0].mean() > 0.8                          # α ≈ 0.008, T = 0.3: retrieval


def test_capacity_experiment(hopfield):
    at = hopfield
    at.button_group(key="ctl:hf_view").set_value("Capacity")
    at.run()
    ok(at)
    assert charts(at) == 1                                            # the theory curve before any run
    at.button(key="hf_cap_go").click()
    at.run()
    ok(at)
    settings, res = at.session_state["hf:cap"]
    assert settings["N"] == 100 and res.overlaps.shape == (12, 3, 5)
    assert res.m_mean[0] > 0.99 and res.retrieved_fraction[0] == 1.0   # α = 0.02: every probe retrieved
    assert res.m_mean[-1] < 0.8 and res.retrieved_fraction[-1] < 0.5  # α = 0.30: most lost (N = 100)
    assert np.all(np.isfinite(res.m_err))
    assert not at.get("progress")                                     # the progress bar is gone
    assert any("What comes out" in m.value for m in at.markdown)


def test_phase_diagram_theory_and_points(hopfield):
    at = hopfield
    at.button_group(key="ctl:hf_view").set_value("Phase diagram")
    at.run()
    ok(at)
    at.button(key="hf_pd_go").click()
    at.run()
    ok(at)
    _, pts = at.session_state["hf:pd"]
    assert pts.n_neurons == 100 and pts.m_mean.shape == (6, 6)
    assert pts.retrieved[0, 0] and not pts.retrieved[0, -1]           # α = 0.02: T = 0 retrieves, T = 1 does not
    assert charts(at) == 1 and any("re-entrant" in c.value for c in at.caption)


def test_bad_url_values_are_ignored():
    at = open_page("hopfield.py", {"hf_digits": "0,12", "hf_noise": "7", "hf_view": "nonsense"})
    ok(at)
    net, res, prov = at.session_state["hf:recall"]
    assert net.labels == ["0", "1"] and prov["noise"] == 0.15


# ------------------------------------------------------------------------------ Boltzmann

@pytest.fixture
def trained():
    at = open_page("boltzmann.py")
    ok(at)
    at.button(key="bm_go").click()
    at.run()
    ok(at)
    return at


def test_rbm_page_opens_with_the_data():
    at = open_page("boltzmann.py", {"bm_h": "100000", "bm_lr": "7"})  # bad URL values fall back to defaults
    ok(at)
    assert at.slider(key="ctl:bm_h").value == 16 and at.select_slider(key="ctl:bm_lr").value == 0.1
    if "bm:result" not in at.session_state:                           # unless someone trained these settings
        assert charts(at) == 1 and at.info


def test_training_shows_history_filters_samples_and_hands_on_the_ising_model(trained):
    at = trained
    settings, res = at.session_state["bm:result"]
    assert settings["n_hidden"] == 16 and settings["epochs"] == 5 and settings["method"] == "pcd"
    h = res.history
    assert h.reconstruction_error[-1] < 0.7 * h.reconstruction_error[0]
    assert h.pseudo_log_likelihood[-1] > h.pseudo_log_likelihood[0]
    assert charts(at) == 3                                            # history, filters, Gibbs chains
    assert not at.get("progress")
    at.button(key="bm_ising").click()
    at.run()
    ok(at)
    systems = at.session_state["spin_systems"]
    assert len(systems) == 1
    (entry,) = systems.values()
    assert entry["model"].n_spins == 64 + 16 and entry["model"].is_layered
    assert any("Thermodynamics" in s.value for s in at.success)
    at.button(key="bm_ising").click()                                 # the same machine is not added twice
    at.run()
    assert len(at.session_state["spin_systems"]) == 1
    if THERMO.exists():                                               # offered there next to the current network
        at.switch_page("pages/thermodynamics.py")
        at.run()
        assert not at.exception
        (name,) = systems
        assert any(name in sb.options for sb in at.selectbox)


def test_sklearn_comparison(trained):
    at = trained
    at.button(key="bm_sk_go").click()
    at.run()
    ok(at)
    (table,) = [d.value for d in at.dataframe if "sklearn BernoulliRBM" in d.value.columns]
    assert list(table.columns[1:]) == ["engine.boltzmann (PCD-1)", "sklearn BernoulliRBM"]
    rec = table.set_index(table.columns[0]).loc["reconstruction error (per pixel)"]
    assert rec.max() / rec.min() < 1.3                                # same algorithm: similar machines
    assert charts(at) == 5
