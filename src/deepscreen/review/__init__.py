"""Human review, pure: routing decisions to queues with a priority and an SLA, appeals, gold
items and reviewer accuracy, pseudonyms. No I/O: the queue itself is ``store.review_ports``, the
use cases are ``service.review_queue``; the task types are ``core.tasks``."""
