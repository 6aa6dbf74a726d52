"""The scikit-learn estimators as people use them: pickled, cloned, in a
Pipeline and a GridSearchCV, with class names, refusing bad input with a
message that names it while staying usable, and as accurate as
scikit-learn's own MLPClassifier."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import clmlp
from clmlp.sklearn import MLPClassifier, MLPRegressor


def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0, 4], [4, 0], [-4, -4]], float)
    y = rng.integers(0, 3, size=n)
    return centers[y] + rng.normal(size=(n, 2)), y


def test_class_names_probabilities_and_attributes():
    x, y = blobs()
    names = np.array(["cat", "dog", "emu"])[y]
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, names)
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    assert clf.score(x, names) > 0.95
    p = clf.predict_proba(x)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(clf.classes_[p.argmax(axis=1)], clf.predict(x))
    assert clf.n_features_in_ == 2 and clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    assert [c.shape for c in clf.coefs_] == [(2, 16), (16, 3)]
    assert clf.n_iter_ == len(clf.loss_curve_) <= 300


def test_pickle_clone_and_a_pipeline_in_a_grid_search():
    x, y = blobs()
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=50, random_state=1,
                                                         device="cpu"))
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)],
                               "mlpclassifier__alpha": [1e-4, 1e-2]}, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(x, y)
    assert grid.best_score_ > 0.9
    best = grid.best_estimator_
    back = pickle.loads(pickle.dumps(best))
    np.testing.assert_array_equal(back.predict_proba(x), best.predict_proba(x))
    fresh = clone(best)
    assert fresh.get_params()["mlpclassifier__max_iter"] == 50
    assert not hasattr(fresh[-1], "coefs_")


def test_regressor_multioutput_and_1d():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    y = np.column_stack([x[:, 0] - x[:, 1], 2 * x[:, 2]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0,
                         device="cpu").fit(x, y)
        assert r.predict(x).shape == (400, 2) and r.score(x, y) > 0.95
        r1 = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0,
                          device="cpu").fit(x, y[:, 0])
    assert r1.predict(x).shape == (400,)
    # loss_curve_ holds scikit-learn's loss, half the mean squared error.
    assert r1.loss_curve_[-1] == pytest.approx(
        0.5 * r1._model.history.history["loss"][-1])


def with_a_dict(x):
    a = x.astype(object)
    a[0, 0] = {"a": 1}
    return a


@pytest.mark.parametrize("bad, exc, match", [
    (lambda x, y: (x[:, :1].ravel(), y), ValueError, "2D array"),
    (lambda x, y: (np.where(x > 3, np.nan, x), y), ValueError, "NaN"),
    (lambda x, y: (np.where(x > 3, np.inf, x), y), ValueError, "infinity"),
    (lambda x, y: (with_a_dict(x), y), TypeError, "dict|number"),
    (lambda x, y: (x, y[:-5]), ValueError, "inconsistent numbers of samples"),
    (lambda x, y: (x[:1], y[:1]), ValueError, "class"),
    (lambda x, y: (x, y + 0.5), ValueError, "Unknown label type"),
])
def test_bad_input_is_refused_by_name_and_the_estimator_stays_usable(bad, exc, match):
    x, y = blobs()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0, device="cpu")
    bx, by = bad(x, y)
    with pytest.raises(exc, match=match):
        clf.fit(bx, by)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    assert clf.predict(x).shape == (300,)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 2"):
        clf.predict(np.ones((2, 3)))


@pytest.mark.parametrize("params, match", [
    ({"solver": "lbfgs"}, "solver 'lbfgs' is not supported"),
    ({"learning_rate": "adaptive"}, "learning_rate 'adaptive'"),
    ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
    ({"activation": "cube"}, "activation 'cube'"),
    ({"batch_size": 0}, "batch_size"),
    ({"alpha": -1}, "alpha"),
    ({"device": "gpu"}, "device"),
])
def test_bad_parameters_are_refused_before_training(params, match):
    x, y = blobs()
    clf = MLPClassifier(max_iter=5, device="cpu").set_params(**params)
    with pytest.raises(ValueError, match=match):
        clf.fit(x, y)
    assert not hasattr(clf, "coefs_")


def test_a_device_that_fails_raises_clmlp_error():
    x, y = blobs()
    with pytest.raises(clmlp.ClmlpError, match="no-such-device"):
        MLPClassifier(max_iter=5, device="opencl::no-such-device").fit(x, y)


def test_breast_cancer_accuracy_equals_scikit_learns():
    # The target: standardised breast cancer, mean test accuracy of
    # three seeds within 0.02 of scikit-learn's MLPClassifier with the same
    # (default) parameters.  Both are deterministic for a seed, so this is
    # a fixed comparison, not a sample: 3 x 143 test rows, where 0.02 is
    # about 3 rows per split.
    X, y = load_breast_cancer(return_X_y=True)
    ours, theirs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for seed in (1, 2, 3):
            xa, xb, ya, yb = train_test_split(X, y, random_state=seed)
            s = StandardScaler().fit(xa)
            xa, xb = s.transform(xa), s.transform(xb)
            ours.append(MLPClassifier(random_state=seed, device="cpu").fit(xa, ya)
                        .score(xb, yb))
            theirs.append(SkMLPClassifier(random_state=seed).fit(xa, ya).score(xb, yb))
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.02, (ours, theirs)


def test_the_estimators_on_opencl_agree_with_cpu():
    # PoCL here, a GPU elsewhere: the same fit on float32 GEMMs of other
    # blockings, so the predictions agree to float32 rounding, not bits:
    # 1.2e-7 measured after these 30 epochs; 1e-4 leaves room for other
    # devices' rounding and is far below what another model gives (> 0.01).
    x, y = blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits = [MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0,
                              device=d).fit(x, y) for d in ("cpu", "opencl")]
    np.testing.assert_allclose(fits[0].predict_proba(x), fits[1].predict_proba(x), atol=1e-4)
    assert fits[1]._model.backend.name == "opencl"
