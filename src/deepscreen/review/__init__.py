"""Human review, pure: routing to queues with a priority and an SLA, the queue's parameters,
appeals, gold items and reviewer accuracy, what a reviewer is shown, pseudonyms. No I/O: the queue
is kept in ``store``, its use cases are ``service.review_queue``; task types: ``core.tasks``."""
