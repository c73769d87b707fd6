"""Hintro realtime service: live board events over Socket.IO."""
