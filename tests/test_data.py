"""Data sets that ship with the install: shapes, seeded splits, standardisation, ±1 variants."""
import numpy as np
import pytest

from engine.data import DATASETS, load_dataset
from engine.errors import EngineError


@pytest.mark.parametrize("name", DATASETS)
def test_every_dataset_loads_with_a_stratified_split(name):
    d = load_dataset(name, seed=0)
    assert d.X_train.shape[1] == d.X_test.shape[1] == d.n_features
    assert len(d.X_train) == len(d.y_train) and len(d.X_test) == len(d.y_test)
    assert np.all(np.isfinite(d.X_train))
    assert set(np.unique(d.y_test)) <= set(range(d.n_classes))
    frac = len(d.y_test) / (len(d.y_test) + len(d.y_train))
    assert 0.2 < frac < 0.3
    # standardised on the training set
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-9)
    sd = d.X_train.std(axis=0)
    assert np.all((np.abs(sd - 1) < 1e-9) | (sd == 0))


def test_split_is_seeded():
    a, b, c = load_dataset("iris", seed=1), load_dataset("iris", seed=1), load_dataset("iris", seed=2)
    assert np.array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_test, c.X_test)


def test_binarised_digits_zero_vs_one():
    d = load_dataset("digits", classes=(0, 1), binarize=True)
    assert d.n_features == 64 and d.n_classes == 2
    assert set(np.unique(d.X_train)) == {-1.0, 1.0}
    assert len(d.y_train) + len(d.y_test) == 360  # 178 zeros + 182 ones in scikit-learn's digits
    # relabelled in the given order: with classes=(1, 0) the digit 1 becomes label 0
    from sklearn.datasets import load_digits

    raw = load_digits()
    truth = {row.tobytes(): t for row, t in zip(raw.data.astype(np.float64), raw.target)}
    e = load_dataset("digits", classes=(1, 0), standardize=False)
    true_digit = np.array([truth[row.tobytes()] for row in e.X_train])
    assert np.array_equal(true_digit, 1 - e.y_train)


def test_teacher_student_labels_come_from_the_teacher():
    from engine.network import Network

    d = load_dataset("teacher_student", n_samples=400, standardize=False, n_features=10, teacher_widths=(8,),
                     teacher_seed=5)
    teacher = Network.random([10, 8, 2], "tanh", weight_variance=1.0, seed=5)
    assert np.array_equal(teacher.predict(d.X_train), d.y_train)
    assert 0.1 < d.y_train.mean() < 0.9


@pytest.mark.parametrize("kwargs, match", [
    (dict(name="mnist"), "name"),
    (dict(name="digits", test_fraction=1.0), "test_fraction"),
    (dict(name="digits", classes=(0, 42)), "classes"),
    (dict(name="moons", n_samples=3), "n_samples"),
    (dict(name="digits", seed=-1), "seed"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(EngineError, match=match):
        load_dataset(**kwargs)
