"""Models of 休学、复学、缓学 (built by its own issue)."""
