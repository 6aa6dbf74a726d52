"""Progress of a fit: a tqdm.auto bar per epoch when tqdm is installed,
else one line per epoch; nothing with verbose=0."""

import sys
import time


def _tqdm():
    try:
        from tqdm.auto import tqdm
        return tqdm
    except ImportError:
        return None


def format_logs(logs):
    return " - ".join("%s: %.4f" % (k, v) for k, v in logs.items())


class Progress:
    """verbose 0: silent; 1: a bar (tqdm) or lines; 2: one line per epoch."""

    def __init__(self, verbose, epochs, initial_epoch=0, stream=None):
        self.verbose, self.epochs, self.initial = verbose, epochs, initial_epoch
        self.stream = stream or sys.stdout
        self.tqdm = _tqdm() if verbose == 1 else None
        self.bar = None
        self.last = 0.0

    def batch(self, epoch, done, total):
        if self.tqdm is None:
            return
        if self.bar is None:
            self.bar = self.tqdm(total=total, unit="batch", leave=True, file=self.stream,
                                 desc="Epoch %d/%d" % (epoch, self.initial + self.epochs))
        now = time.monotonic()
        if done == total or now - self.last > 0.1:
            self.bar.n = done
            self.bar.refresh()
            self.last = now

    def epoch(self, epoch, logs, seconds):
        if self.verbose == 0:
            return
        if self.bar is not None:
            self.bar.n = self.bar.total
            self.bar.set_postfix_str(format_logs(logs), refresh=True)
            self.bar.close()
            self.bar = None
            return
        print("Epoch %d/%d - %.2fs - %s" % (epoch, self.initial + self.epochs, seconds,
                                            format_logs(logs)), file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
