"""Running the training command: one run per seed, in parallel workers."""
