import type { Command } from 'commander'

/**
 * The CLI's commands, each with its one-line description and the module that registers it. A
 * module is imported only for the command that runs (or whose help is asked for): loading them all
 * would pull in the store, the server and every collector, and `meshwatch --help` would take ~0.5 s
 * instead of ~0.1 s. The descriptions are shown by `meshwatch --help` without loading a module; a
 * test checks each equals the one its module registers.
 */
export interface CommandEntry {
  name: string
  description: string
  load: () => Promise<(parent: Command) => void>
}

export const COLLECT_DESCRIPTION =
  'read one source (dbt, openlineage, airflow, junit, contracts) into the store or a server'

/** The subcommands of `meshwatch collect`. */
export const COLLECT_COMMANDS: CommandEntry[] = [
  {
    name: 'dbt',
    description:
      'read dbt target/ dirs (manifest, run_results, sources, freshness, catalog); several dirs give one graph',
    load: async () => (await import('./collect-dbt.ts')).registerCollectDbt,
  },
  {
    name: 'airflow',
    description:
      'read DAGs, tasks, runs, task instances and assets from Airflow 3 (REST v2) or 2 (REST v1)',
    load: async () => (await import('./collect-airflow.ts')).registerCollectAirflow,
  },
  {
    name: 'junit',
    description:
      'read JUnit XML (pytest, dbt/Great Expectations exports…) as test results on datasets',
    load: async () => (await import('./collect-junit.ts')).registerCollectJunit,
  },
  {
    name: 'openlineage',
    description:
      "read OpenLineage events (the file transport's NDJSON, a JSON array or one event) from files or dirs",
    load: async () => (await import('./collect-openlineage.ts')).registerCollectOpenLineage,
  },
  {
    name: 'contracts',
    description:
      'read ODCS v3.0.x / v3.1.0 data contracts (*.odcs.yaml, *.odcs.json) from files or dirs',
    load: async () => (await import('./collect-contracts.ts')).registerCollectContracts,
  },
]

/** The top-level commands other than `collect`, in the order `--help` lists them. */
export const COMMANDS: CommandEntry[] = [
  {
    name: 'serve',
    description:
      'run the API and web view on the embedded store; loads the demo mesh into an empty store',
    load: async () => (await import('./serve.ts')).registerServe,
  },
  {
    name: 'replay',
    description:
      'rebuild the derived tables (graph, runs, results) from the kept batches and raw OpenLineage events, in received order, in one transaction',
    load: async () => (await import('./replay.ts')).registerReplay,
  },
  {
    name: 'export',
    description:
      'write the stored lineage as OpenLineage static-lineage NDJSON (DatasetEvents, then JobEvents), or each product as an ODPS descriptor / ODCS contract',
    load: async () => (await import('./export.ts')).registerExport,
  },
  {
    name: 'token',
    description: 'API tokens: create (shown once), list, revoke',
    load: async () => (await import('./token.ts')).registerToken,
  },
  {
    name: 'check',
    description:
      'validate meshwatch.yml and print what it resolves to; --policies lists governance violations of the store',
    load: async () => (await import('./check.ts')).registerCheck,
  },
  {
    name: 'gate',
    description:
      'CI gate: compare a dbt build with production; exit 1 on a regression, 2 on bad usage or input',
    load: async () => (await import('./gate.ts')).registerGate,
  },
  {
    name: 'store',
    description:
      'move the store between engines: copy a SQLite store into PostgreSQL and verify it',
    load: async () => (await import('./store-copy.ts')).registerStore,
  },
  {
    name: 'alerts',
    description:
      'Slack alerts: list the outbox, deliver what is due, send a test message, retry failed ones',
    load: async () => (await import('./alerts.ts')).registerAlerts,
  },
]

/**
 * Registers on `parent` the command `wanted` names with its real module, and every other one as a
 * name and description only (enough for help and for "did you mean …?"). `wanted` undefined: none
 * is loaded.
 */
export async function registerLazily(
  parent: Command,
  entries: CommandEntry[],
  wanted: string | undefined,
): Promise<void> {
  for (const entry of entries) {
    if (entry.name === wanted) (await entry.load())(parent)
    else parent.command(entry.name).description(entry.description)
  }
}
