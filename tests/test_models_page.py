"""The Models page: live training, uploads (good and bad), the zoo table, downloads.

Each bad upload must show a clear ``st.error`` and leave the current model as it was.
"""
import json
import pickle

import numpy as np
import pytest
from safetensors.numpy import save

from engine.network import MAX_MODEL_BYTES, Network
from tests.test_pages import open_page


def upload(at, data: bytes, filename: str, card: bytes | None = None, activation: str | None = None):
    at.file_uploader(key="up_model").upload(filename, data)
    if card is not None:
        at.file_uploader(key="up_card").upload("card.json", card, "application/json")
    if activation:
        at.selectbox(key="up_act").set_value(activation)
    at.button(key="up_go").click()  # the upload and the click reach the page in one run, as in a browser
    at.run()
    return at


def current(at) -> str:
    return at.sidebar.selectbox(key="model_picker").value


@pytest.fixture
def page():
    at = open_page("models.py")
    assert not at.exception
    return at


def test_a_valid_upload_becomes_the_current_model(page):
    net = Network.random([3, 5, 2], "relu", seed=0, name="my-upload")
    upload(page, net.to_safetensors_bytes(), "mine.safetensors", net.card_json().encode())
    assert not page.exception and not page.error
    assert current(page) == "my-upload"
    assert any("my-upload" in s.value for s in page.success)


BAD = {
    "pickle": (pickle.dumps({"weights": [1, 2, 3]}, protocol=4), "model.pt", None, "pickle"),
    "not safetensors": (b"this is plain text", "model.safetensors", None, "valid .safetensors"),
    "wrong shapes": (save({"layers.0.weight": np.ones((4, 3), np.float32),
                           "layers.1.weight": np.ones((2, 5), np.float32)}), "m.safetensors", None, "4 inputs"),
    "nan weights": (save({"layers.0.weight": np.full((2, 2), np.nan, np.float32)}), "m.safetensors", None, "finite"),
    "unknown activation": (save({"layers.0.weight": np.ones((2, 2), np.float32)}, metadata={"activations": '["gelu"]'}),
                           "m.safetensors", None, "activation"),
    "card contradicts file": (Network.random([3, 2], seed=0).to_safetensors_bytes(), "m.safetensors",
                              json.dumps({"widths": [9, 9]}).encode(), "card widths"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_upload_shows_a_clear_error_and_changes_nothing(page, case):
    data, filename, card, match = BAD[case]
    before = current(page)
    n_before = len(page.session_state["session_models"]) if "session_models" in page.session_state else 0
    upload(page, data, filename, card)
    assert not page.exception
    assert page.error, "expected an st.error"
    assert match in page.error[0].value
    assert current(page) == before
    n_after = len(page.session_state["session_models"]) if "session_models" in page.session_state else 0
    assert n_after == n_before


def test_oversized_upload_is_refused(page):
    before = current(page)
    upload(page, b"\0" * (MAX_MODEL_BYTES + 1), "huge.safetensors")
    assert page.error and "50 MB" in page.error[0].value
    assert current(page) == before


def test_training_adds_a_model_with_its_history(page):
    page.selectbox(key="ctl:train_data").set_value("iris")
    page.text_input(key="train_hidden").set_value("6")
    page.number_input(key="ctl:train_epochs").set_value(3)
    page.run()
    page.button(key="train_go").click()
    page.run()
    assert not page.exception and not page.error
    name = current(page)
    assert name.startswith("iris-4-6-3")
    net = page.session_state["session_models"][name]
    assert net.card["epochs"] == 3 and 0 <= net.card["test_accuracy"] <= 1
    assert page.query_params["train_data"] == "iris"


def test_bad_training_input_shows_an_error(page):
    page.text_input(key="train_hidden").set_value("32, abc")
    page.run()
    page.button(key="train_go").click()
    page.run()
    assert page.error and "hidden widths" in page.error[0].value
