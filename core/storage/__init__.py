"""Storage mechanics under core.file_safety: bytes <-> Document, the I/O seam, the lock."""
