"""LiênThông survey service."""
