import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { join } from 'node:path'
import type { Command } from 'commander'
import { ConfigError, EMPTY_CONFIG, loadConfigFile, type MeshwatchConfig } from '../config-file.ts'
import { exportStaticLineage } from '../export.ts'
import { exportStandards, STANDARDS, type Standard } from '../standards/export.ts'
import { openCommandStore, UsageError } from './shared.ts'

const FORMATS = ['openlineage', ...STANDARDS] as const
type Format = (typeof FORMATS)[number]

interface ExportOptions {
  db?: string
  out?: string
  format: string
  config?: string
  baseUrl?: string
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'write the stored lineage as OpenLineage static-lineage NDJSON (DatasetEvents, then JobEvents), or each product as an ODPS descriptor / ODCS contract',
    )
    .option(
      '--db <file>',
      'SQLite store or postgres:// URL (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .option(
      '--format <format>',
      'openlineage (default): NDJSON events; odps: an ODPS v1.0.0 descriptor per product; odcs: each product’s ODCS contract (the stored one, else generated as v3.1.0 draft)',
      'openlineage',
    )
    .option(
      '-o, --out <path>',
      'openlineage: write to this file instead of stdout; odps/odcs: the directory for one <product>.<format>.yaml per product (default: a YAML stream on stdout)',
    )
    .option('--config <file>', 'odcs: meshwatch.yml whose SLAs the generated contracts carry')
    .option('--base-url <url>', 'odps: the meshwatch server URL the management ports link to')
    .action(async (o: ExportOptions) => {
      const format = formatOf(o.format)
      if (format === 'openlineage') return exportLineage(o)
      return exportProducts(o, format)
    })
}

function formatOf(value: string): Format {
  if ((FORMATS as readonly string[]).includes(value)) return value as Format
  throw new UsageError(
    `export: unknown --format '${value}'; use one of ${FORMATS.join(', ')} (default openlineage)`,
  )
}

async function exportLineage(o: ExportOptions): Promise<void> {
  const store = await openCommandStore(o)
  const out = o.out ? createWriteStream(o.out) : process.stdout
  let n = 0
  try {
    for await (const ev of exportStaticLineage(store, new Date().toISOString())) {
      if (!out.write(`${JSON.stringify(ev)}\n`)) await once(out, 'drain')
      n++
    }
  } finally {
    await store.close()
  }
  if (o.out) {
    out.end()
    await once(out, 'finish')
    process.stderr.write(`wrote ${n} events to ${o.out}\n`)
  }
}

function readConfig(file: string | undefined): MeshwatchConfig {
  if (!file) return EMPTY_CONFIG
  try {
    return loadConfigFile(file)
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`bad config: ${e.message}`, { cause: e })
    throw e
  }
}

/** Every file rendered first; then each written to a temporary name and renamed, so none is partial. */
async function exportProducts(o: ExportOptions, standard: Standard): Promise<void> {
  if (o.baseUrl !== undefined && !URL.canParse(o.baseUrl))
    throw new UsageError(`export: --base-url '${o.baseUrl}' is not a URL`)
  const config = readConfig(o.config)
  const store = await openCommandStore(o)
  let files
  try {
    files = await exportStandards(store, config, standard, { baseUrl: o.baseUrl })
  } finally {
    await store.close()
  }
  if (!o.out) {
    process.stdout.write(files.map((f) => `# ${f.file}\n${f.text}`).join('---\n'))
    return
  }
  await mkdir(o.out, { recursive: true })
  const written: string[] = []
  try {
    for (const f of files) {
      const tmp = join(o.out, `.${f.file}.${process.pid}.tmp`)
      await writeFile(tmp, f.text)
      written.push(tmp)
      await rename(tmp, join(o.out, f.file))
      written.pop()
    }
  } finally {
    for (const tmp of written) await rm(tmp, { force: true })
  }
  const generated = files.filter((f) => f.source === 'generated').length
  process.stderr.write(
    `wrote ${files.length} ${standard.toUpperCase()} files to ${o.out}${standard === 'odcs' ? ` (${files.length - generated} stored, ${generated} generated)` : ''}\n`,
  )
}
