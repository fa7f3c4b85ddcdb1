"""Every page runs under Streamlit's AppTest without an exception (small sizes: NN_LAB_TINY=1).

Also the helpers the other page tests share: :func:`open_page`, :func:`ok`, :func:`chart_specs`,
:func:`figures_by_title`.
"""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.catalog import available

ROOT = Path(__file__).resolve().parents[1]
PAGES = [p for infos in available().values() for p in infos]


def open_page(page_file: str, query: dict | None = None, timeout: float = 120) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if query:
        at.query_params.update(query)
    at.run()
    if page_file != "home.py":
        at.switch_page(f"pages/{page_file}")
        at.run()
    return at


def ok(at: AppTest) -> None:
    """The run showed neither an exception nor an error message."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def chart_specs(at: AppTest) -> list[dict]:
    """The page's Plotly figures (as JSON specs), in page order."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def figures_by_title(at: AppTest) -> dict:
    """The page's Plotly figures by title."""
    return {spec["layout"].get("title", {}).get("text", ""): spec for spec in chart_specs(at)}


@pytest.mark.parametrize("info", PAGES, ids=lambda p: p.file)
def test_page_runs_without_exception(info):
    at = open_page(info.file)
    ok(at)
    assert len(at.title) >= 1


def test_model_in_the_url_selects_the_current_model():
    at = open_page("home.py", {"model": "moons-2-16-16-2-tanh-s0-e100"})
    assert at.sidebar.selectbox(key="model_picker").value == "moons-2-16-16-2-tanh-s0-e100"
    assert at.query_params["model"] == "moons-2-16-16-2-tanh-s0-e100"


def test_unknown_model_in_the_url_falls_back_to_the_default():
    from engine.zoo import DEFAULT_MODEL

    at = open_page("home.py", {"model": "no-such-model"})
    assert not at.exception
    assert at.sidebar.selectbox(key="model_picker").value == DEFAULT_MODEL
    # the user is told why: the link's model is not here, and what is shown instead
    notes = [w.value for w in at.sidebar.warning]
    assert len(notes) == 1 and "no-such-model" in notes[0] and DEFAULT_MODEL in notes[0]
    at.sidebar.selectbox(key="model_picker").set_value("moons-2-16-16-2-tanh-s0-e100").run()
    assert not at.sidebar.warning  # gone once another model is picked
    at.sidebar.selectbox(key="model_picker").set_value(DEFAULT_MODEL).run()
    assert not at.sidebar.warning


def test_url_mirrored_multiselect_round_trips():
    from streamlit.testing.v1 import AppTest

    def page():
        from ui import params

        params.multiselect("digits", key="ms", default=[0, 1], options=list(range(10)))

    at = AppTest.from_function(page)
    at.query_params["ms"] = "3,7"
    at.run()
    assert at.multiselect[0].value == [3, 7]
    at.multiselect[0].set_value([2])
    at.run()
    assert at.query_params["ms"] == "2"
    bad = AppTest.from_function(page)
    bad.query_params["ms"] = "3,banana"
    bad.run()
    assert not bad.exception and bad.multiselect[0].value == [0, 1]
