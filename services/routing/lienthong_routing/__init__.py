"""LiênThông routing service."""
