"""Hintro webhook service."""
