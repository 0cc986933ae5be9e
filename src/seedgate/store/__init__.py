"""Where RunSets and noise results live between jobs: a local directory, a GitHub artifact,
the ``seedgate explain`` result file."""
