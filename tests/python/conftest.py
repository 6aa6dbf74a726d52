"""pytest setup for the Python package's tests: the tests import the
installed package (tools/test installs it into build/python/venv), never
the source folder, so they test what `pip install .` gives."""

import os

# scikit-learn's array-API estimator checks run only with this set before
# scipy and scikit-learn are imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
