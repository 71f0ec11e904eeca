"""LiênThông notify service."""
