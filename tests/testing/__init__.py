"""Parts the test tiers share: the fake GitHub, a job run of the action, ready-made records."""
