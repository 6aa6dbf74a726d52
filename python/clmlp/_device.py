"""Devices: the backend a model runs on, named as a string."""

import ctypes
import os
import tempfile

from . import _capi
from ._capi import check, lib, text

_KINDS = {"cpu": _capi.BACKEND_CPU, "ref": _capi.BACKEND_REF, "opencl": _capi.BACKEND_OPENCL,
          "default": _capi.BACKEND_DEFAULT}


def parse(device):
    """(kind, platform, device) for a device string: "cpu", "ref",
    "opencl", "opencl:PLATFORM", "opencl:PLATFORM:DEVICE" (each an index or
    a part of the name; empty for any), or None for the default (as the
    command line: the first GPU through OpenCL, else cpu)."""
    if device is None:
        return _capi.BACKEND_DEFAULT, None, None
    if not isinstance(device, str):
        raise TypeError("device: expected a string such as 'cpu', 'opencl' or "
                        "'opencl:0:1', got %r" % (device,))
    parts = device.split(":")
    kind = parts[0].strip().lower()
    if kind not in _KINDS:
        raise ValueError("device: unknown backend %r in %r (expected cpu, ref, opencl, "
                         "opencl:PLATFORM:DEVICE or None)" % (parts[0], device))
    if len(parts) > 1 and kind != "opencl":
        raise ValueError("device: %r: only opencl takes a platform and a device" % device)
    if len(parts) > 3:
        raise ValueError("device: %r: expected opencl:PLATFORM:DEVICE" % device)
    platform = parts[1] if len(parts) > 1 and parts[1] else None
    dev = parts[2] if len(parts) > 2 and parts[2] else None
    return _KINDS[kind], platform, dev


class Backend:
    """An open backend (clmlp_backend_t), freed with this object -- but
    never before the models compiled on it: the garbage collector may
    finalize a model and its backend in either order, so a backend still
    in use is freed when its last model lets it go (release)."""

    handle = None
    users = 0
    orphaned = False

    def __init__(self, device=None, threads=0):
        kind, platform, dev = parse(device)
        self.spec = device
        opts = _capi.BackendOpts()
        opts.kind = kind
        opts.platform = platform.encode() if platform else None
        opts.device = dev.encode() if dev else None
        opts.threads = int(threads)
        h = ctypes.c_void_p()
        check(lib.clmlp_backend_init(ctypes.byref(h), ctypes.byref(opts)),
              "device %r" % (device if device is not None else "default"))
        self.handle = h

    @property
    def name(self):
        return text(lib.clmlp_backend_name(self.handle))

    @property
    def description(self):
        return text(lib.clmlp_backend_description(self.handle))

    def bind(self):
        """A model was compiled on this backend."""
        self.users += 1

    def release(self):
        """A model compiled on this backend was freed."""
        self.users -= 1
        if self.orphaned and self.users == 0:
            self.close()

    def close(self):
        if self.handle:
            lib.clmlp_backend_free(self.handle)
            self.handle = None

    def __del__(self):
        if self.users:
            self.orphaned = True
        else:
            self.close()

    def __repr__(self):
        return "<clmlp backend %s: %s>" % (self.name, self.description)


def c_file_text(write):
    """What write(FILE *) writes, as a string (through a temporary file)."""
    libc = ctypes.CDLL(None)
    libc.fdopen.restype = ctypes.c_void_p
    libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    with tempfile.TemporaryFile() as tmp:
        f = libc.fdopen(os.dup(tmp.fileno()), b"w")
        if not f:
            raise OSError("fdopen failed")
        try:
            status = write(f)
        finally:
            libc.fclose(f)
        tmp.seek(0)
        return status, tmp.read().decode("utf-8", "replace")


def devices():
    """What each backend offers on this machine, as a dict of backend name
    to its listing (clmlp devices): the cpu and its BLAS, and every OpenCL
    platform and device (or why there is none)."""
    out = {}
    for i in range(lib.clmlp_backend_count()):
        info = lib.clmlp_backend_info_at(i).contents
        if not info.has_list:
            continue
        status, listing = c_file_text(lambda f: lib.clmlp_backend_list(info.kind, f))
        if status < 0:
            listing = (listing + text(lib.clmlp_last_error())).strip()
        out[text(info.name)] = listing.strip()
    return out
