"""Code every Hintro service shares, written once: settings, logging, errors, metrics, health,
connections to MongoDB, RabbitMQ and Redis, token checks and the event layer."""
