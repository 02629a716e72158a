"""What waits on the real broker, for the tests of queuing (tests/xueji/test_celery.py,
tests/xueji/test_queues.py)."""

from queue import Empty

from xueji.celery import app


def drain(queue_name: str) -> list:
    """Every message waiting in a queue, taken off it (acknowledged), in order: kombu messages,
    whose ``headers`` name the task and whose ``payload`` holds its arguments."""
    taken = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(queue_name)
        try:
            while True:
                try:
                    message = queue.get(block=False)
                except Empty:
                    break
                message.ack()
                taken.append(message)
        finally:
            queue.close()
    return taken
