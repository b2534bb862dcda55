// `npm run build:web`: bundles web/main.ts (with Cytoscape and its dagre layout) into web/dist with
// esbuild, so the page needs no CDN and works offline. index.html is copied with the hashed asset names.
import { build } from 'esbuild'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join, basename } from 'node:path'

const WEB = fileURLToPath(new URL('.', import.meta.url))
const OUT = join(WEB, 'dist')
const t0 = performance.now()
rmSync(OUT, { recursive: true, force: true })
mkdirSync(join(OUT, 'assets'), { recursive: true })
const result = await build({
  entryPoints: [join(WEB, 'main.ts'), join(WEB, 'style.css')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: 'linked',
  entryNames: '[name]-[hash]',
  outdir: join(OUT, 'assets'),
  metafile: true,
  tsconfig: join(WEB, 'tsconfig.json'),
  logLevel: 'warning',
})
const outs = Object.keys(result.metafile.outputs).filter((f) => !f.endsWith('.map'))
const js = basename(outs.find((f) => f.endsWith('.js')) ?? '')
const css = basename(outs.find((f) => f.endsWith('.css')) ?? '')
const html = readFileSync(join(WEB, 'index.html'), 'utf8')
  .replace('/assets/main.js', `/assets/${js}`)
  .replace('/assets/style.css', `/assets/${css}`)
writeFileSync(join(OUT, 'index.html'), html)
const kb = outs.map(
  (f) => `${basename(f)} ${(result.metafile.outputs[f].bytes / 1024).toFixed(0)} kB`,
)
process.stderr.write(`build:web: ${kb.join(', ')} in ${(performance.now() - t0).toFixed(0)} ms\n`)
