"""The job engine (DBOS durable workflows): queues, workers, and enqueueing after commit."""
