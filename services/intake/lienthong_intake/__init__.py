"""LiênThông intake service."""
