"""The lab's entry point: ``streamlit run app.py``.

Only a router: page config, the navigation over ``pages/`` grouped by topic (from
``ui/catalog.py``), and the shared sidebar with the current-model picker. Each page
composes ``ui/`` helpers and ``engine/`` calls.
"""
import streamlit as st

from ui import catalog, picker, warmup

st.set_page_config(page_title="Neural networks as physical systems", page_icon=":material/grain:",
                   layout="wide", initial_sidebar_state="expanded")

pages = {
    section: [st.Page(str(p.path), title=p.title, icon=p.icon, default=(p.file == "home.py"),
                      url_path=p.file.removesuffix(".py"))
              for p in infos]
    for section, infos in catalog.available().items()
}
current = st.navigation(pages)
picker.model_picker()
st.sidebar.caption("Neural networks as physical systems · a statistical-physics lab. "
                   "Links keep the model and controls: copy the address bar to share this view.")
warmup.start()
current.run()
