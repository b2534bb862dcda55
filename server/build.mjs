// `npm run build:cli`: compiles the CLI (server/cli.ts and everything it imports from server/,
// collectors/, db/ and fixtures/airflow/replay.ts) to JavaScript in dist/ with esbuild, so
// `meshwatch` runs without a TypeScript loader. npm packages stay imports (they are installed beside
// it). Each command's module is its own chunk, loaded only when that command runs.
//
// Every output sits directly in dist/, one level below the package root as the sources are, so
// the paths the code resolves from import.meta.url hold from dist/ too: ../fixtures (the demo
// mesh) and ../web/dist (the page) are the package's own; ./migrations is copied here.
import { build } from 'esbuild'
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUT = join(ROOT, 'dist')
const t0 = performance.now()
mkdirSync(OUT, { recursive: true })
const result = await build({
  entryPoints: {
    cli: join(ROOT, 'server/cli.ts'),
    // a worker thread's script (collectors/dbt/column-lineage/pool.ts)
    'column-lineage-worker': join(ROOT, 'collectors/dbt/column-lineage/worker.ts'),
  },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outdir: OUT,
  chunkNames: '[name]-[hash]',
  banner: { js: '#!/usr/bin/env node' },
  metafile: true,
  tsconfig: join(ROOT, 'tsconfig.json'),
  logLevel: 'warning',
})
rmSync(join(OUT, 'migrations'), { recursive: true, force: true })
cpSync(join(ROOT, 'db/migrations'), join(OUT, 'migrations'), { recursive: true })
rmSync(join(OUT, 'migrations-pg'), { recursive: true, force: true })
cpSync(join(ROOT, 'db/migrations-pg'), join(OUT, 'migrations-pg'), { recursive: true })

// Drop what an earlier build left (old chunk hashes); written files are replaced in place, so a
// test process running dist/cli.js meanwhile still finds every chunk this build wrote.
const written = new Set(Object.keys(result.metafile.outputs).map((f) => basename(f)))
for (const f of readdirSync(OUT)) {
  if (f !== 'migrations' && f !== 'migrations-pg' && !written.has(f))
    rmSync(join(OUT, f), { recursive: true, force: true })
}
for (const needed of [
  'fixtures/meshwatch.yml',
  'dist/migrations/meta/_journal.json',
  'dist/migrations-pg/meta/_journal.json',
]) {
  if (!existsSync(join(ROOT, needed))) throw new Error(`build:cli: ${needed} is missing`)
}
const js = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'))
const kb = js.reduce((n, [, o]) => n + o.bytes, 0) / 1024
process.stderr.write(
  `build:cli: dist/cli.js and ${js.length - 1} chunks, ${kb.toFixed(0)} kB, in ${(performance.now() - t0).toFixed(0)} ms\n`,
)
