"""Source-grid-load-storage dispatch models for green data centres."""
