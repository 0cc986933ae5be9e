"""Before the runs: which design applies, which min_effect they resolve, how many one needs."""
