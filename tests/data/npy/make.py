"""Writes the NumPy fixtures of tests/test_npy.c (run once; the files are
committed, so the tests need no Python): python3 make.py in this folder,
with NumPy installed.  The values are small and exact in float32, so the
test states them again by hand."""
import numpy as np
from numpy.lib import format as npf

x = (np.arange(12, dtype="<f4").reshape(4, 3) - 4) / 2          # C order, float32
np.save("x-f4.npy", x)
np.save("y-i8.npy", np.array([0, 2, 1, 2], dtype="<i8"))
np.save("x-f8-fortran.npy", np.asfortranarray(x.astype("<f8")))  # fortran_order True
np.save("y-bool.npy", np.array([True, False, False, True]))
with open("x-be-f8-v2.npy", "wb") as f:                         # format 2.0, big-endian
    npf.write_array(f, x.astype(">f8"), version=(2, 0))
with open("x-i2-v3.npy", "wb") as f:                            # format 3.0
    npf.write_array(f, (x * 2).astype("<i2"), version=(3, 0))
img = np.arange(4 * 2 * 3, dtype="u1").reshape(4, 2, 3) * 10    # 4 images of 2 x 3
np.savez_compressed("mnist-like.npz", x_train=img, y_train=np.array([3, 0, 1, 3], dtype="u1"),
                    x_test=img[:2] + 5, y_test=np.array([1, 2], dtype="u1"))
np.savez("xy-stored.npz", x=x, y=np.array([0.5, -1.25, 2.0, 3.75], dtype="<f8"))
