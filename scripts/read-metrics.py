#!/usr/bin/env python3
"""The README's two reads of a run's metrics rows, with their types stated, on OUT.

Prints one JSON object: what pandas and duckdb read (row count, the keys, and per edit the mean
CLIP similarity and the row count), so RowsReadTests can check both against the files.
Usage: read-metrics.py OUT
"""
import glob
import json
import sys

import duckdb
import pandas as pd

out = sys.argv[1]

# pandas, as in README.md: key stays a string ("000000004", not 4)
rows = pd.concat(pd.read_json(f, lines=True, dtype={"key": str, "index": "int64", "steps": "Int64"})
                 for f in sorted(glob.glob(f"{out}/metrics/*.jsonl")))

# duckdb, as in README.md
sql = f"""
SELECT edit, method, avg(clip_similarity) AS clip, count(*) AS n, min(key) AS first_key
FROM read_json('{out}/metrics/*.jsonl', format = 'newline_delimited',
               columns = {{key: 'VARCHAR', "index": 'BIGINT', edit: 'VARCHAR', method: 'VARCHAR', preset: 'VARCHAR',
                          text: 'VARCHAR', alpha: 'DOUBLE', steps: 'BIGINT', clip_similarity: 'DOUBLE',
                          directional_clip: 'DOUBLE', identity: 'DOUBLE', latent_l2: 'DOUBLE'}})
GROUP BY edit, method ORDER BY edit
"""
db = duckdb.sql(sql).fetchall()

print(json.dumps({
    "pandas": {
        "rows": len(rows),
        "keys": sorted(set(rows["key"])),
        "key_dtype": str(rows["key"].dtype),
        "steps": {e: (None if pd.isna(s) else int(s)) for e, s in rows.groupby("edit")["steps"].first().items()},
        "clip": {e: float(v) for e, v in rows.groupby("edit")["clip_similarity"].mean().items()},
        "null_identity": int(rows["identity"].isna().sum()),
    },
    "duckdb": [{"edit": e, "method": m, "clip": c, "n": n, "first_key": k} for e, m, c, n, k in db],
}))
