"""Reports as background jobs."""
