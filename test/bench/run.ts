// `npm run bench`: every benchmark, each as a ratio or a latency against its goal, in one table.
// Run one group with `npm run bench -- dbt openlineage`. Every row is a ratio to a baseline measured
// in the same run (absolute figures beside it in its detail), so it means the same on any machine.
export interface BenchRow {
  name: string
  value: number
  unit: string
  goal: string
  ok: boolean
  detail?: string
}

type Bench = () => Promise<BenchRow[]>
// group → [module, export]; modules are loaded by path so a group can be run alone.
const BENCHES: Record<string, [string, string]> = {
  cli: ['./cli.ts', 'benchCli'],
  columns: ['./columns.ts', 'benchColumns'],
  contracts: ['./contracts.ts', 'benchContracts'],
  dbt: ['./dbt.ts', 'benchDbt'],
  openlineage: ['./openlineage.ts', 'benchOpenLineage'],
  quality: ['./quality.ts', 'benchQuality'],
  store: ['./store.ts', 'benchStore'],
  web: ['./web.ts', 'benchWeb'],
}
const load = async ([file, name]: [string, string]): Promise<Bench> => {
  const mod = (await import(file)) as Record<string, unknown>
  const fn = mod[name]
  if (typeof fn !== 'function') throw new Error(`${file} has no ${name}`)
  return fn as Bench
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const rows: BenchRow[] = []
for (const [name, entry] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue
  let bench: Bench
  try {
    bench = await load(entry)
  } catch (e) {
    rows.push({
      name: `${name}: not available`,
      value: Number.NaN,
      unit: '',
      goal: '',
      ok: false,
      detail: (e as Error).message.split('\n')[0],
    })
    continue
  }
  process.stderr.write(`running ${name} bench…\n`)
  try {
    rows.push(...(await bench()))
  } catch (e) {
    rows.push({
      name: `${name}: failed`,
      value: Number.NaN,
      unit: '',
      goal: '',
      ok: false,
      detail: (e as Error).message.split('\n')[0],
    })
  }
}

const fmt = (r: BenchRow) =>
  Number.isNaN(r.value)
    ? '—'
    : `${r.value < 10 ? r.value.toFixed(2) : r.value.toFixed(0)} ${r.unit}`
const w = Math.max(...rows.map((r) => r.name.length), 10)
process.stdout.write(
  `${'benchmark'.padEnd(w)}  ${'result'.padStart(12)}  ${'goal'.padEnd(10)}  met\n`,
)
for (const r of rows) {
  process.stdout.write(
    `${r.name.padEnd(w)}  ${fmt(r).padStart(12)}  ${r.goal.padEnd(10)}  ${r.ok ? 'yes' : 'NO'}${r.detail ? `  (${r.detail})` : ''}\n`,
  )
}
