"""Models of 新生建籍 (built by its own issue)."""
