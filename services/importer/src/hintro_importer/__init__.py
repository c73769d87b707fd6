"""Hintro importer service: Trello board exports imported as resumable jobs."""
