"""The GitHub Action edge: settings, services, steps, delivery of the answer.

``seedgate.action.main(environ) -> int`` is the whole action; the container's
entrypoint.py calls it, and so can a command on a runner host.
"""

from seedgate.action.steps import main

__all__ = ["main"]
