"""LiênThông agency-adapter service."""
