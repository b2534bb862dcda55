// CLI start bench: `meshwatch --help` from the built dist/ vs `node -e 0`, both spawned in turn in
// this run, so the ratio holds on any machine. Alone: `npx tsx test/bench/cli.ts`.
import { execFileSync, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { BenchRow } from './run.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const RUNS = 21

function spawnMs(args: string[]): number {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`)
  return ms
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN

export async function benchCli(): Promise<BenchRow[]> {
  execFileSync(process.execPath, ['server/build.mjs'], { cwd: ROOT, stdio: 'ignore' })
  const node: number[] = []
  const help: number[] = []
  const collect: number[] = []
  spawnMs(['dist/cli.js', '--help']) // warm the file cache
  // Interleaved, so a burst of load on a shared machine hits both sides alike.
  for (let i = 0; i < RUNS; i++) {
    node.push(spawnMs(['-e', '0']))
    help.push(spawnMs(['dist/cli.js', '--help']))
    collect.push(spawnMs(['dist/cli.js', 'collect', 'dbt', '--help']))
  }
  const [n, h, c] = [median(node), median(help), median(collect)]
  return [
    {
      name: 'cli: `meshwatch --help` start vs `node -e 0`',
      value: h / n,
      unit: '×',
      goal: '≤ 4×',
      ok: h / n <= 4,
      detail: `median of ${RUNS}: ${h.toFixed(0)} ms vs ${n.toFixed(0)} ms (goal < 200 ms where node starts in 50 ms)`,
    },
    {
      name: 'cli: `meshwatch collect dbt --help` (loads the store) vs `node -e 0`',
      value: c / n,
      unit: '×',
      goal: 'info',
      ok: true,
      detail: `${c.toFixed(0)} ms`,
    },
  ]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const r of await benchCli()) {
    process.stdout.write(
      `${r.name}: ${r.value.toFixed(2)} ${r.unit} (goal ${r.goal}) ${r.detail ?? ''}\n`,
    )
  }
}
