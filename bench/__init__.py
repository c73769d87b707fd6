"""Hintro's benchmark (`make bench`, docs/performance.md): scenarios of issue #6 against a
running suite or one it starts itself, one table on stdout and the figures as JSON."""
