"""Downloads: the data behind every figure as CSV, and the figure itself as interactive HTML."""
from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "data"


def csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


def html_bytes(fig: go.Figure) -> bytes:
    # plotly.js is embedded so the file works offline
    return fig.to_html(include_plotlyjs=True, full_html=True).encode()


def figure_with_downloads(fig: go.Figure, df: pd.DataFrame | None, name: str, *, key: str | None = None,
                          **chart_kwargs):
    """Show ``fig`` and, under it, buttons to download its data (CSV) and the figure (HTML)."""
    key = key or _slug(name)
    event = st.plotly_chart(fig, width="stretch", key=f"chart:{key}", **chart_kwargs)
    row = st.container(horizontal=True, gap="small")
    if df is not None:
        row.download_button("Data (CSV)", lambda: csv_bytes(df), file_name=f"{_slug(name)}.csv",
                                mime="text/csv", key=f"csv:{key}", icon=":material/download:", on_click="ignore")
    row.download_button("Figure (HTML)", lambda: html_bytes(fig), file_name=f"{_slug(name)}.html",
                            mime="text/html", key=f"html:{key}", icon=":material/download:", on_click="ignore")
    return event
