"""The Thermal-machine and Liquid & solid layers pages under AppTest (NN_LAB_TINY=1), plus one real click.

Thermal machine: opens on a shipped run; Run makes a tiny live machine whose numbers are the
engine's for the same config and seed; a stopped run is kept and flagged; bad input is an
``st.error`` that changes nothing. Phase diagram: opens on the shipped sweep with the 1/e contour
and clickable cells whose ids the page understands; the selectbox opens a cell's curves; a tiny
live sweep (serial) is written to a per-session folder and drawn on top; bad input and an
unreadable file leave every result in place. The browser test clicks a heat-map cell.
"""
import math
import shutil
import urllib.parse
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine import thermal_machine as tm
from engine.sweep import linear_fit, load_results
from tests.test_browser import browser, server, wait_for_run  # noqa: F401  (fixtures for the click test)
from tests.test_pages import ROOT, open_page, ok, chart_specs as specs
from ui.fig_thermal import cell_from_selection

SHIPPED = ROOT / "sample_models" / "phase_diagram"
SEEDS = iter(range(7001, 7100))  # finished runs are shared process-wide (ui.results): one seed per test


def titles(at) -> list[str]:
    out = []
    for s in specs(at):
        t = s.get("layout", {}).get("title", {})
        out.append((t.get("text", "") if isinstance(t, dict) else str(t)).replace("<br>", " "))
    return out


def spec_titled(at, start: str) -> dict:
    found = [s for s, t in zip(specs(at), titles(at)) if t.startswith(start)]
    assert found, (start, titles(at))
    return found[0]


# ====================================================================================== thermal machine

@pytest.fixture
def thermal():
    at = open_page("thermal_machine.py", {"th_seed": str(next(SEEDS))})
    ok(at)
    return at


def test_thermal_page_opens_on_a_shipped_run_with_every_time_figure(thermal):
    at = thermal
    assert any("precomputed run" in i.value for i in at.info)
    t = titles(at)
    for start in ("Learning and aging", "Classification accuracy", "Amplitudes", "Correlations after the split",
                  "Replica overlap at the last time", "Relaxation times"):
        assert any(x.startswith(start) for x in t), (start, t)
    # the profile shown is the shipped job's own verdict
    res = load_results(SHIPPED)
    job = res.frame[(res.frame["N"] == 3) & (res.frame["L"] == 10) & (res.frame["seed"] == 1)]
    xi = int(job["xi_s"].iloc[0])
    assert any(x.startswith(f"Replica overlap at the last time q*_l (raw): solid depth ξ_s = {xi} of L = 10")
               for x in t)
    assert at.metric[3].value == f"{xi} of 10"


def test_run_makes_a_live_machine_with_the_engines_numbers_and_bad_input_changes_nothing(thermal):
    at = thermal
    at.button(key="th_go").click()
    at.run()
    ok(at)
    res = at.session_state["th:last"]
    cfg = res.config
    assert (cfg.M, cfg.N, cfg.L, cfg.t_w, cfg.t_run, cfg.n_replicas) == (40, 4, 4, 500, 500, 4)
    assert not res.stopped
    direct = tm.run(cfg, int(at.query_params["th_seed"]))
    np.testing.assert_array_equal(direct.q_star, res.q_star)
    np.testing.assert_array_equal(direct.Q_ab, res.Q_ab)
    t = titles(at)
    assert any(x.startswith("Clustering of the 4 replicas by their weights of layer") for x in t)
    assert any(x.startswith("Distribution of replica overlaps P(Q)") for x in t)
    assert not any("precomputed run" in i.value for i in at.info)
    # the clustering of the spins of layer 1, cosine off: the figure follows the controls
    at.button_group(key="ctl:th_kind").set_value("spins")
    at.select_slider(key="ctl:th_layer").set_value(1)
    at.toggle(key="ctl:th_cos_ab").set_value(False)
    at.toggle(key="ctl:th_cos").set_value(True)
    at.run()
    ok(at)
    t = titles(at)
    assert any(x.startswith("Clustering of the 4 replicas by their spins of layer 1 (raw") for x in t)
    assert any(x.startswith("Correlations after the split (cosine-normalised)") for x in t)
    # bad input: more examples than digits 0/1 have -> a clear error, the shown run is unchanged
    at.number_input(key="ctl:th_M").set_value(1000)
    at.run()
    at.button(key="th_go").click()
    at.run()
    assert not at.exception
    assert any("`M` must be <= 270" in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state["th:last"] is res
    assert len(at.get("plotly_chart")) >= 8


def test_a_stopped_run_is_kept_and_flagged(thermal):
    at = thermal
    cfg = tm.MachineConfig(M=40, N=4, L=4, t_w=300, t_run=600, n_replicas=3, n_times=8)
    # what run_with_progress keeps when Stop interrupts a run after the split: the engine's partial result
    part = tm.run(cfg, 5, chunk=100, callback=lambda p: p.data is not None and p.done >= 600)
    assert part.stopped and 0 < len(part.lags)
    # the snapshot the page's progress callback keeps is not flagged: only the page knows Stop interrupted it
    at.session_state["th_run:partial"] = replace(part, stopped=False)
    at.run()
    assert not at.exception
    shown = at.session_state["th:last"]
    assert shown.stopped and shown.times[-1] < cfg.t_w + cfg.t_run
    assert any("Stopped run" in w.value for w in at.warning)
    assert any(x.startswith("Replica overlap at the last time") for x in titles(at))


# ====================================================================================== phase diagram

@pytest.fixture
def phase():
    at = open_page("phase_diagram.py")
    ok(at)
    yield at
    root = at.session_state["pd:live_root"] if "pd:live_root" in at.session_state else None
    if root:
        shutil.rmtree(root, ignore_errors=True)


def test_phase_diagram_opens_on_the_shipped_sweep_with_contour_cells_and_the_fit(phase):
    at = phase
    maps = spec_titled(at, "Solid and liquid layers at depth L = 10")
    contour = [tr for tr in maps["data"] if tr["type"] == "contour"]
    assert contour and contour[0]["contours"]["start"] == pytest.approx(math.exp(-1))
    cells = {c[0] for tr in maps["data"] if tr["type"] == "scatter" and tr.get("customdata")
             for c in tr["customdata"]}
    assert cells == {f"shipped|270|{n}|10" for n in (3, 5, 8, 12, 20)}
    t = titles(at)
    assert any(x.startswith("Solid depth ξ_s against ln α") for x in t)
    assert any(x.startswith("Liquid fraction") for x in t)
    assert any(x.startswith("One run: ln α = 4.50, L = 10") for x in t)
    # the text quotes the fit of the shipped files, computed here independently
    jobs = load_results(SHIPPED).jobs()
    fit = linear_fit(jobs[jobs["L"] == 10]["ln_alpha"], jobs[jobs["L"] == 10]["xi_s"])
    text = " ".join(m.value for m in at.markdown)
    assert f"{fit['slope']:.2f} ± {fit['slope_err']:.2f}" in text
    assert "Solid-liquid-solid profile: comes out" in text
    assert at.session_state["ctl:pd_cell"] == "shipped|270|3|10"
    assert "pd:live_root" not in at.session_state  # no temporary folder until a live sweep runs


def test_a_cell_opens_its_curves_and_the_controls_are_in_the_url(phase):
    at = phase
    at.selectbox(key="ctl:pd_cell").set_value("shipped|270|20|10")
    at.selectbox(key="ctl:pd_seed").set_value(2)
    at.toggle(key="ctl:pd_cos").set_value(True)
    at.run()
    ok(at)
    t = titles(at)
    assert any(x.startswith("One run: ln α = 2.60, L = 10, seed 2") for x in t)
    assert any(x.startswith("Solid depth ξ_s (cosine rule)") for x in t)
    assert at.query_params["pd_cell"] == "shipped|270|20|10" and at.query_params["pd_cos"] == "1"
    at.selectbox(key="ctl:pd_Lshow").set_value(6)
    at.run()
    ok(at)
    assert any(x.startswith("Solid and liquid layers at depth L = 6") for x in titles(at))


def test_a_click_selection_names_its_cell():
    """The selection state st.plotly_chart keeps: the first point with a cell id wins."""
    state = {"selection": {"points": [{"curveNumber": 0, "x": 1, "y": 2},
                                      {"customdata": ["live|120|8|6"], "x": 3, "y": 2.7}],
                           "point_indices": [0, 1], "box": [], "lasso": []}}
    assert cell_from_selection(state) == "live|120|8|6"
    assert cell_from_selection({"selection": {"points": [{"customdata": "shipped|270|3|10"}]}}) == "shipped|270|3|10"
    for empty in (None, {}, {"selection": {"points": []}}, {"selection": {"points": [{"customdata": ["fit"]}]}}):
        assert cell_from_selection(empty) is None


def test_live_sweep_is_drawn_on_top_and_bad_input_or_an_unreadable_file_changes_nothing(phase):
    at = phase
    at.button(key="pd_run").click()
    at.run()
    ok(at)
    folder = Path(at.session_state["pd:live_dir"])
    assert folder.is_dir() and str(folder).startswith(at.session_state["pd:live_root"])
    assert not str(folder).startswith(str(ROOT))  # never into sample_models/
    done = sorted(p.name for p in folder.glob("job-*.parquet"))
    assert len([n for n in done if not n.endswith(".curves.parquet")]) == 2  # tiny preset: N = 4, 8
    assert at.button_group(key="ctl:pd_src").value == "live"
    assert any(s.value.startswith("Live sweep: 2 jobs run now") for s in at.success)
    maps = spec_titled(at, "Solid and liquid layers at depth L = 3")
    assert {c[0] for tr in maps["data"] if tr["type"] == "scatter" and tr.get("customdata")
            for c in tr["customdata"]} == {"live|40|4|3", "live|40|8|3"}
    xi = spec_titled(at, "Solid depth ξ_s against ln α")
    names = [tr.get("name", "") for tr in xi["data"]]
    assert any(n.startswith("your live sweep, L = 3") for n in names) and any(n.startswith("shipped, L = 10")
                                                                            for n in names)
    n_charts = len(at.get("plotly_chart"))
    # the same grid again: nothing to run
    at.button(key="pd_run").click()
    at.run()
    ok(at)
    assert any(s.value.startswith("Live sweep: 0 jobs run now, 2 already done") for s in at.success)

    def snapshot():
        return sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir())

    before = snapshot()
    for widget, key, value, message in (
            ("number_input", "ctl:pd_M", 1000, "`M` must be <= 270"),
            ("number_input", "ctl:pd_eta", -0.5, "`eta` must be"),
            ("number_input", "ctl:pd_tw", -10, "`t_w` must be"),
            ("text_input", "ctl:pd_Ls", "1", "`L` must be"),
            ("text_input", "ctl:pd_vals", "4, eight", "`N` must be whole numbers"),
    ):
        good = getattr(at, widget)(key=key).value
        getattr(at, widget)(key=key).set_value(value)
        at.run()
        at.button(key="pd_run").click()
        at.run()
        assert not at.exception
        assert any(message in e.value for e in at.error), (key, [e.value for e in at.error])
        assert snapshot() == before and at.session_state["pd:live_dir"] == str(folder)
        assert len(at.get("plotly_chart")) == n_charts  # shipped and live results still shown
        getattr(at, widget)(key=key).set_value(good)
        at.run()
    # an unreadable results file: listed with a warning, every other result still shown
    (folder / "job-00000000deadbeef.parquet").write_bytes(b"not parquet")
    at.run()
    assert not at.exception
    assert any("job-00000000deadbeef.parquet" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == n_charts
    assert (folder / "job-00000000deadbeef.parquet").read_bytes() == b"not parquet"
    # Clear forgets the live results of this session: back to the shipped sweep alone
    at.button(key="pd_clear").click()
    at.run()
    ok(at)
    assert at.button_group(key="ctl:pd_src").value == "shipped" and "pd:live_dir" not in at.session_state


# ====================================================================================== a real click

CELL_XY = """([x, y]) => {
  const gd = document.querySelectorAll('.js-plotly-plot')[0];
  const L = gd._fullLayout, r = gd.getBoundingClientRect();
  return [r.left + L.xaxis._offset + L.xaxis.l2p(x), r.top + L.yaxis._offset + L.yaxis.l2p(y)];
}"""


PLOTS_READY = """() => { const g = document.querySelectorAll('.js-plotly-plot');
  return g.length >= 4 && g[0]._fullLayout !== undefined && g[0]._fullLayout.xaxis !== undefined; }"""
TITLE_SHOWN = """(text) => [...document.querySelectorAll('.gtitle')].some(e => e.textContent.includes(text))"""


@pytest.mark.browser
def test_clicking_a_heat_map_cell_opens_its_run_in_a_real_browser(browser, server):  # noqa: F811
    """Waits on what the click must change (the URL, the curves' title), not on the app being idle:
    Streamlit's file watcher shows its status widget whenever a source file changes on disk."""
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.goto(f"{server}/phase_diagram")
    wait_for_run(page)
    page.wait_for_function(PLOTS_READY, timeout=60_000)
    page.wait_for_function(TITLE_SHOWN, arg="One run: ln α = 4.50", timeout=60_000)
    x, y = page.evaluate(CELL_XY, [5, math.log(270 / 20)])  # layer 5 of ln α = 2.60 (N = 20)
    page.mouse.click(x, y)
    page.wait_for_function(TITLE_SHOWN, arg="One run: ln α = 2.60", timeout=60_000)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert query.get("pd_cell") == ["shipped|270|20|10"], page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
