"""scikit-learn's own estimator checks, every one, with no expected
failures: the estimators behave as scikit-learn's contract says (fitting,
validation of input, pickling, cloning, tags...)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from clmlp.sklearn import MLPClassifier, MLPRegressor


@parametrize_with_checks([MLPClassifier(device="cpu"), MLPRegressor(device="cpu")])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
