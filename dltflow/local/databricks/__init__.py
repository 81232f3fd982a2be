"""Everything that emulates Databricks for code written for it: loading definition files
(:mod:`.loader`, with ``dlt`` and ``pyspark.pipelines`` as dltflow's API), Auto Loader
(:mod:`.autoloader`, its schema rules in :mod:`.autoloader_schema`), ``LIVE.`` names in
SQL (:mod:`.live`), ``dbutils`` (:mod:`.dbutils`) and pipeline parameters
(:mod:`.configuration`).
"""
