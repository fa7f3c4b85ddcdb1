"""Shared fixtures. Tests mirror engine/ (test_<module>.py), plus page and browser tests."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("NN_LAB_TINY", "1")  # pages pick small default sizes under test


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def _streamlit_navigation_mode(monkeypatch):
    """Run AppTest the way a live server runs after its first request: in st.navigation mode.

    AppTest resets Streamlit's "old-style pages/ folder" switch before every run, so each run
    would first execute the page file alone and then reroute through app.py (ui.shell),
    which drops one-shot widget values such as button clicks. A live server makes that
    switch once, on its first request; the browser test covers that first request.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
