"""The Hintro task service: tasks inside a board's ordered lists."""
