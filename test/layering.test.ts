import { readdirSync, readFileSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { blankComments, parseImports, valueNames, type Import } from './layering/parse-imports.ts'

// STYLE.md §1, "who may import whom". STYLE.md asks for eslint `import-x/no-restricted-paths`, but
// TypeScript 7 (native) has no JS API for typescript-eslint, so this test reads every import of
// server/, db/, collectors/ and web/ itself (test/layering/parse-imports.ts) and checks each rule.
// It also checks that only the CLI reads process.env.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const LAYERS = ['server', 'db', 'collectors', 'web'] as const
const SKIP_DIRS = new Set(['node_modules', 'web/dist', 'db/migrations'])
const SOURCE = /\.(ts|mts|mjs)$/

interface Edge extends Import {
  /** Repo-relative path of the importing file. */
  from: string
  /** Repo-relative path for relative specifiers, else the bare specifier. */
  target: string
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = posix.join(dir, e.name)
    if (e.isDirectory())
      return SKIP_DIRS.has(path) || e.name === 'node_modules' ? [] : sourceFiles(path)
    return e.isFile() && SOURCE.test(e.name) ? [path] : []
  })
}

const FILES = LAYERS.flatMap(sourceFiles).sort()
const SOURCES = new Map(FILES.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]))
const EDGES: Edge[] = FILES.flatMap((from) =>
  parseImports(SOURCES.get(from) ?? '').map((imp) => ({
    ...imp,
    from,
    target: imp.specifier.startsWith('.')
      ? posix.normalize(posix.join(posix.dirname(from), imp.specifier))
      : imp.specifier,
  })),
)

const isInternal = (e: Edge) => e.specifier.startsWith('.')
const isUnder = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`)
const layerOf = (path: string) => LAYERS.find((l) => isUnder(path, l))
const isNodeBuiltin = (e: Edge) => !isInternal(e) && isBuiltin(e.specifier)
const isHono = (e: Edge) => !isInternal(e) && /^(hono|@hono\/[^/]+)(\/|$)/.test(e.specifier)
const describeEdge = (e: Edge) => `${e.from}:${e.line}: ${e.text}`

/**
 * Value imports of collectors/batch.ts in db/ that predate this test: the batch contract's pure
 * helpers. STYLE.md allows db only types from batch.ts; these are listed (file → helpers) so that
 * the test stops new ones. Remove an entry when its file is fixed, or amend STYLE.md to allow them.
 */
const KNOWN_DB_VALUE_IMPORTS: ReadonlyMap<string, readonly string[]> = new Map([
  ['db/queries/fold-batches.ts', ['emptyBatch', 'refKey']],
  ['db/queries/owners.ts', ['refKey']],
  ['db/queries/raw-events.ts', ['emptyBatch']],
  ['db/queries/resolve-nodes.ts', ['refKey']],
  ['db/queries/store-batch.ts', ['refKey']],
])

/** Each rule returns the edges that break it. */
const RULES: { name: string; broken: (e: Edge) => boolean }[] = [
  {
    name: 'collectors import nothing of ours outside collectors/ (never db/, server/, web/)',
    broken: (e) =>
      layerOf(e.from) === 'collectors' && isInternal(e) && layerOf(e.target) !== 'collectors',
  },
  {
    name: 'db imports nothing of ours outside db/ but collectors/batch.ts, and that for types only',
    broken: (e) => {
      if (layerOf(e.from) !== 'db' || !isInternal(e) || layerOf(e.target) === 'db') return false
      if (e.target !== 'collectors/batch.ts') return true
      const known = KNOWN_DB_VALUE_IMPORTS.get(e.from) ?? []
      return valueNames(e).some((n) => !known.includes(n))
    },
  },
  {
    name: 'server imports nothing of ours outside server/, db/, collectors/ (never web/)',
    broken: (e) => layerOf(e.from) === 'server' && isInternal(e) && layerOf(e.target) === 'web',
  },
  {
    name: 'server/quality/ imports neither hono nor db/',
    broken: (e) =>
      isUnder(e.from, 'server/quality') &&
      (isHono(e) || (isInternal(e) && layerOf(e.target) === 'db')),
  },
  {
    name: "web reaches server only through `import type { AppType } from '../server/app.ts'`",
    broken: (e) => {
      if (layerOf(e.from) !== 'web' || !isInternal(e) || layerOf(e.target) === 'web') return false
      return !(
        e.target === 'server/app.ts' &&
        e.typeOnly &&
        /^import type \{ AppType \} from/.test(e.text)
      )
    },
  },
  {
    // web/build.mjs is the esbuild script `npm run build:web` runs in Node; it is not in the bundle
    // (nor in web/tsconfig.json), so it may use node:fs.
    name: 'web (browser) code imports no Node built-in',
    broken: (e) => layerOf(e.from) === 'web' && e.from !== 'web/build.mjs' && isNodeBuiltin(e),
  },
]

// The CLI: main.ts, cli.ts and the commands behind cli.ts. Everything else gets values passed in.
const ENV_READERS = /^server\/(main|cli)\.ts$|^server\/commands\/[^/]+\.ts$/
const ENV_READ =
  /\bprocess\s*(\.\s*env\b|\[\s*['"`]env['"`]\s*\])|\{[^{}]*\benv\b[^{}]*\}\s*=\s*process\b/g

describe('layering (STYLE.md §1)', () => {
  it('reads the source tree', () => {
    expect(FILES).toContain('web/api.ts')
    expect(FILES.some((f) => f.startsWith('db/migrations/') || f.startsWith('web/dist/'))).toBe(
      false,
    )
    expect(
      EDGES.find((e) => e.from === 'web/api.ts' && e.target === 'server/app.ts')?.typeOnly,
    ).toBe(true)
  })

  it('resolves every relative import to a source file', () => {
    const missing = EDGES.filter(
      (e) => isInternal(e) && !SOURCES.has(e.target) && layerOf(e.target) !== undefined,
    )
    expect(missing.map(describeEdge)).toEqual([])
  })

  it.each(RULES)('$name', ({ name, broken }) => {
    expect(EDGES.filter(broken).map(describeEdge), `imports breaking "${name}"`).toEqual([])
  })

  it('only the CLI (server/main.ts, server/cli.ts, server/commands/) reads process.env', () => {
    const reads = FILES.filter((f) => !ENV_READERS.test(f)).flatMap((f) => {
      const code = blankComments(SOURCES.get(f) ?? '')
      return [...code.matchAll(ENV_READ)].map(
        (m) => `${f}:${code.slice(0, m.index).split('\n').length}: ${m[0]}`,
      )
    })
    expect(reads).toEqual([])
  })
})
