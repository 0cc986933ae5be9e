"""Main's history: one compact record per baseline, its codec, and what it shows (drift)."""
