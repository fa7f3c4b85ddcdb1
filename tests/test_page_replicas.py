"""The Replica overlaps page under AppTest (NN_LAB_TINY=1: 6 temperatures, 100 sweeps, 3 runs).

The page samples one run by itself, then Start adds runs one per update of its live
fragment (AppTest runs the fragment once per ``at.run()``) until the target or Stop. Checks
are on what the page pooled (runs, ladder, replicas), the figures, the URL, the exact
overlay for a tiny model, and bad input: a clear ``st.error``, nothing sampled lost.
"""
import json

import numpy as np
import pytest

from engine import replicas as rp
from engine.errors import EngineError
from engine.network import Network
from tests.test_pages import open_page, ok


def pooled(at):
    return at.session_state["rp:acc"]["result"]


def chart_titles(at) -> list[str]:
    out = []
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        title = spec.get("layout", {}).get("title", {})
        out.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return out


SEEDS = iter(range(101, 200))


@pytest.fixture
def page():
    """The page at a seed of its own: finished runs are shared process-wide (ui.results), so tests
    that run the same settings would otherwise see each other's runs."""
    at = open_page("replicas.py", {"rp_seed": str(next(SEEDS))})
    ok(at)
    return at


def test_opens_with_one_run_and_every_figure(page):
    res = pooled(page)
    assert res.n_runs == 1 and res.n_replicas == 4 and res.T.size == 6
    assert res.layer_names == ["input", "hidden 1", "output", "all spins"]  # the default 64-32-10 model
    titles = chart_titles(page)
    assert len(titles) == 5  # heat map, P(q), Binder, q(T) curves, swap acceptance
    assert any(t.startswith("Edwards-Anderson") for t in titles) and any(t.startswith("P(q)") for t in titles)
    assert np.all(np.isfinite(res.stats.q_ea)) and np.all(res.stats.q_ea_err > 0)
    assert not page.session_state["rp:running"]
    assert any("At the lowest T" in m.value for m in page.markdown)


def test_start_adds_runs_live_until_the_target_and_then_stops(page):
    at = page
    at.button(key="rp_start").click()
    at.run()
    ok(at)
    assert pooled(at).n_runs == 2 and at.session_state["rp:running"]
    at.run()  # the next tick of the live fragment
    ok(at)
    assert pooled(at).n_runs == 3 and not at.session_state["rp:running"]
    assert at.button(key="rp_start").disabled  # target reached
    at.run()
    assert pooled(at).n_runs == 3  # nothing more without a new Start
    # pooled runs are exactly the runs of one engine call with the same seed
    seed = int(at.query_params["rp_seed"])
    one_call = rp.replica_overlaps(_model(), pooled(at).T, 100, n_replicas=4, n_runs=3, seed=seed)
    np.testing.assert_array_equal(one_call.overlaps.agree, pooled(at).overlaps.agree)


def _model():
    from engine.ising import IsingModel
    from engine.zoo import DEFAULT_MODEL, ZOO_DIR

    return IsingModel.from_network(Network.load(f"{ZOO_DIR}/{DEFAULT_MODEL}.safetensors"))


def test_stop_keeps_what_was_sampled(page):
    at = page
    at.slider(key="ctl:rp_runs").set_value(10)
    at.run()
    at.button(key="rp_start").click()
    at.run()
    assert pooled(at).n_runs == 2 and at.session_state["rp:running"]
    at.button(key="rp_stop").click()
    at.run()
    ok(at)
    assert not at.session_state["rp:running"] and pooled(at).n_runs == 2
    at.run()
    assert pooled(at).n_runs == 2
    assert not at.button(key="rp_start").disabled


def test_controls_change_the_ladder_and_are_mirrored_in_the_url(page):
    at = page
    at.slider(key="ctl:rp_nt").set_value(5)
    at.slider(key="ctl:rp_R").set_value(3)
    at.run()
    ok(at)
    res = pooled(at)
    assert res.T.size == 5 and res.n_replicas == 3 and res.overlaps.n_pairs == 3
    assert at.query_params["rp_nt"] == "5" and at.query_params["rp_R"] == "3"
    at.selectbox(key="ctl:rp_layer").set_value(0)
    at.select_slider(key="ctl:rp_t").set_value(2)
    at.button_group(key="ctl:rp_qty").set_value("Binder g")
    at.run()
    ok(at)
    titles = chart_titles(at)
    assert any(t.startswith("P(q): input (64) at T") for t in titles)
    assert any(t.startswith("Binder cumulant") and "layer by layer" in t for t in titles)  # the heat map


def test_a_tiny_model_shows_the_exact_pq():
    at = open_page("replicas.py", {"model": "iris-4-8-3-tanh-s0-e200", "rp_seed": "7"})
    ok(at)
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("exact enumeration" in s for s in specs)


def test_biases_as_fields_break_the_symmetry_statement(page):
    at = page
    at.toggle(key="ctl:rp_fields").set_value(True)
    at.run()
    ok(at)
    assert pooled(at).has_fields and "(+fields)" in pooled(at).model_name


def test_a_sampling_error_is_shown_and_the_pooled_runs_are_kept(page, monkeypatch):
    at = page
    before = pooled(at).overlaps.agree.copy()

    def broken(*args, **kwargs):
        raise EngineError("`n_sweeps` must be sane, got 'broken'")

    monkeypatch.setattr(rp, "replica_overlaps", broken)
    at.button(key="rp_start").click()
    at.run()  # the error ends the live run; the full rerun that ends it shows the message
    assert not at.exception
    assert any("Sampling" in e.value and "broken" in e.value for e in at.error)
    assert not at.session_state["rp:running"]
    np.testing.assert_array_equal(pooled(at).overlaps.agree, before)


def test_a_model_without_couplings_gets_a_clear_error(page):
    at = page
    zeros = Network.random([3, 4, 2], weight_variance=0.0, name="all-zero")
    at.session_state["session_models"] = {"all-zero": zeros}
    at.session_state["pending_model"] = "all-zero"
    at.run()
    assert not at.exception
    assert at.error and "non-zero weight" in at.error[0].value
    assert len(at.get("plotly_chart")) == 0
