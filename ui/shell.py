"""What every page does first: route through ``app.py``, then show its title and source."""
from __future__ import annotations

import streamlit as st


def _route_through_app() -> None:
    """Make sure this run went through ``app.py`` (sidebar, page config, navigation).

    Streamlit treats an app with a ``pages/`` folder as an old-style multipage app until
    ``st.navigation`` has run in the server process, so the first visit to a deep link
    such as ``/models`` on a freshly started server (and every run under AppTest, which
    resets this) would run the page file alone. When that happens we switch Streamlit to
    ``st.navigation`` mode and rerun, so ``app.py`` routes the request like any other.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the old mode needs no help
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_header(title: str, summary: str | None = None, *, source: str | None = None) -> None:
    """The page's title, a one-paragraph summary and the paper it implements."""
    _route_through_app()
    st.title(title)
    if summary:
        st.markdown(summary)
    if source:
        st.caption(f"Source: {source}")
