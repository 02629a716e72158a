"""Models of 转学 (built by its own issue)."""
