"""The "Network as a Hamiltonian" page under AppTest (NN_LAB_TINY=1), and its figure builders.

Page tests click the Run button at tiny sizes and check: no exception, no error, the figures
drawn, the physics the page shows (the exact linear-network ground state, the AT point, the
simulated numbers in the figure), that a bad β ladder shows ``st.error`` and keeps the previous
run, and that a stopped run shows its finished draws. The builders are checked on small,
real engine results.
"""
import base64
import math

import numpy as np
import pytest

from engine import input_hamiltonian as ih
from tests.test_pages import open_page, ok, figures_by_title as figures
from ui import fig_input_hamiltonian as figs

PAGE = "input_hamiltonian.py"


def arr(v) -> np.ndarray:
    """A data array of a figure spec (Plotly writes NumPy arrays as base64 'bdata')."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.asarray(v, dtype=float)


def find(at, start: str) -> dict:
    return next(f for t, f in figures(at).items() if t.startswith(start))


def metric(at, label) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture(scope="module")
def tiny_sim():
    """A real (tiny) simulation and the theory at its temperatures: sin, C_W = 4 is 1RSB at β = 2."""
    res = ih.simulate("sin", 1, n0=8, width_ratio=1, weight_variance=4.0, betas=(0.5, 2.0), n_draws=2,
                      n_steps=60, n_descents=3, descent_steps=20, seed=3)
    t = ih.TabulatedCovariance(ih.nngp_kernel("sin", 1, 4.0, 0.0))
    return res, t, ih.thermodynamics(t, res.beta), [ih.overlap_distribution(t, b) for b in res.beta]


# ------------------------------------------------------------------ the page
def test_page_opens_with_theory_verdict_and_overview():
    at = open_page(PAGE)
    ok(at)
    for start in ("The network's covariance", "Energy and overlap", "Entropy of inputs", "Zero temperature",
                  "Replica symmetry at zero temperature"):
        find(at, start)
    assert metric(at, "Verdict (T = 0)") == "RS"  # shallow tanh at C_W = 1
    gs = ih.ground_state(ih.nngp_kernel("tanh", 1, 1.0, 0.0))
    assert float(metric(at, "Ground state GS")) == pytest.approx(gs.energy, abs=1e-5)
    # the overview: 5 activations × 4 depths, every linear network RS with GS = C_W^((L+1)/2) = 1
    grid = find(at, "Replica symmetry at zero temperature")["data"][0]
    z = arr(grid["z"])
    assert z.shape == (5, 4)
    assert grid["y"][0] == "linear" and np.all(z[0] == 0)
    # the notes quote the solver's own numbers (ReLU's RSB gain at depth 1), not the paper's
    relu = ih.classify("relu", 1, 1.0, 0.0)
    notes = next(m.value for m in at.markdown if "**ReLU.**" in m.value)
    assert f"{100 * relu.rsb_gain:.2g} %" in notes
    assert not at.button(key="ih_sim_go").disabled


def test_linear_network_shows_the_exact_ground_state_and_a_shared_link_keeps_the_controls():
    at = open_page(PAGE, {"ih_act": "linear", "ih_L": "2", "ih_cw": "2"})
    ok(at)
    assert at.selectbox(key="ctl:ih_act").value == "linear" and at.slider(key="ctl:ih_L").value == 2
    assert metric(at, "Verdict (T = 0)") == "RS"
    assert float(metric(at, "Ground state GS")) == pytest.approx(2.0 ** 1.5, abs=1e-5)  # C_W^((L+1)/2)
    assert metric(at, "RSB lowers GS by") == "0"


def test_sin_at_large_weight_variance_marks_the_at_point_and_the_1rsb_phase():
    at = open_page(PAGE, {"ih_act": "sin", "ih_cw": "4"})
    ok(at)
    assert metric(at, "Verdict (T = 0)") == "1RSB"
    thermo = find(at, "Energy and overlap")
    ap = ih.at_point(ih.nngp_kernel("sin", 1, 4.0, 0.0))
    marker = next(d for d in thermo["data"] if (d.get("name") or "").startswith("AT point"))
    assert arr(marker["x"])[0] == pytest.approx(ap.beta) and arr(marker["y"])[0] == pytest.approx(ap.energy)
    assert any(s.get("fillcolor") == figs.PHASE_COLORS["1RSB"] for s in thermo["layout"]["shapes"])
    assert any((d.get("name") or "").startswith("RS branch") for d in thermo["data"])
    # the C_W = 4 overview is not computed by itself: its button is offered
    assert at.button(key="ih_over_go")


def test_run_simulation_then_bad_ladders_show_an_error_and_keep_the_run():
    at = open_page(PAGE)
    ok(at)
    assert not any(t.startswith("Overlap distribution") for t in figures(at))
    at.button(key="ih_sim_go").click()
    at.run()
    ok(at)
    key, res = at.session_state["ih_sim_last"]
    assert res.complete and res.n_draws == 2 and res.n0 == 16 and list(res.beta) == [0.5, 1.0, 2.0]
    sim = find(at, "Energy and overlap")
    points = next(d for d in sim["data"] if (d.get("name") or "").startswith("simulation"))
    np.testing.assert_allclose(arr(points["x"]), res.beta)
    np.testing.assert_allclose(arr(points["y"]), res.energy)
    pq = find(at, "Overlap distribution")
    assert sum(d["type"] == "bar" for d in pq["data"]) == 3  # one histogram per β
    find(at, "Ground states")
    assert at.dataframe  # the per-β comparison table

    for bad, match in (("0.5, -1", "> 0"), ("1, 0.5", "increasing"), ("a, b", "numbers"),
                       (",".join(["1"] * 9), "1 to 8")):
        at.text_input(key="ctl:ih_betas").set_value(bad)
        at.run()
        at.button(key="ih_sim_go").click()
        at.run()
        assert not at.exception
        assert at.error and match in at.error[0].value, (bad, [e.value for e in at.error])
        assert at.session_state["ih_sim_last"][1] is res  # the previous run is kept and still drawn
        assert any(t.startswith("Overlap distribution") for t in figures(at))


def test_a_stopped_run_shows_its_finished_draws_and_shaped_activations_are_theory_only():
    at = open_page(PAGE)
    ok(at)
    stopped = ih.simulate("tanh", 1, n0=8, width_ratio=1, betas=(0.5, 1.0), n_draws=3, n_steps=40, n_descents=2,
                          descent_steps=10, seed=0, callback=lambda p: p.data is not None)  # stop after a draw
    assert not stopped.complete and stopped.n_draws == 1
    at.number_input(key="ctl:ih_seed").set_value(7)  # settings without a finished run in the process-wide store
    at.session_state["ih_sim:partial"] = stopped  # what ui.progress leaves behind when Stop is clicked
    at.session_state["ih_sim_running"] = ("a key",)
    at.run()
    ok(at)
    assert at.session_state["ih_sim_last"][1] is stopped
    assert any("Stopped early: 1 weight draws" in w.value for w in at.warning)
    find(at, "Overlap distribution")
    at.selectbox(key="ctl:ih_act").set_value("shaped_tanh")
    at.run()
    ok(at)
    assert at.button(key="ih_sim_go").disabled
    assert any("theory-only" in i.value for i in at.info)


# ------------------------------------------------------------------ figure builders (pure)
def test_rs_branch_mask_starts_at_the_last_rs_point():
    broken = np.array([False, False, True, True, False, True])
    np.testing.assert_array_equal(figs._rs_branch(broken), [False, True, True, True, True, True])


def test_thermo_figure_solution_rs_branch_and_simulation(tiny_sim):
    res, t, th_sim, _ = tiny_sim
    betas = np.geomspace(0.1, 20, 30)
    th = ih.thermodynamics(t, betas)
    ap = ih.at_point(t)
    fig, df = figs.thermo_figure(th, ap, setting="s", sim=res, theory_at_sim=th_sim)
    solution = next(d for d in fig.data if d.name == "theory: the solution")
    np.testing.assert_allclose(solution.y, th.energy)
    rs = next(d for d in fig.data if d.name and d.name.startswith("RS branch"))
    first_broken = int(np.argmax(th.phase != "RS"))
    assert rs.x[0] == pytest.approx(betas[first_broken - 1])  # dashed from the last RS point on
    np.testing.assert_allclose(rs.y, -th.u_rs[first_broken - 1:])
    at_trace = next(d for d in fig.data if d.name and d.name.startswith("AT point"))
    assert at_trace.x[0] == pytest.approx(ap.beta)
    assert set(df["kind"]) == {"theory", "theory at simulated beta", "simulation"}
    assert fig.layout.xaxis.type == "log" and 10 ** fig.layout.xaxis.range[1] > betas[-1]


def test_overlap_figure_draws_the_theory_atoms_with_their_weights(tiny_sim):
    res, _, _, theories = tiny_sim
    assert [o.phase for o in theories] == ["RS", "1RSB"]
    fig, df = figs.overlap_figure(res, theories, setting="s")
    atoms = df[df["kind"] == "theory atom"]
    assert len(atoms) == 1 + 2
    one = atoms[atoms["beta"] == 2.0]
    np.testing.assert_allclose(sorted(one["q"]), sorted(theories[1].q))
    assert one["theory_weight"].sum() == pytest.approx(1.0)
    bars = [d for d in fig.data if d.type == "bar"]
    np.testing.assert_allclose(bars[1].y, res.p_q[1])
    assert len(df[df["kind"] == "simulation"]) == res.p_q.size


def test_mean_overlap_of_the_theory_and_the_comparison_table(tiny_sim):
    res, _, th_sim, theories = tiny_sim
    rs, rsb = theories
    assert figs.theory_mean_overlap(rs) == pytest.approx(rs.q[0])
    assert figs.theory_mean_overlap(rsb) == pytest.approx(rsb.weight @ rsb.q)
    comp = figs.comparison_frame(res, th_sim, theories)
    np.testing.assert_allclose(comp["gap"], res.energy - th_sim.energy)
    np.testing.assert_allclose(comp["|gap| / s.e."], np.abs(res.energy - th_sim.energy) / res.energy_err)
    assert list(comp["theory phase"]) == ["RS", "1RSB"]
    # a continuous Parisi function: E[q] = ∫ q dx(q) lies between the 1RSB atoms' values
    t = ih.TabulatedCovariance(ih.nngp_kernel("relu", 1, 2.0, 0.0))
    full = ih.overlap_distribution(t, 20.0)
    assert full.phase == "full-RSB-like" and full.x.size
    m = figs.theory_mean_overlap(full)
    assert full.q.min() - 0.02 <= m <= full.q.max() + 1e-9


def test_verdict_and_descent_figures(tiny_sim):
    res, t, _, _ = tiny_sim
    table = ih.verdict_table(["linear", "relu"], [1], 1.0, 0.0)
    fig, df = figs.verdict_figure(table)
    assert [list(r) for r in fig.data[0].z] == [[0.0], [2.0]]  # RS, full-RSB-like
    assert "note" not in df.columns and len(df) == 2
    gs = ih.ground_state(t)
    fig, df = figs.descent_figure(res, gs, setting="s")
    assert len(df) == res.ground_energies.size
    lines = [s.y0 for s in fig.layout.shapes]
    assert any(math.isclose(y, -gs.energy) for y in lines)  # the theory's -GS is drawn
