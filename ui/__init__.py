"""Streamlit and Plotly helpers shared by the pages.

- ``shell``      ``page_header()``: the first call of every page (title, source, routing)
- ``state``      per-user state: the current model and this session's own models
- ``picker``     the sidebar's current-model picker (mirrored in the URL as ``?model=``)
- ``params``     page controls mirrored in the URL query string, so a link reopens the same view
- ``errors``     ``engine_errors()``: an ``EngineError`` becomes ``st.error``; nothing else changes
- ``progress``   progress bars with a Stop button for long engine work; partial results kept
- ``results``    a process-wide store of finished computations (numbers, not per-user state)
- ``plotting``   pure figure helpers: house layout, axis labels with units, provenance line
- ``downloads``  CSV of the data behind a figure and the figure as interactive HTML
- ``fig_*``      figure builders per topic: pure functions data -> plotly Figure, no st calls

Pages compose these; physics stays in ``engine/``.
"""

