"""Developer tooling behind the Makefile. One command line, ``python -m hintro_devtools
run|infra|openapi`` (:mod:`hintro_devtools.cli`), over plain libraries: local infrastructure
(:mod:`hintro_devtools.infra`), the registry of services (:mod:`hintro_devtools.services`) and the
process supervisor that runs them (:mod:`hintro_devtools.stack`)."""
