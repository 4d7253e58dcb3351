"""Data sets that live elsewhere than one file: folders, globs and hive-partitioned trees of
Parquet or CSV, object stores (``s3://``, ``gs://``) and warehouse tables (``table:NAME``),
summarised where they are instead of loaded (see ``compare``)."""
