import type { Command } from 'commander'
import { TOKEN_SCOPES, type TokenInfo, type TokenScope } from '../../db/queries/tokens.ts'
import { openCommandStore, UsageError } from './shared.ts'

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }

/** `30d`, `12h`, `90m`, `2w`, an ISO date/date-time, or `never` → an ISO instant (or undefined). */
export function parseExpiry(text: string, now: Date): string | undefined {
  if (text === 'never') return undefined
  const rel = /^(\d{1,6})([mhdw])$/.exec(text)
  if (rel?.[1] && rel[2])
    return new Date(now.getTime() + Number(rel[1]) * (UNITS[rel[2]] ?? 0)).toISOString()
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const t = new Date(text.length === 10 ? `${text}T00:00:00Z` : text)
    if (!Number.isNaN(t.getTime())) {
      if (t.getTime() <= now.getTime()) throw new UsageError(`--expires ${text} is in the past`)
      return t.toISOString()
    }
  }
  throw new UsageError(`--expires ${text}: expected e.g. 30d, 12h, 2w, 2026-12-31 or never`)
}

const statusOf = (t: TokenInfo, now: string): string =>
  t.revokedAt
    ? `revoked ${t.revokedAt}`
    : t.expiresAt && t.expiresAt <= now
      ? `expired ${t.expiresAt}`
      : 'active'

export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description('API tokens: create (shown once), list, revoke')
  token
    .command('create')
    .description('create a token and print it once; only its sha256 is stored')
    .requiredOption('--scope <scope>', `read | ingest | admin (admin ⊇ ingest ⊇ read)`)
    .option(
      '--domain <domain>',
      "ingest tokens only: may write only this domain's datasets and jobs",
    )
    .option('--expires <when>', 'e.g. 30d, 12h, 2w, 2026-12-31, never', 'never')
    .option('--name <name>', 'what the token is for (shown by token list)')
    .option(
      '--db <file>',
      'SQLite file or postgres:// URL (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .action(
      async (o: {
        scope: string
        domain?: string
        expires: string
        name?: string
        db?: string
      }) => {
        const scope = TOKEN_SCOPES.find((s) => s === o.scope)
        if (!scope)
          throw new UsageError(`--scope ${o.scope}: expected one of ${TOKEN_SCOPES.join(', ')}`)
        if (o.domain !== undefined && scope !== 'ingest') {
          throw new UsageError('--domain restricts writes, so it only applies to --scope ingest')
        }
        if (o.domain !== undefined && o.domain.trim() === '')
          throw new UsageError('--domain must not be empty')
        const now = new Date()
        const expiresAt = parseExpiry(o.expires, now)
        const store = await openCommandStore(o)
        try {
          const name = o.name ?? defaultName(scope, o.domain)
          const r = await store.tokens.createToken({
            name,
            scope,
            domain: o.domain,
            expiresAt,
            now: now.toISOString(),
          })
          process.stdout.write(`${r.token}\n`)
          process.stderr.write(
            `created token ${r.info.id} "${name}" (${scope}${o.domain ? `, domain ${o.domain}` : ''}, ` +
              `expires ${expiresAt ?? 'never'}). It is shown only this once; API auth is now required.\n`,
          )
        } finally {
          await store.close()
        }
      },
    )
  token
    .command('list')
    .description('list tokens (never their values)')
    .option('--json', 'one JSON array instead of a table')
    .option(
      '--db <file>',
      'SQLite file or postgres:// URL (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .action(async (o: { json?: boolean; db?: string }) => {
      const store = await openCommandStore(o)
      try {
        const rows = await store.tokens.listTokens()
        const now = new Date().toISOString()
        if (o.json) {
          process.stdout.write(
            `${JSON.stringify(rows.map((t) => ({ ...t, status: statusOf(t, now) })))}\n`,
          )
          return
        }
        const lines = rows.map((t) =>
          [
            String(t.id),
            t.name,
            t.scope,
            t.domain ?? '-',
            t.createdAt,
            t.expiresAt ?? 'never',
            statusOf(t, now),
          ].join('\t'),
        )
        process.stdout.write(
          ['id\tname\tscope\tdomain\tcreated\texpires\tstatus', ...lines].join('\n') + '\n',
        )
      } finally {
        await store.close()
      }
    })
  token
    .command('revoke')
    .description('revoke a token by id (from token list); takes effect on the next request')
    .argument('<id>', 'token id')
    .option(
      '--db <file>',
      'SQLite file or postgres:// URL (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .action(async (id: string, o: { db?: string }) => {
      if (!/^\d+$/.test(id))
        throw new UsageError(`token id ${id}: expected a number (see token list)`)
      const store = await openCommandStore(o)
      try {
        if (!(await store.tokens.revokeToken(Number(id), new Date().toISOString())))
          throw new UsageError(`no token with id ${id}`)
        process.stderr.write(`revoked token ${id}\n`)
      } finally {
        await store.close()
      }
    })
}

const defaultName = (scope: TokenScope, domain: string | undefined): string =>
  domain ? `${scope}:${domain}` : scope
