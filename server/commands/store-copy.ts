import type { Command } from 'commander'
import {
  copyStoreFile,
  StoreCopyError,
  type CopyFileReport,
  type TableCheck,
} from '../../db/pg/copy.ts'
import { UsageError } from './shared.ts'

// `meshwatch store copy --from FILE --to postgres://…`: moves a SQLite store to PostgreSQL (every
// table, ids kept, one transaction), then counts and digests every table on both sides. Exit 0
// when they agree, 1 when a table differs (or PostgreSQL holds a colliding row: nothing copied),
// 2 on bad input. The password of --to is never printed.

const STORE_DESCRIPTION =
  'move the store between engines: copy a SQLite store into PostgreSQL and verify it'

// (user:password@ would be shown as user:***@ by the CLI's redaction of error lines)
const TARGET_FORM = 'a postgres:// URL, e.g. postgres://meshwatch@db.example.com:5432/meshwatch'

/** The URL as it may be shown: its password, if any, as ***. */
function shownUrl(url: URL): string {
  const u = new URL(url)
  if (u.password !== '') u.password = '***'
  return u.toString()
}

/** --to parsed; anything but a postgres:// URL is refused without echoing it (it may hold a password). */
function targetOf(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`--to: not a URL; expected ${TARGET_FORM}`)
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new UsageError(`--to ${shownUrl(url)}: not a PostgreSQL URL; expected ${TARGET_FORM}`)
  return url
}

const DIGEST_SHOWN = 16

function reportTable(r: CopyFileReport): string {
  const written = new Map(r.copied.map((c) => [c.table, c.written]))
  const head = [
    'table',
    'written',
    'sqlite rows',
    'sqlite sha256',
    'postgres rows',
    'postgres sha256',
    '',
  ]
  const rows = r.checks.map((c: TableCheck) => [
    c.table,
    String(written.get(c.table) ?? 0),
    String(c.sqlite.rows),
    c.sqlite.sha256.slice(0, DIGEST_SHOWN),
    String(c.pg.rows),
    c.pg.sha256.slice(0, DIGEST_SHOWN),
    c.equal ? 'equal' : 'DIFFERENT',
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)))
  const numeric = new Set([1, 2, 4])
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(head), ...rows.map(line)].join('\n') + '\n'
}

interface StoreCopyOptions {
  from: string
  to: string
  json?: boolean
}

async function storeCopy(o: StoreCopyOptions): Promise<void> {
  const url = targetOf(o.to)
  const shown = shownUrl(url)
  const t0 = performance.now()
  let report: CopyFileReport
  try {
    report = await copyStoreFile(o.from, url.toString(), {
      onCopy: (p) => {
        if (p.done)
          process.stderr.write(`copied  ${p.table}: ${p.rows} rows, ${p.written} written\n`)
      },
      onCheck: (c) =>
        process.stderr.write(
          `checked ${c.table}: ${c.equal ? 'equal' : 'DIFFERENT'} (${c.sqlite.rows} / ${c.pg.rows} rows)\n`,
        ),
    })
  } catch (e) {
    if (!(e instanceof StoreCopyError)) throw e
    if (e.reason === 'source') throw new UsageError(`--from ${e.message}`, { cause: e })
    if (e.reason === 'target') throw new UsageError(`--to ${shown}: ${e.message}`, { cause: e })
    process.stderr.write(`meshwatch: ${e.message}\n`)
    process.exitCode = 1
    return
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1)
  if (o.json) process.stdout.write(`${JSON.stringify({ to: shown, ...report })}\n`)
  else process.stdout.write(reportTable(report))
  const rows = report.copied.reduce((n, c) => n + c.rows, 0)
  const written = report.copied.reduce((n, c) => n + c.written, 0)
  process.stderr.write(
    `copied ${report.copied.length} tables (${rows} rows, ${written} written) from ${o.from} to ${shown} in ${seconds} s\n`,
  )
  if (report.mismatches.length === 0) {
    process.stderr.write('counts and sha256 digests are equal on both sides for every table\n')
    return
  }
  process.stderr.write(
    `meshwatch: ${report.mismatches.length} table(s) differ between SQLite and PostgreSQL: ${report.mismatches.join(', ')}` +
      ' (PostgreSQL has rows SQLite has not, or one of them was written to during the copy)\n',
  )
  process.exitCode = 1
}

export function registerStore(program: Command): void {
  const store = program.command('store').description(STORE_DESCRIPTION)
  store
    .command('copy')
    .description(
      'copy every table of a SQLite store into PostgreSQL (ids kept, one transaction), then compare row counts and sha256 digests per table; safe to re-run',
    )
    .requiredOption('--from <file>', 'the SQLite store to copy (e.g. ./data/meshwatch.db)')
    .requiredOption(
      '--to <url>',
      'the PostgreSQL store, postgres://user[:password]@host[:port]/database (migrated first; the password may also come from $PGPASSWORD)',
    )
    .option('--json', 'print the report as JSON, with full digests, instead of a table')
    .addHelpText(
      'after',
      `
Rows PostgreSQL already holds unchanged are not rewritten, changed ones are updated, and rows
only PostgreSQL has are kept (their table is then reported as different). Stop the servers
writing to either store while copying.

Exit status: 0 every table equal, 1 a table differs (or a PostgreSQL row collides with one of
SQLite's on a unique key: nothing copied), 2 bad usage (no --from file, --to not a PostgreSQL
URL, PostgreSQL not reachable).`,
    )
    .action(storeCopy)
}
