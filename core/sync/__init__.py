"""Sync across machines: the pure three-way merge (merge) and the git transport (git)."""
