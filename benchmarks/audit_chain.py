"""How many audit entries per second the hash chain lets through, and how fast audit_verify walks.

    .venv/bin/python benchmarks/audit_chain.py [--seconds 3] [--runs 3] [--connections 1 2 4]

The chain's trigger (migration 0012_audit_chain) takes one advisory lock per transaction that
writes an entry, held until commit: writers of audit entries run one after another. This measures
audit_record (one entry per transaction, as a request writes them) from 1, 2 and 4 concurrent
connections, committing at once and with 5 ms more work in the transaction after the entry (the
lock is held through it); it prints the median of the runs. Then it times verify_chain over a
chain of --verify-entries entries. It works in its own database, xueji_bench_audit
(benchmarks/_setup.py), and empties its audit table first.
"""

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup


def insert_rate(connections: int, seconds: float, work_after: float = 0.0) -> float:
    from django.db import connection, transaction

    from xueji.accounts.audit import audit_record

    counts = [0] * connections
    start = threading.Barrier(connections + 1)
    deadline: list[float] = []

    def writer(index: int) -> None:
        try:
            audit_record(action="bench", detail="预热")  # connect before the clock starts
            start.wait()
            while time.monotonic() < deadline[0]:
                with transaction.atomic():
                    audit_record(action="bench", detail=f"连接{index}")
                    if work_after:
                        time.sleep(work_after)  # the rest of the request's transaction, holding the lock
                counts[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    deadline.append(time.monotonic() + seconds)
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--verify-entries", type=int, default=200_000, help="the chain's length for the walk")
    options = parser.parse_args()

    url = _setup.bench_database_url("xueji_bench_audit")
    if not _setup.database_exists(url):
        _setup.create_database(url)
    _setup.setup_django(url)
    _setup.migrate()
    from django.db import connection

    def empty() -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE xueji_auditentry")  # the benchmark's own database, as its owner

    print(", ".join(f"{k} {v}" for k, v in _setup.server_facts().items()))
    print(f"audit_record, one entry per transaction; median of {options.runs} runs of {options.seconds:g} s")
    for work_after in (0.0, 0.005):
        empty()
        label = "committed at once" if not work_after else f"{work_after * 1000:g} ms more work before commit"
        for n in options.connections:
            rates = [insert_rate(n, options.seconds, work_after) for _ in range(options.runs)]
            print(f"  {label}, {n} connection(s): {statistics.median(rates):8.0f} entries/s")

    # The walk, over a chain written with the trigger on (one INSERT … SELECT: the trigger runs
    # for each row all the same).
    empty()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO xueji_auditentry (at, username, role, unit_path, action, object_type, object_id, object_repr,"
            " result, detail) SELECT now() - g * interval '1 second', 'registrar_' || (g %% 500), 'registrar',"
            " '/1/2/', 'pupil.view', 'pupil', g::text, '张小明', 'ok', '查看学籍' FROM generate_series(1, %s) g",
            [options.verify_entries],
        )
    from xueji.accounts.audit_chain import verify_chain

    started = time.monotonic()
    result = verify_chain()
    elapsed = time.monotonic() - started
    print(f"verify_chain: {result.entries} entries in {elapsed:.2f} s = {result.entries / elapsed:,.0f} entries/s"
          f" ({'intact' if result.intact else 'BROKEN'})")


if __name__ == "__main__":
    main()
