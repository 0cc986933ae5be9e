"""The settings: one frozen Config from files, flags and inputs, its typed values and defaults."""
