"""Column lineage of every model of a dbt project by sqlglot (the peer meshwatch's own is compared with).

Usage: python sqlglot-lineage.py <manifest.json> [<catalog.json>]
Prints JSON: {"dialect": ..., "models": [{"unique_id", "relation", "columns": [...],
"edges": [[column, from_relation, from_column], ...], "error": str|null}]}.
Relations are catalog.schema.table, lower-cased. Only the columns an output column is computed
from (sqlglot.lineage's leaves) are edges: sqlglot does not report filter/join/group-by uses.
The schema is the catalog's columns, else the columns the manifest declares, else (models run
upstream first) the output columns sqlglot found for the model: what meshwatch does too. A leaf
`t.*` (a star over a table of unknown columns) is the column of that name of t: the name the
query asked the star for.
"""

import json
import sys

from sqlglot import exp, parse_one
from sqlglot.errors import SqlglotError
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

DIALECTS = {
    "bigquery": "bigquery",
    "databricks": "databricks",
    "duckdb": "duckdb",
    "postgres": "postgres",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "spark": "spark",
    "trino": "trino",
    "athena": "athena",
    "sqlserver": "tsql",
}


def relation(database, schema, name):
    return ".".join(p for p in (database, schema, name) if p).lower()


def add(schema, key, cols, dialect):
    db, sch, name = key
    table = exp.Table(
        this=exp.to_identifier(name, quoted=True),
        db=exp.to_identifier(sch, quoted=True),
        catalog=exp.to_identifier(db, quoted=True) if db else None,
    )
    try:
        schema.add_table(table, cols, dialect=dialect)
    except SqlglotError:
        schema.add_table(table, {c: "UNKNOWN" for c in cols}, dialect=dialect)


def leaves(node, asked):
    """The table leaves under a lineage node, each with the column name last asked for above it."""
    name = node.name.split(".")[-1]
    if name != "*":
        asked = name
    if not node.downstream:
        if isinstance(node.source, exp.Table):
            yield node, asked
        return
    for d in node.downstream:
        yield from leaves(d, asked)


def topological(nodes):
    """Nodes, every one after the nodes it depends on."""
    out, seen = [], set()
    for root in nodes:
        stack = [(root, iter(nodes[root].get("depends_on", {}).get("nodes", [])))]
        if root in seen:
            continue
        seen.add(root)
        while stack:
            uid, deps = stack[-1]
            dep = next(deps, None)
            if dep is None:
                stack.pop()
                out.append(nodes[uid])
            elif dep in nodes and dep not in seen:
                seen.add(dep)
                stack.append((dep, iter(nodes[dep].get("depends_on", {}).get("nodes", []))))
    return out


def main():
    manifest = json.load(open(sys.argv[1]))
    catalog = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {"nodes": {}, "sources": {}}
    adapter = manifest["metadata"].get("adapter_type")
    dialect = DIALECTS.get(adapter, None)
    tables = {}
    for entry in list(catalog.get("nodes", {}).values()) + list(catalog.get("sources", {}).values()):
        md = entry["metadata"]
        tables[(md.get("database"), md["schema"], md["name"])] = {
            c["name"]: c.get("type") or "UNKNOWN" for c in entry["columns"].values()
        }
    for node in list(manifest["nodes"].values()) + list(manifest.get("sources", {}).values()):
        key = (node.get("database"), node.get("schema"), node.get("alias") or node.get("identifier") or node["name"])
        if key not in tables and node.get("columns"):
            tables[key] = {c["name"]: c.get("data_type") or "UNKNOWN" for c in node["columns"].values()}
    schema = MappingSchema(dialect=dialect)
    for key, cols in tables.items():
        add(schema, key, cols, dialect)
    out = []
    for node in topological(manifest["nodes"]):
        if node["resource_type"] not in ("model", "snapshot"):
            continue
        sql = node.get("compiled_code") or node.get("compiled_sql")
        if not sql:
            continue
        rel = relation(node.get("database"), node.get("schema"), node.get("alias") or node["name"])
        model = {"unique_id": node["unique_id"], "relation": rel, "columns": [], "edges": [], "error": None}
        out.append(model)
        try:
            expression = qualify(
                parse_one(sql, dialect=dialect),
                schema=schema,
                dialect=dialect,
                validate_qualify_columns=False,
                identify=False,
            )
            model["columns"] = list(expression.named_selects)
            for column in model["columns"]:
                root = lineage(column, expression, schema=schema, dialect=dialect)
                seen = set()
                for n, asked in leaves(root, column):
                    t = n.source
                    field = n.name.split(".")[-1]
                    key = (column, relation(t.catalog, t.db, t.name), asked if field == "*" else field)
                    if key not in seen:
                        seen.add(key)
                        model["edges"].append(list(key))
        except (SqlglotError, ValueError, KeyError) as e:
            model["error"] = f"{type(e).__name__}: {e}"[:500]
        key = (node.get("database"), node.get("schema"), node.get("alias") or node["name"])
        if key not in tables and model["columns"]:
            tables[key] = {c: "UNKNOWN" for c in model["columns"]}
            add(schema, key, tables[key], dialect)
    json.dump({"adapter": adapter, "dialect": dialect, "models": out}, sys.stdout)


main()
