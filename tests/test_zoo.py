"""The shipped zoo: enough models, a spread of quality, honest cards, small on disk."""
import numpy as np
import pytest

from engine.data import load_dataset
from engine.network import Network
from engine.zoo import DEFAULT_MODEL, ZOO_DIR, ZooEntry, build_zoo, list_zoo, load_zoo_model

CARDS = list_zoo()


def test_at_least_thirty_models_under_ten_megabytes():
    assert len(CARDS) >= 30
    size = sum(p.stat().st_size for p in ZOO_DIR.glob("*") if p.suffix in (".safetensors", ".json"))
    assert size < 10 * 2**20


def test_spread_of_quality_from_chance_to_the_best():
    digits = [c["test_accuracy"] for c in CARDS if c["dataset"] == "digits"]
    assert min(digits) < 0.2 and max(digits) > 0.95
    assert len({c["stage"] for c in CARDS}) == 3
    assert len({len(c["widths"]) - 1 for c in CARDS}) >= 4  # depths 1..6


def test_default_model_is_in_the_zoo():
    assert DEFAULT_MODEL in {c["name"] for c in CARDS}


@pytest.mark.parametrize("card", CARDS[::5], ids=lambda c: c["name"])
def test_card_states_the_measured_test_accuracy(card):
    net = Network.load(card["path"])
    info = card["dataset_info"]
    data = load_dataset(card["dataset"], seed=info["seed"], test_fraction=info["test_fraction"])
    assert net.accuracy(data.X_test, data.y_test) == pytest.approx(card["test_accuracy"], abs=1e-6)
    assert net.widths == card["widths"]


def test_build_is_reproducible(tmp_path):
    entry = ZooEntry("iris", (4,), "tanh", 0, (0, 3), lr=3e-3)
    build_zoo(tmp_path, [entry], verbose=False)
    shipped_like = build_zoo(tmp_path / "again", [entry], verbose=False)
    a = Network.load(tmp_path / f"{shipped_like[-1]['name']}.safetensors")
    b = Network.load(tmp_path / "again" / f"{shipped_like[-1]['name']}.safetensors")
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))


def test_unknown_zoo_model():
    from engine.errors import EngineError

    with pytest.raises(EngineError, match="zoo models"):
        load_zoo_model("no-such-model")
