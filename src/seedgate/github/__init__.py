"""The GitHub edge: a thin REST client, the run context, workflow commands, publishing.

Nothing in ``stats``, ``compare`` or ``report`` imports this package.
"""
