"""The progress of a cluster's start, as `dask-pbs wait --json` reports it: an updating line
in a terminal, an updating output in Jupyter, one line per change otherwise."""

from __future__ import annotations

import html
import sys


def _in_jupyter() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        ip = shell.get_ipython()
    except Exception:
        return False
    return ip is not None and getattr(ip, "kernel", None) is not None


class Progress:
    """Shows `phase` lines for one job; silent when `quiet`."""

    def __init__(self, job_id: str, quiet: bool = False):
        self.job_id = job_id
        self.quiet = quiet
        self.handle = None
        self.terminal = False
        self.last = ""
        if quiet:
            return
        if _in_jupyter():
            try:
                from IPython.display import HTML, display

                self.handle = display(HTML(self._html("submitted")), display_id=True)
            except Exception:
                self.handle = None
        self.terminal = self.handle is None and sys.stderr.isatty()

    def _text(self, phase: str, seconds: float | None = None) -> str:
        when = "" if seconds is None else f" ({seconds:.0f} s)"
        return f"dask-pbs: {self.job_id} {phase}{when}"

    def _html(self, phase: str, seconds: float | None = None) -> str:
        return f"<pre style='margin: 0'>{html.escape(self._text(phase, seconds))}</pre>"

    def show(self, phase: str, seconds: float | None = None) -> None:
        if self.quiet:
            return
        if self.handle is not None:
            from IPython.display import HTML

            self.handle.update(HTML(self._html(phase, seconds)))
        elif self.terminal:
            text = self._text(phase, seconds)
            sys.stderr.write("\r" + text.ljust(len(self.last)))
            sys.stderr.flush()
            self.last = text
        elif phase != self.last:
            print(self._text(phase, seconds), file=sys.stderr, flush=True)
            self.last = phase

    def event(self, event: dict) -> None:
        """A line of `dask-pbs wait --json`."""
        if event.get("event") == "progress":
            self.show(f"is {event.get('phase')}", event.get("seconds"))

    def done(self, phase: str, seconds: float | None = None) -> None:
        self.show(phase, seconds)
        if self.terminal and not self.quiet:
            sys.stderr.write("\n")
            sys.stderr.flush()
