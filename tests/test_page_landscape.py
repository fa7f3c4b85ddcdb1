"""The Loss-landscape page under AppTest (NN_LAB_TINY=1: 11 × 11 grids, 20 Hutchinson probes).

Each view is driven through its controls and buttons; the checks are on what the page computed,
held against the engine's own numbers (the loss of each end of an interpolation, the centre of a
surface, the shipped zoo table) and on bad input: a clear ``st.error``, and nothing else changes.
"""
import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine import landscape as L
from engine.network import Network
from engine.zoo import DEFAULT_MODEL, ZOO_DIR, load_zoo_model
from tests.test_pages import ROOT, open_page, ok

PAGE = "loss_landscape.py"


def charts(at) -> int:
    return len(at.get("plotly_chart"))


def view(at, name):
    at.button_group(key="ctl:ls_view").set_value(name)
    at.run()
    ok(at)
    return at


@pytest.fixture
def page():
    at = open_page(PAGE)
    ok(at)
    return at


def test_opens_with_the_interpolation_from_initial_to_trained(page):
    at = page
    partner, current, line = at.session_state["ls:interp"]
    assert current == DEFAULT_MODEL and partner == DEFAULT_MODEL.replace("-e30", "-e0")
    data = L.loss_data(load_zoo_model(current))
    for t, model in ((0.0, partner), (1.0, current)):  # the ends are the two models' own losses
        (i,) = np.flatnonzero(line.t == t)
        assert line.loss[i] == pytest.approx(L.loss_reference(load_zoo_model(model), data.X, data.y)[0], rel=1e-9)
    assert line.t.size == 41 and line.t[0] == -0.5 and line.t[-1] == 1.5
    assert line.loss[np.flatnonzero(line.t == 1.0)[0]] < line.loss[np.flatnonzero(line.t == 0.0)[0]]
    assert charts(at) == 1 and at.query_params["ls_view"] == "Interpolation"


def test_two_seeds_and_a_refused_architecture(page):
    at = page
    at.selectbox(key="ctl:ls_a").set_value("digits-64-32-10-tanh-s1-e30")
    at.run()
    ok(at)
    partner, _, line = at.session_state["ls:interp"]
    assert partner == "digits-64-32-10-tanh-s1-e30"
    before = line
    at.toggle(key="ctl:ls_any").set_value(True)
    at.run()
    ok(at)
    at.selectbox(key="ctl:ls_a").set_value("moons-2-16-16-2-tanh-s0-e100")
    at.run()
    assert not at.exception
    assert at.error and "architecture" in at.error[0].value
    assert at.session_state["ls:interp"][2] is before           # nothing else changed


def test_random_directions_line_and_surface(page):
    at = view(page, "Random directions")
    base, line = at.session_state["ls:line"]
    assert base["normalization"] == "filter" and base["resolution"] == 11
    assert line.loss[np.flatnonzero(line.t == 0.0)[0]] == pytest.approx(L.evaluate_loss(load_zoo_model(DEFAULT_MODEL)).loss)
    assert charts(at) == 1                                          # the 1D cut runs by itself
    at.button(key="ls_surf_go").click()
    at.run()
    ok(at)
    settings, _, surface = at.session_state["ls:surface"]
    assert surface.loss.shape == (11, 11) and np.all(np.isfinite(surface.loss)) and not surface.stopped_early
    assert surface.loss[5, 5] == pytest.approx(surface.center_loss, rel=1e-9)  # the grid passes through θ*
    np.testing.assert_allclose(surface.loss[5], np.interp(surface.alpha, line.t, line.loss), rtol=1e-6)  # the 1D cut is the α axis
    assert charts(at) == 2 and not at.get("progress")
    at.button_group(key="ctl:ls_show").set_value("3D")
    at.run()
    ok(at)
    traces = [t.get("type") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    assert traces.count("surface") == 1 and "scatter3d" in traces  # one WebGL view on screen, θ* marked


def test_grid_over_the_memory_budget_shows_an_error_and_keeps_the_surface(page):
    at = view(page, "Random directions")
    at.button(key="ls_surf_go").click()
    at.run()
    ok(at)
    before = at.session_state["ls:surface"]
    at.number_input(key="ctl:ls_mem").set_value(1)                  # 1 MB: one point of 1347 examples needs ~1.5 MB
    at.number_input(key="ctl:ls_seed").set_value(3)
    at.run()
    at.button(key="ls_surf_go").click()
    at.run()
    assert not at.exception
    assert at.error and "memory budget" in at.error[0].value
    assert at.session_state["ls:surface"] is before
    assert any("last surface" in c.value for c in at.caption)       # the previous surface is still shown


def test_hessian_directions_show_the_curvatures(page):
    at = view(page, "Hessian directions")
    at.button(key="ls_hess_go").click()
    at.run()
    ok(at)
    _, _, surface = at.session_state["ls:hsurface"]
    lmax, lmin = surface.eigenvalues
    assert lmax > 0 and lmax > abs(lmin)
    c = surface.loss.shape[0] // 2
    h = surface.alpha[1] - surface.alpha[0]
    curv_a = (surface.loss[c, c + 1] - 2 * surface.loss[c, c] + surface.loss[c, c - 1]) / h**2
    curv_b = (surface.loss[c + 1, c] - 2 * surface.loss[c, c] + surface.loss[c - 1, c]) / h**2
    assert curv_a > curv_b                                          # α along v_max is the stiffest direction
    assert any("λ_min" in m.value for m in at.markdown)
    assert charts(at) == 2                                          # the surface and the cuts through θ*


def test_spectrum_of_the_default_model_matches_the_zoo_table(page):
    at = view(page, "Spectrum")
    _, spec, est = at.session_state["ls:spectrum"]
    assert spec.method == "lanczos" and not spec.complete and spec.eigenvalues.size == 6
    table = pd.read_csv(ZOO_DIR / "zoo_sharpness.csv", comment="#").set_index("name")
    assert spec.lambda_max == pytest.approx(table.loc[DEFAULT_MODEL, "lambda_max"], rel=1e-3)
    assert est.n_probes == 20 and est.stderr > 0
    assert charts(at) == 2                                          # spectrum and Hutchinson convergence


def test_small_net_gets_the_exact_spectrum_and_hutchinson_agrees():
    at = open_page(PAGE, {"model": "iris-4-8-3-tanh-s0-e200", "ls_view": "Spectrum", "ls_probes": "200"})
    ok(at)
    _, spec, est = at.session_state["ls:spectrum"]
    assert spec.complete and spec.eigenvalues.size == 67
    assert spec.trace == pytest.approx(spec.eigenvalues.sum(), rel=1e-9)
    assert abs(est.trace - spec.trace) < 4 * est.stderr           # the estimator against the exact trace
    assert not any(b.key == "ls_exact_go" for b in at.button)      # nothing more exact to ask for


def test_zoo_sharpness_opens_from_the_table(page):
    at = view(page, "Zoo sharpness")
    table = pd.read_csv(ZOO_DIR / "zoo_sharpness.csv", comment="#")
    assert len(table) >= 30 and table["lambda_max"].gt(0).all()
    n = int(at.metric[2].value)
    assert n == (table["dataset"] == "digits").sum()
    assert float(at.metric[0].value) < 0                            # sharper digits models test worse
    text = " ".join(m.value for m in at.markdown)
    assert "What the data shows" in text
    at.selectbox(key="ctl:ls_zds").set_value("moons")
    at.button_group(key="ctl:ls_zm").set_value("ε-sharpness")
    at.run()
    ok(at)
    assert int(at.metric[2].value) == (table["dataset"] == "moons").sum()
    assert charts(at) == 1


def test_a_model_without_data_shows_a_clear_message_and_the_zoo_still_works():
    blank = Network.random([64, 8, 10], "tanh", seed=0, name="no-card")
    blank.card = {"name": "no-card"}                                # an upload without its card
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["session_models"] = {"no-card": blank}
    at.session_state["current_model"] = "no-card"
    at.run()
    picker = at.sidebar.selectbox(key="model_picker")
    assert picker.options[0].startswith("no-card")                  # session models come first
    picker.select_index(0)  # AppTest cannot apply the picker's format_func to a session model's name
    at.switch_page(f"pages/{PAGE}")
    at.run()
    assert not at.exception
    assert at.error and "a model without data for a loss" in at.error[0].value
    assert at.info and charts(at) == 0
    at.sidebar.selectbox(key="model_picker").select_index(0)
    at.button_group(key="ctl:ls_view").set_value("Zoo sharpness")
    at.run()
    ok(at)
    assert charts(at) == 1
