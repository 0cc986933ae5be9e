"""RunSets: the record of one side's runs, its file format, shards and fingerprint."""
