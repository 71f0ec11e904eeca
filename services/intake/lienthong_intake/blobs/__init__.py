"""The blob-store port (where digitised documents live) and its adapters."""

from lienthong_intake.blobs.port import BlobNotFound, BlobStore, FileBlobStore, MemoryBlobStore

__all__ = ["BlobNotFound", "BlobStore", "FileBlobStore", "MemoryBlobStore"]
