"""clmlp: train multilayer perceptrons on any OpenCL device or a BLAS,
from NumPy arrays -- Keras-style (Sequential) and scikit-learn-style
(clmlp.sklearn.MLPClassifier, MLPRegressor).  A ctypes binding of the C
library libclmlp; see the README's "Python" section."""

from ._version import __version__
from . import _capi
from ._errors import ClmlpError
from ._device import devices
from . import callbacks, datasets, layers, optimizers
from .models import History, Sequential, load_model, read_weights_text

_lib_version = _capi.text(_capi.lib.clmlp_version())
if _lib_version != __version__:
    raise ImportError("clmlp %s found the library of clmlp %s (%s): reinstall the package"
                      % (__version__, _lib_version, _capi.library_path()))

__all__ = ["ClmlpError", "History", "Sequential", "callbacks", "datasets", "devices", "layers",
           "load_model", "optimizers", "read_weights_text", "__version__"]
