"""Hintro board service: boards, their members and their ordered lists."""
