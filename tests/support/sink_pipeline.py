"""A pipeline with both kinds of sink, and its generated input: shared by the sink
tests (tests/unit/local/test_sinks.py) and the sink crash tests (tests/process)."""

from __future__ import annotations

import json
import random
import textwrap
from pathlib import Path

PIPELINE = textwrap.dedent('''
    import json
    from pyspark import pipelines as dp

    LANDING = spark.conf.get("sinks.landing")
    AUDIT = spark.conf.get("sinks.audit")

    @dp.table
    @dp.expect_or_drop("has_amount", "amount IS NOT NULL")
    def orders():
        return spark.readStream.schema("id long, amount double").json(LANDING)

    dp.create_sink("big_orders", "delta", {"path": "/Volumes/main/exports/big_orders"})

    @dp.append_flow(target="big_orders")
    def export_big_orders():
        return spark.readStream.table("orders").where("amount > 100")

    @dp.foreach_batch_sink(name="audit")
    def audit(df, batch_id):
        ids = sorted(row.id for row in df.select("id").collect())
        with open(AUDIT, "a") as out:
            out.write(json.dumps({"batch": batch_id, "ids": ids}) + "\\n")

    @dp.append_flow(target="audit")
    def audit_orders():
        return spark.readStream.table("orders")
''')


def orders(seed: int, first_id: int, n: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [{"id": first_id + i,
             "amount": None if rng.random() < 0.2 else round(rng.uniform(1, 300), 2)}
            for i in range(n)]


def land(folder: Path, name: str, rows: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
