"""Hintro activity service: the per-board activity log."""
