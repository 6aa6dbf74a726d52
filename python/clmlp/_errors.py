"""The exception every failed call of the library becomes."""

_STATUS_NAMES = {
    -1: "CLMLP_E_INVALID", -2: "CLMLP_E_NOMEM", -3: "CLMLP_E_IO", -4: "CLMLP_E_FORMAT",
    -5: "CLMLP_E_DEVICE", -6: "CLMLP_E_UNSUPPORTED", -7: "CLMLP_E_NOT_FOUND",
    -8: "CLMLP_E_NUMERIC",
}


def status_name(status):
    """CLMLP_E_* for a status."""
    return _STATUS_NAMES.get(status, "status %d" % status)


class ClmlpError(RuntimeError):
    """A call of the C library failed: str(e) is the library's message,
    e.status its CLMLP_E_* status (a negative int) and e.status_name its name."""

    def __init__(self, message, status=-1):
        super().__init__(message)
        self.status = status
        self.status_name = status_name(status)
