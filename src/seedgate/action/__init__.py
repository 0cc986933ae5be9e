"""The GitHub Action edge: the action's settings and its steps."""

from seedgate.action.steps import main

__all__ = ["main"]
