"""Children that die with the demo: on Linux, prctl(PR_SET_PDEATHSIG) in the forked child.

Ctrl-C and SIGTERM let the demo stop its children itself; SIGKILL (or a crash) does not. The
kernel then sends each child the death signal set here when the thread that started it ends
(prctl(2)): SIGTERM, so Prometheus still closes its data cleanly. The setting survives exec.
Elsewhere there is no such call: `parent_death_hook()` returns None and a killed demo leaves
its children running (stop them by their pid).
"""

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
DEATH_SIGNAL = signal.SIGTERM


def parent_death_hook() -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen that makes the child get SIGTERM when this process
    dies; None where the platform has no parent-death signal (anything but Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    # Looked up now, in the parent: the hook runs between fork and exec and must only call.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, int(DEATH_SIGNAL), 0, 0, 0)
        if os.getppid() != parent:  # the demo died before the call: nobody would signal us
            os._exit(1)

    return hook
