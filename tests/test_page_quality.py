"""The Quality page: opens from the shipped table, filters, fingerprints the current model live, shows errors.

Under ``NN_LAB_TINY=1`` (tests/conftest.py) the live fingerprint runs with tiny budgets.
"""
import json

import pytest

from tests.test_pages import open_page, ok
from ui.fig_quality import HIGHLIGHT

LIVE = "ql:live"


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def trace_names(at) -> set:
    return {t.get("name") for spec in charts(at) for t in spec["data"]}


@pytest.fixture
def page():
    at = open_page("quality.py")
    ok(at)
    return at


def test_opens_with_figures_and_findings_from_the_shipped_table(page):
    assert len(charts(page)) == 2  # the default view: indicators and their Spearman ρ
    text = "\n".join(m.value for m in page.markdown)
    assert "ρ = " in text and "Paper: wider in 10 of 11" in text and "shuffled twin" in text
    # the current (zoo) model is marked on the figures without computing anything
    assert HIGHLIGHT in trace_names(page)
    assert LIVE not in page.session_state or not page.session_state[LIVE]


@pytest.mark.parametrize("view,n_charts", [("Network − shuffled twin", 2), ("W against depth", 2),
                                           ("Spectral baseline", 1), ("Checks", 1), ("Table", 0)])
def test_every_view_opens(page, view, n_charts):
    page.button_group(key="ctl:ql_view").set_value(view)
    page.run()
    ok(page)
    assert len(charts(page)) == n_charts
    assert page.query_params["ql_view"] == view


def test_filter_to_one_architecture(page):
    box = page.selectbox(key="ctl:ql_set")
    group = next(o for o in box.options if o.startswith("64-32-10 tanh"))
    box.set_value(group)
    page.run()
    ok(page)
    assert page.query_params["ql_set"] == group
    n = int(group.split("(")[1].split()[0])
    assert f"n = {n})" in "\n".join(m.value for m in page.markdown)


def test_live_fingerprint_with_twin_joins_the_figures(page):
    page.toggle(key="ctl:ql_twin").set_value(True)
    page.button(key="ql_go").click()
    page.run()
    ok(page)
    live = page.session_state[LIVE]
    entry = live["digits-64-32-10-tanh-s0-e30"]
    assert entry["trained"]["n_spins"] == 106 and entry["shuffled"] is not None
    assert entry["shuffled"]["paper_width_per_spin"] == pytest.approx(entry["trained"]["w_per_spin"])
    assert [m.value for m in page.metric][:2] == [f"{entry['trained']['e_min_per_spin']:.4f}",
                                                 f"{entry['trained']['w_per_spin']:.4f}"]
    assert HIGHLIGHT in trace_names(page)


def test_bad_time_cap_shows_an_error_and_changes_nothing(page):
    before = len(charts(page))
    page.number_input(key="ctl:ql_cap").set_value(0.0)
    page.button(key="ql_go").click()
    page.run()
    assert not page.exception
    assert page.error and "wl_seconds" in page.error[0].value
    assert not page.session_state[LIVE]
    assert len(charts(page)) == before  # the page still shows the zoo


def test_depth_of_a_model_outside_the_table_is_computed_on_the_button(tmp_path, monkeypatch):
    """A model the shipped table does not hold (here: the table without the default model) gets a button."""
    import engine.fingerprint as fpm
    from engine.zoo import DEFAULT_MODEL

    table = fpm.load_zoo_table()
    path = tmp_path / "zoo_physics.csv"
    table[table["model"] != DEFAULT_MODEL].to_csv(path, index=False)
    monkeypatch.setattr(fpm, "ZOO_CSV", path)
    at = open_page("quality.py", {"ql_view": "W against depth"})
    ok(at)
    at.selectbox(key="ctl:ql_depth_model").set_value(DEFAULT_MODEL)
    at.run()
    ok(at)
    titles = lambda: [spec["layout"]["title"]["text"] for spec in charts(at) if spec["layout"].get("title")]  # noqa
    assert not any(f"first b layers: {DEFAULT_MODEL}" in t for t in titles())  # nothing computed by itself
    at.button(key="ql_depth_go").click()
    at.run()
    ok(at)
    assert any(f"first b layers: {DEFAULT_MODEL}" in t for t in titles())


def test_sentences_are_computed_from_the_numbers():
    import pandas as pd

    from ui.fig_quality import finding, twin_counts

    row = lambda c, rho, p: pd.Series({"indicator": c, "label": c, "rho": rho, "p": p, "n": 20})  # noqa: E731
    assert "same sign, as strong" in finding(row("w_per_spin", 0.9, 1e-6))
    assert "same sign, weaker" in finding(row("w_per_spin", 0.41, 0.003)) and "significant (p < 0.05)" in finding(
        row("w_per_spin", 0.41, 0.003))
    assert "the opposite sign" in finding(row("w_per_spin", -0.5, 0.02))
    assert "not significant" in finding(row("t_c_pt", 0.1, 0.6))
    t = pd.DataFrame({"t_c_pt": [2.0, 1.0, 1.05], "t_c_pt_shuffled": [1.0, 2.0, 1.0], "err": [0.1, 0.1, 0.1]})
    assert twin_counts(t, "t_c_pt", "err") == {"n": 3, "above": 1, "below": 1, "tied": 1}
    assert twin_counts(t, "t_c_pt") == {"n": 3, "above": 2, "below": 1, "tied": 0}
