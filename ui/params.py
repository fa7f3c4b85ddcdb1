"""Page controls mirrored in the URL, so a teacher can share a link that opens the same view.

Use the wrappers instead of the bare widgets for a page's main controls::

    f = params.slider("Shuffled fraction f", key="f", default=1.0, min_value=0.0, max_value=1.0)

On a session's first view of the page the value comes from the URL (``?f=0.5``) when it is
valid, otherwise from the default; later the widget keeps what the user chose, also across
page switches; and after every run the value is written back to ``st.query_params``. A URL
value that does not parse or lies outside the widget's range is ignored (the default is
used) — a shared link can never break a page.
"""
from __future__ import annotations

import streamlit as st

from engine.errors import EngineError

_STORE = "_controls"  # remembered values by page-independent key (survive page switches)


def _encode(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return ",".join(_encode(v) for v in value)
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _decode(raw: str, default, options=None):
    """Parse ``raw`` like ``default``; raise ValueError if it does not fit."""
    if options is not None:
        if isinstance(default, (list, tuple)):  # a multi-select: comma-separated options
            parts = raw.split(",") if raw else []
            return type(default)(_decode(p, default[0] if default else options[0], options) for p in parts)
        for o in options:
            if _encode(o) == raw:
                return o
        raise ValueError(raw)
    if isinstance(default, bool):
        if raw not in ("0", "1", "true", "false"):
            raise ValueError(raw)
        return raw in ("1", "true")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        v = float(raw)
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError(raw)
        return v
    if isinstance(default, (list, tuple)):
        parts = raw.split(",") if raw else []
        out = [_decode(p, default[0]) for p in parts] if default else parts
        return type(default)(out)
    return raw


def _in_range(value, kwargs) -> bool:
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    vals = value if isinstance(value, (list, tuple)) else [value]
    for v in vals:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                return False
    return True


def _among(value, options) -> bool:
    """``value`` is one of ``options`` (or, for a multi-select, a list of them)."""
    if isinstance(value, (list, tuple)):
        return all(v in options for v in value)
    return value in options


def _widget_key(key: str) -> str:
    return f"ctl:{key}"


def bound(widget, label: str, *, key: str, default, options=None, **kwargs):
    """Render ``widget(label, ...)`` whose value is mirrored in the URL under ``key``."""
    wkey = _widget_key(key)
    store = st.session_state.setdefault(_STORE, {})
    if wkey not in st.session_state:
        value = store.get(key, default)
        raw = st.query_params.get(key)
        if raw is not None and key not in store:
            try:
                parsed = _decode(raw, default, options)
                if _in_range(parsed, kwargs):
                    value = parsed
            except (ValueError, TypeError):
                pass
        if options is not None and not _among(value, options):
            value = default
        st.session_state[wkey] = value
    if options is not None:
        value = widget(label, options=options, key=wkey, **kwargs)
    else:
        value = widget(label, key=wkey, **kwargs)
    store[key] = value
    st.query_params[key] = _encode(value)
    return value


def slider(label, *, key, default, **kw):
    return bound(st.slider, label, key=key, default=default, **kw)


def select_slider(label, *, key, default, options, **kw):
    return bound(st.select_slider, label, key=key, default=default, options=list(options), **kw)


def number_input(label, *, key, default, **kw):
    return bound(st.number_input, label, key=key, default=default, **kw)


def selectbox(label, *, key, default, options, **kw):
    return bound(st.selectbox, label, key=key, default=default, options=list(options), **kw)


def multiselect(label, *, key, default, options, **kw):
    """``st.multiselect``; the URL holds the chosen options comma-separated."""
    return bound(st.multiselect, label, key=key, default=list(default), options=list(options), **kw)


def radio(label, *, key, default, options, **kw):
    return bound(st.radio, label, key=key, default=default, options=list(options), **kw)


def segmented(label, *, key, default, options, **kw):
    """``st.segmented_control`` with one required choice."""
    return bound(st.segmented_control, label, key=key, default=default, options=list(options),
                 selection_mode="single", **kw) or default


def toggle(label, *, key, default, **kw):
    return bound(st.toggle, label, key=key, default=bool(default), **kw)


def checkbox(label, *, key, default, **kw):
    return bound(st.checkbox, label, key=key, default=bool(default), **kw)


def parse_numbers(text: str, name: str, kind=int, *, max_count: int | None = None) -> tuple:
    """A typed list '4, 8, 16' (commas or semicolons) -> (4, 8, 16); anything else is an
    EngineError naming the field. The engine checks the values' ranges."""
    words = "whole numbers" if kind is int else "numbers"
    try:
        values = tuple(kind(x) for x in str(text).replace(";", ",").replace(" ", "").split(",") if x)
    except ValueError as e:
        raise EngineError(f"`{name}` must be {words} separated by commas, got {text!r}") from e
    if not values:
        raise EngineError(f"`{name}` must list at least one value, got {text!r}")
    if max_count is not None and len(values) > max_count:
        raise EngineError(f"`{name}` must have 1 to {max_count} values, got {len(values)}")
    return values
