"""Models of 辍学与劝返 (built by its own issue)."""
