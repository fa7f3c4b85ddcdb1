"""The Ising energy landscape and Thermodynamics pages under AppTest (NN_LAB_TINY=1 sizes).

Tiny models keep the runs short: iris 4-8-3 (15 spins) is small enough for exact enumeration,
which both pages overlay as the reference. Each test clicks the page's buttons, checks that
no exception or error appears and that the figures are there; bad inputs must show
``st.error`` and change nothing.
"""
import json

import numpy as np
import pytest

from engine.ising import IsingModel
from engine.network import Network
from engine.wang_landau import wang_landau
from tests.test_pages import open_page, ok, chart_specs as figures

IRIS = "iris-4-8-3-tanh-s0-e200"


def trace_names(at) -> set[str]:
    return {t.get("name") for f in figures(at) for t in f["data"] if t.get("name")}


def table(at, column: str):
    """The data frame on the page that has ``column``."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with column {column!r}")


def use_session_model(at, net: Network, monkeypatch):
    """Make ``net`` this session's current model (as an upload on the Models page would)."""
    at.session_state["session_models"] = {net.name: net}
    at.session_state["pending_model"] = net.name
    at.run()


# ------------------------------------------------------------------ Ising page

@pytest.fixture
def ising():
    at = open_page("ising.py", {"model": IRIS})
    ok(at)
    return at


def test_ising_page_opens_with_ground_states_and_the_exact_dos(ising):
    assert ising.sidebar.selectbox(key="model_picker").value == IRIS
    names = trace_names(ising)
    assert any("exact (enumeration)" in n for n in names)  # 15 spins: the exact g(E) is shown at once
    assert any("No Wang-Landau density of states" in i.value for i in ising.info)
    assert any(t.get("name") == "exact (enumeration)" for t in figures(ising)[0]["data"])  # exact ground state
    # field-free layered model: the width shown is twice the ground-state energy
    metric = {m.label: float(m.value) for m in ising.metric}
    assert metric["W/N trained"] == pytest.approx(2 * abs(metric["E_min/N trained (anneal)"]), abs=2e-4)


def test_wang_landau_runs_matches_enumeration_and_is_kept(ising):
    ising.button(key="is_wl_go").click()
    ising.run()
    ok(ising)
    runs = table(ising, "W/N (Wang-Landau)")
    assert list(runs["system"]) == ["trained", "shuffled f=1"]
    assert runs["converged"].all()
    # W = 2|E_min| for a field-free layered model, and Wang-Landau agrees with enumeration
    np.testing.assert_allclose(runs["W/N (Wang-Landau)"], runs["2|E_min(anneal)|/N"], rtol=1e-9)
    assert (runs["max |ln g − ln g_exact|"] < 0.5).all()
    assert (runs["max |ln g(E) − ln g(−E)|"] < 0.5).all()
    assert not any("No Wang-Landau density of states" in i.value for i in ising.info)
    steps = list(runs["steps"])
    ising.button(key="is_wl_go").click()  # converged results are kept: nothing is recomputed
    ising.run()
    ok(ising)
    assert list(table(ising, "W/N (Wang-Landau)")["steps"]) == steps


def test_ising_controls_change_the_comparison(ising):
    ising.slider(key="ctl:is_f").set_value(0.2)
    ising.toggle(key="ctl:is_fields").set_value(True)
    ising.run()
    ok(ising)
    assert ising.query_params["is_f"] == "0.2"
    assert any("no longer a symmetry" in c.value for c in ising.caption)
    assert "shuffled f=0.2" in json.dumps(figures(ising)[0])


def test_a_stopped_run_is_kept_and_marked_unconverged(ising):
    from ui import spin_systems as ss
    from ui.state import get_network

    model = IsingModel.from_network(get_network(IRIS))
    partial = wang_landau(model, log_f_final=1e-4, max_steps=20_000, seed=0)
    assert not partial.converged
    seed = 11  # finished runs are shared process-wide: a seed no other test uses
    ising.number_input(key="ctl:is_seed").set_value(seed)
    ising.run()
    settings = ss.WLSettings(log_f_final=1e-4, bin_factor=1.0, n_windows=1, seed=seed, max_seconds=5.0)
    # what run_live leaves behind when a Stop click interrupts it
    ising.session_state["is_wl#0:job"] = (ss.model_digest(model), settings, "trained")
    ising.session_state["is_wl#0:partial"] = partial
    ising.run()
    ok(ising)
    assert any("Stopped" in i.value for i in ising.info)
    runs = table(ising, "W/N (Wang-Landau)")
    assert list(runs["system"]) == ["trained"] and not runs["converged"].any()
    assert any("not converged" in w.value for w in ising.warning)
    assert any("(unconverged)" in n for n in trace_names(ising))


def test_bad_wang_landau_input_shows_an_error_and_changes_nothing(ising, monkeypatch):
    # integer couplings: only 4 energy levels, too few for two windows
    net = Network([np.array([[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]]), np.array([[1.0, -1.0]])],
                  [np.zeros(2), np.zeros(1)], ["tanh", "linear"], {"name": "integer-3-2-1"})
    use_session_model(ising, net, monkeypatch)
    ok(ising)
    ising.segmented_control(key="ctl:is_win").set_value(2)
    ising.run()
    ising.button(key="is_wl_go").click()
    ising.run()
    assert not ising.exception
    assert ising.error and "n_windows" in ising.error[0].value
    assert any("No Wang-Landau density of states" in i.value for i in ising.info)  # nothing was stored
    assert not any(df.value.columns.str.contains("Wang-Landau").any() for df in ising.dataframe)


# ------------------------------------------------------------------ Thermodynamics page

@pytest.fixture
def thermo():
    at = open_page("thermodynamics.py", {"model": IRIS})
    ok(at)
    return at


def test_thermodynamics_opens_with_tempering_and_exact_reference(thermo):
    names = trace_names(thermo)
    assert {"trained: parallel tempering", "shuffled f=1: parallel tempering", "trained: exact"} <= names
    assert any("C(T) over 8 temperatures" in c.value for c in thermo.caption)
    assert len(thermo.get("plotly_chart")) >= 2  # the curves and the tempering diagnostics


def test_density_of_states_adds_s_and_f_and_the_normalised_convention(thermo):
    # finished runs are shared process-wide: a seed no other test uses gives a new shuffled twin
    thermo.number_input(key="ctl:th_seed").set_value(21)
    thermo.run()
    assert "shuffled f=1: from g(E)" not in trace_names(thermo)
    thermo.button(key="th_wl_go").click()
    thermo.run()
    ok(thermo)
    names = trace_names(thermo)
    assert {"trained: from g(E)", "shuffled f=1: from g(E)"} <= names
    spec = figures(thermo)[0]
    assert "yaxis4" in spec["layout"]  # U, C, S and F panels
    assert any("agrees within 2 error bars" in c.value for c in thermo.caption)
    thermo.toggle(key="ctl:th_norm").set_value(True)
    thermo.run()
    ok(thermo)
    norm = [f for f in figures(thermo) if "normalised" in f["layout"]["title"]["text"]]
    assert norm, "the paper's normalised C(T) figure"


def test_empty_temperature_range_shows_an_error_and_keeps_the_results(thermo):
    before = [c.value for c in thermo.caption if "C(T) over" in c.value]
    thermo.select_slider(key="ctl:th_tlo").set_value(3.0)
    thermo.select_slider(key="ctl:th_thi").set_value(0.05)
    thermo.run()
    assert not thermo.exception
    assert thermo.error and "t_max" in thermo.error[0].value
    assert [c.value for c in thermo.caption if "C(T) over" in c.value] == before
    assert {"trained: parallel tempering"} <= trace_names(thermo)


def test_a_session_spin_system_has_no_twin_and_marks_t_equal_1(thermo):
    rng = np.random.default_rng(0)
    rbm = IsingModel.from_layers([rng.normal(scale=0.5, size=(4, 8))], fields=rng.normal(scale=0.2, size=12),
                                 name="RBM 8-4 (Ising, ±1 spins)")
    thermo.session_state["spin_systems"] = {"RBM 8-4": {"model": rbm, "note": "A test RBM.",
                                                        "marks": {1.0: "T = 1: the RBM's own distribution"}}}
    thermo.run()
    thermo.selectbox(key="ctl:th_sys").set_value("RBM 8-4")
    thermo.run()
    ok(thermo)
    names = trace_names(thermo)
    assert "RBM 8-4: parallel tempering" in names
    assert not any("shuffled" in n for n in names)
    shapes = figures(thermo)[0]["layout"].get("shapes", [])
    assert any(s.get("x0") == 1.0 and s.get("x1") == 1.0 for s in shapes)  # the T = 1 line


def test_thermodynamics_reuses_the_density_of_states_of_the_ising_page(ising):
    ising.number_input(key="ctl:is_seed").set_value(5)
    ising.run()
    ising.button(key="is_wl_go").click()
    ising.run()
    ok(ising)
    ising.switch_page("pages/thermodynamics.py")
    ising.run()
    ising.number_input(key="ctl:th_seed").set_value(5)
    ising.run()
    ok(ising)
    assert {"trained: from g(E)", "shuffled f=1: from g(E)"} <= trace_names(ising)  # no Wang-Landau run here
    assert ising.button(key="th_wl_go").disabled
