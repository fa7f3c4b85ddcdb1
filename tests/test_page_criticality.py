"""The Criticality and Renormalisation pages under AppTest (NN_LAB_TINY=1), and their figure builders.

Page tests click every button at tiny sizes and check: no exception, no error, figures drawn,
the physics the page claims (e.g. the critical button really lands on χ1 = 1), and that a
bad input shows ``st.error`` and leaves the previous results as they were.
"""

import numpy as np
import pytest

from engine import renormalisation as rg
from engine import signal_propagation as sp
from tests.test_pages import open_page, ok, figures_by_title as figures
from ui import fig_criticality as figs


def metric(at, label) -> str:
    return next(m.value for m in at.metric if m.label == label)


# ------------------------------------------------------------------ Criticality page
@pytest.fixture
def crit():
    at = open_page("criticality.py")
    ok(at)
    return at


def test_criticality_opens_with_its_figures_and_the_critical_button_lands_on_chi1_1(crit):
    figs_ = figures(crit)
    assert any(t.startswith("Order-to-chaos phase diagram") for t in figs_)
    flow = next(f for t, f in figs_.items() if t.startswith("Signal propagation"))
    names = {d.get("name") for d in flow["data"]}
    assert any(n and n.startswith("simulation") for n in names)  # the finite-width overlay ran at once
    assert any(t.startswith("Trainable depth") for t in figs_)
    assert metric(crit, "Phase") == "ordered"  # 1.76 is just below tanh's 1.7610 at σ_b² = 0.05

    crit.button(key="cr_crit").click()
    crit.run()
    ok(crit)
    w = crit.slider(key="ctl:cr_w").value
    assert w == pytest.approx(sp.critical_weight_variance("tanh", 0.05))
    assert w == pytest.approx(1.761, abs=0.005)
    assert metric(crit, "Phase") == "critical" and metric(crit, "ξ_c (layers)") == "∞"
    raw = crit.query_params["cr_w"]
    assert float(raw[0] if isinstance(raw, list) else raw) == pytest.approx(w)  # a shared link keeps it


def test_every_activation_runs_and_a_missing_critical_point_is_explained(crit):
    for act in ("erf", "sin", "sigmoid", "linear", "relu"):
        crit.selectbox(key="ctl:cr_act").set_value(act)
        crit.run()
        ok(crit)
        assert len(crit.get("plotly_chart")) >= 3, act
    # ReLU at σ_b² = 0.05: no critical point; the button says so and moves nothing
    before = crit.slider(key="ctl:cr_w").value
    crit.button(key="cr_crit").click()
    crit.run()
    ok(crit)
    assert crit.slider(key="ctl:cr_w").value == before
    assert crit.warning and "No critical σ_w² for relu" in crit.warning[0].value
    # ...and at σ_b² = 0 it is (2, 0), with the engine's convention note shown
    crit.slider(key="ctl:cr_b").set_value(0.0)
    crit.run()
    crit.button(key="cr_crit").click()
    crit.run()
    ok(crit)
    assert crit.slider(key="ctl:cr_w").value == pytest.approx(2.0)
    assert any("every q is a fixed point" in i.value for i in crit.info)


def test_a_large_simulation_waits_for_its_button_then_runs(crit):
    crit.select_slider(key="ctl:cr_width").set_value(2000)
    crit.select_slider(key="ctl:cr_nets").set_value(50)
    crit.select_slider(key="ctl:cr_depth").set_value(20)
    crit.run()
    ok(crit)
    flow = next(f for t, f in figures(crit).items() if t.startswith("Signal propagation"))
    assert not any((d.get("name") or "").startswith("simulation") for d in flow["data"])
    crit.button(key="cr_sim_go").click()
    crit.run()
    ok(crit)
    flow = next(f for t, f in figures(crit).items() if t.startswith("Signal propagation"))
    sim = [d for d in flow["data"] if d.get("legendgroup") == "sim"]
    assert len(sim) == 1 + 4  # q and four c0's
    assert "width 2000" in sim[0]["name"] and "50 nets" in sim[0]["name"]


def test_training_check_runs_and_a_bad_depth_list_changes_nothing(crit):
    crit.button(key="cr_train_go").click()
    crit.run()
    ok(crit)
    last = crit.session_state["cr_last"]
    assert list(last.depths) == [2, 3] and last.fixed.weight_variance == 1.76
    band = next(f for t, f in figures(crit).items() if t.startswith("Trainable depth"))
    marked = sum(len(d["x"]) for d in band["data"] if d.get("mode") == "markers")
    assert marked == 2
    for bad, match in (("4, abc", "whole numbers"), ("0, 500", "depths")):
        crit.text_input(key="cr_depths").set_value(bad)
        crit.run()
        crit.button(key="cr_train_go").click()
        crit.run()
        assert not crit.exception
        assert crit.error and match in crit.error[0].value
        assert crit.session_state["cr_last"] is last or list(crit.session_state["cr_last"].depths) == [2, 3]


def test_a_depth_whose_training_diverges_counts_as_failed_and_keeps_the_others(crit):
    """ReLU deep in the χ1 > 1 phase: the loss of a 30-layer net blows up. That is a result (it did not
    train), not an input error: the finished depths are kept and the diverged one is marked as failed."""
    crit.selectbox(key="ctl:cr_act").set_value("relu")
    crit.slider(key="ctl:cr_w").set_value(5.0)
    crit.slider(key="ctl:cr_b").set_value(0.5)
    crit.text_input(key="cr_depths").set_value("2, 30")
    crit.run()
    crit.button(key="cr_train_go").click()
    crit.run()
    ok(crit)
    last = crit.session_state["cr_last"]
    assert list(last.diverged) == [False, True] and list(last.depths) == [2, 30]
    assert not last.trained[-1] and np.isnan(last.test_accuracy[-1]) and np.isfinite(last.test_accuracy[0])
    assert any("became non-finite" in c.value for c in crit.caption)
    assert not crit.get("progress")  # the progress bar and Stop button are gone, also after a failure


# ------------------------------------------------------------------ Renormalisation page
@pytest.fixture
def renorm():
    at = open_page("renormalisation.py")
    ok(at)
    return at


def test_renormalisation_opens_with_labelled_sections_and_all_figures(renorm):
    headers = [h.value for h in renorm.header]
    assert any("Source's formulation" in h for h in headers)
    assert sum("This lab's construction" in h for h in headers) == 2
    titles = list(figures(renorm))
    for start in ("Neurons as a chain", "RG flow of the linear chain", "Correlation length near",
                  "Decimation check", "The nonlinear analogue", "One RG step squares"):
        assert any(t.startswith(start) for t in titles), start
    assert float(metric(renorm, "Largest |sampled − exact| / error")) < 4.5
    assert float(metric(renorm, "max |W′ measured − W₂W₁|")) < 1e-12


def test_own_matrices_are_checked_and_bad_ones_change_nothing(renorm):
    renorm.toggle(key="ctl:rg_own").set_value(True)
    renorm.run()
    ok(renorm)
    good = renorm.session_state["rg_chain_last"]
    assert good.decimated.W.shape == (2, 2)  # W2 (2×3) @ W1 (3×2)
    for bad, match in (("1, 2; 3, 4", "columns"), ("1, x", "numbers"), ("1, 2; 3", "equal length")):
        renorm.text_input(key="rg_W2").set_value(bad)
        renorm.run()
        assert not renorm.exception
        assert renorm.error and match in renorm.error[0].value, bad
        assert renorm.session_state["rg_chain_last"].decimated.W.shape == (2, 2)


def test_kernel_section_critical_button_and_activations(renorm):
    renorm.button(key="rg_crit").click()
    renorm.run()
    ok(renorm)
    assert renorm.slider(key="ctl:rg_w").value == pytest.approx(sp.critical_weight_variance("tanh", 0.05))
    renorm.selectbox(key="ctl:rg_act").set_value("relu")
    renorm.run()
    renorm.button(key="rg_crit").click()
    renorm.run()
    ok(renorm)
    assert renorm.warning and "relu" in renorm.warning[0].value
    renorm.slider(key="ctl:rg_w0").set_value(1.0)  # the critical linear chain: a coupling that stays at 1
    renorm.run()
    ok(renorm)


# ------------------------------------------------------------------ figure builders (pure)
def test_phase_diagram_figure_clips_infinite_xi_and_marks_relus_single_critical_point():
    d = sp.phase_diagram("relu", np.linspace(1.0, 3.0, 5), np.linspace(0.0, 0.2, 3))
    fig, df = figs.phase_diagram_figure(d, point=(1.5, 0.1))
    heat = fig.data[0]
    z = np.array(heat.z, dtype=float)
    assert np.isinf(d.xi_c).any() and np.all(z[np.isinf(d.xi_c)] == figs.LOG_XI_RANGE[1])
    crit = [t for t in fig.data if t.name and t.name.startswith("critical")]
    assert len(crit) == 1 and list(crit[0].x) == [2.0] and list(crit[0].y) == [0.0]
    assert len(df) == 15 and df["critical_weight_variance"].iloc[0] == 2.0


def test_reference_frame_puts_the_engine_beside_the_literature():
    values = {("tanh", 0.05, "critical σ_w²"): sp.critical_weight_variance("tanh", 0.05),
              ("relu", 0.0, "critical σ_w²"): "no critical point"}
    df = figs.reference_frame("relu", values)
    assert df.iloc[0]["activation"] == "relu" and df.iloc[0]["this engine"] == "no critical point"
    tanh = df[(df.activation == "tanh") & (df["σ_b²"] == 0.05) & (df.quantity == "critical σ_w²")].iloc[0]
    assert abs(tanh["difference"]) < 0.005


def test_depth_flow_figure_merges_simulation_per_c0():
    flow = sp.depth_flow("tanh", 1.5, 0.05, 1.0, np.array([0.0, 0.5]), 6)
    sims = [sp.simulate_propagation("tanh", 1.5, 0.05, 64, 6, 1.0, c, n_networks=3, seed=1) for c in (0.0, 0.5)]
    fig, df = figs.depth_flow_figure(flow, sims, trainable_depth=flow.fixed.trainable_depth)
    assert len(df) == 7 * 2
    np.testing.assert_allclose(df[df.c0 == 0.5]["c_sim"], sims[1].c_mean)
    np.testing.assert_allclose(df[df.c0 == 0.5]["c"], flow.c[:, 1])
    assert sum(1 for t in fig.data if t.legendgroup == "sim") == 3


def test_trainable_depth_figure_marks_trained_and_failed_depths():
    row = sp.phase_diagram("tanh", np.linspace(0.5, 3.0, 20), [0.05])
    fixed = sp.fixed_point("tanh", 0.5, 0.05)
    run = sp.TrainabilityResult(np.array([4, 16, 48]), np.array([0.9, 0.1, 0.1]), np.array([0.8, 0.1, 0.1]),
                                np.array([True, False, False]), 0.5, fixed, {"seed": 0})
    fig, df = figs.trainable_depth_figure(row, [run], point=0.5)
    trained = next(t for t in fig.data if t.name.startswith("trained"))
    failed = next(t for t in fig.data if t.name.startswith("failed"))
    assert list(trained.y) == [4] and list(failed.y) == [16, 48]
    assert (df.kind == "training run").sum() == 3


def test_rg_flow_figure_draws_one_arrow_per_moving_grid_point():
    coarse = rg.flow_field(np.linspace(-1.0, 1.0, 5), np.linspace(0.0, 1.0, 3))
    fine = rg.flow_field(np.linspace(-1.2, 1.2, 25), np.linspace(0.0, 1.0, 11))
    traj = [rg.scalar_flow(0.9, 0.1, 0.1, 4), rg.scalar_flow(-0.5, 0.0, 0.5, 4)]
    fig, df = figs.rg_flow_figure(coarse, fine, traj)
    moving = int(np.sum(np.hypot(coarse.dw, coarse.dT) > 0))
    heads = next(t for t in fig.data if t.name == "one RG step")
    assert len(heads.x) == moving == 15 - 3 - 1  # the w = 0 column and (1, 0) stand still
    # each head points along the step: up-pointing triangles turned clockwise by atan2(Δw, ΔT)
    dw = np.array(heads.customdata)[:, 2]
    assert np.all(np.sign(np.sin(np.radians(heads.marker.angle))) == np.sign(np.round(dw, 12)))
    assert (df.kind == "trajectory 0").sum() == 5


def test_nu_and_rg_coupling_figures_carry_the_fit_and_both_couplings():
    fit = rg.fit_nu(1 - np.geomspace(1e-4, 0.1, 10))
    fig, df = figs.nu_figure(fit)
    assert f"{fit.nu:.4f}" in next(t.name for t in fig.data if t.name.startswith("fit"))
    assert len(df) == 10
    kf = rg.kernel_depth_flow("tanh", 1.5, 0.05, 16)
    lin = rg.scalar_flow(0.9, 0.0, 0.1, kf.rg_layers.size - 1)
    fig, df = figs.rg_coupling_figure(kf, lin)
    np.testing.assert_allclose(df[df.kind == "linear chain"]["coupling"], 0.9 ** (2.0 ** np.arange(5)))
    np.testing.assert_allclose(df[df.kind == "kernel map"]["coupling"], kf.rg_chi)
    fig, df = figs.kernel_flow_figure(kf)
    assert len(df) == 17 * 11
