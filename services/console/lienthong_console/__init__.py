"""LiênThông console service."""
