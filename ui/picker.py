"""The shared sidebar: the current-model picker, mirrored in the URL as ``?model=``."""
from __future__ import annotations

import streamlit as st

from . import state

#: Session key: (model the link asked for, model shown instead) when the link's model is unknown.
MISSING = "picker:missing"


def model_picker() -> str:
    """Render the picker in the sidebar; return the current model's name."""
    names = state.all_names()
    if not names:
        st.sidebar.error("No models found: sample_models/ is empty. Run `python -m engine zoo`.")
        return ""
    if state.PENDING in st.session_state:
        st.session_state["model_picker"] = st.session_state.pop(state.PENDING)
    if "model_picker" not in st.session_state:
        wanted = st.query_params.get("model")
        first = wanted if wanted in names else state.current_name()
        st.session_state["model_picker"] = first
        if wanted and wanted not in names:  # e.g. a link to a model trained in another browser session
            st.session_state[MISSING] = (wanted, first)
    elif st.session_state["model_picker"] not in names:
        st.session_state["model_picker"] = state.current_name()
    session = set(state.session_models())  # format_func may be called outside a script run (AppTest)
    name = st.sidebar.selectbox(
        "Current model", names, key="model_picker",
        format_func=lambda n: f"{n}  ·  this session" if n in session else n,
        help="Every analysis page works on this model. Pick from the shipped zoo or from models you "
             "trained or uploaded in this session (Models page).")
    st.session_state["current_model"] = name
    missing = st.session_state.get(MISSING)
    if missing and missing[1] == name:
        st.sidebar.warning(
            f"The link asks for the model **{missing[0]}**, which is not in the zoo. Models trained or "
            f"uploaded in a browser session stay in that session: download it on the Models page where it "
            f"was made and upload it here. Showing **{name}** instead.", icon=":material/link_off:")
    elif missing:
        del st.session_state[MISSING]  # the user picked another model: the notice has done its job
    st.query_params["model"] = name
    net = state.get_network(name)
    card = net.card
    acc = card.get("test_accuracy")
    st.sidebar.caption(
        f"{net.describe()} · {net.n_neurons} neurons · {net.n_params:,} parameters"
        + (f" · test accuracy {acc:.3f}" if isinstance(acc, (int, float)) else "")
        + (f" · {card['dataset']}" if card.get("dataset") else ""))
    return name
