"""Developer tooling behind the Makefile: local infrastructure (:mod:`hintro_devtools.infra`), the
registry of services (:mod:`hintro_devtools.services`) and the process supervisor that runs them
(:mod:`hintro_devtools.stack`)."""
