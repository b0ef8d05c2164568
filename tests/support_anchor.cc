// Keeps sb_test_support non-empty while it has no other sources.
