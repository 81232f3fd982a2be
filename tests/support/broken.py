"""A pipeline whose last datasets cannot be analysed: a selected column does not exist.

Shared by the tests of what a failing run, graph and report show.
"""

BROKEN_ORDERS = '''
import dlt

@dlt.table
@dlt.expect_or_drop("positive", "id >= 0")
def orders():
    return spark.range(10)

@dlt.table
@dlt.expect("has_id", "id IS NOT NULL")
def orders_clean():
    return dlt.read("orders").where("id > 2")

@dlt.table
@dlt.expect_or_fail("has_total", "total > 0")
def orders_agg():
    return dlt.read("orders_clean").selectExpr("no_such_column")

@dlt.table
def orders_report():
    return dlt.read("orders_agg")
'''
"""``orders_agg`` fails analysis; ``orders_report`` reads it; the first two are fine."""
