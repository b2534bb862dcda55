/**
 * Linking Airflow tasks to the dbt nodes they build, the way astronomer-cosmos names its tasks
 * (https://astronomer.github.io/astronomer-cosmos/): `<model>_run`, `<seed>_seed`,
 * `<snapshot>_snapshot`, `<source>_source`, `<model>_test`, `<node>_<type>_build` in build mode,
 * task groups `<model>.run` / `<model>.test`, all optionally under a DbtTaskGroup prefix.
 */

export const DBT_COMMANDS = ['run', 'test', 'seed', 'snapshot', 'source', 'build'] as const
export type DbtCommand = (typeof DBT_COMMANDS)[number]

const isCommand = (s: string | undefined): s is DbtCommand =>
  s !== undefined && (DBT_COMMANDS as readonly string[]).includes(s)

/** The dbt node and command a Cosmos-style task id names, if it follows the convention. */
export function cosmosNode(taskId: string): { node: string; command: DbtCommand } | undefined {
  const parts = taskId.split('.')
  const last = parts.at(-1) ?? ''
  const group = parts.at(-2)
  if (group && isCommand(last)) return { node: group, command: last }
  const build = /^(.+)_(?:model|seed|snapshot)_build$/.exec(last)
  if (build?.[1]) return { node: build[1], command: 'build' }
  const m = /^(.+)_(run|test|seed|snapshot|source|build)$/.exec(last)
  if (m?.[1] && isCommand(m[2])) return { node: m[1], command: m[2] }
  return undefined
}

const SELECT_FLAGS = new Set(['--select', '-s', '--models', '--model', '-m'])
const SHELL_BREAK = /^(&&|\|\||;|\||>|<|2>)$/

/** Cleans one dbt selector down to a node name, or undefined for methods (tag:, path:…). */
function selectorNode(sel: string): string | undefined {
  const s = sel
    .replace(/^['"]|['"]$/g, '')
    .replace(/^(\d*\+|@)/, '')
    .replace(/\+\d*$/, '')
  if (!s || s.includes(':') || s.includes('*') || s.includes('/')) return undefined
  return s.split('.').at(-1)
}

/** The dbt commands and selected nodes in a shell command (`dbt run --select a b+ -s c`). */
export function dbtInvocations(
  command: string,
): { command: DbtCommand | undefined; nodes: string[] }[] {
  const tokens = command.split(/\s+/).filter((t) => t.length > 0)
  const out: { command: DbtCommand | undefined; nodes: string[] }[] = []
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? ''
    if (t !== 'dbt' && !t.endsWith('/dbt')) continue
    const sub = tokens.slice(i + 1).find((x) => !x.startsWith('-'))
    const inv = { command: isCommand(sub) ? sub : undefined, nodes: [] as string[] }
    for (let j = i + 1; j < tokens.length && !SHELL_BREAK.test(tokens[j] ?? ''); j++) {
      const tok = tokens[j] ?? ''
      const eq = tok.indexOf('=')
      if (eq > 0 && SELECT_FLAGS.has(tok.slice(0, eq))) {
        inv.nodes.push(...tok.slice(eq + 1).split(','))
        continue
      }
      if (!SELECT_FLAGS.has(tok)) continue
      for (j++; j < tokens.length; j++) {
        const v = tokens[j] ?? ''
        if (v.startsWith('-') || SHELL_BREAK.test(v)) break
        inv.nodes.push(...v.split(','))
      }
      j--
    }
    inv.nodes = inv.nodes.flatMap((n) => selectorNode(n) ?? [])
    out.push(inv)
  }
  return out
}

/** Selected nodes from a task instance's rendered fields: Cosmos `select`/`models`, or a command. */
export function renderedSelection(rendered: Record<string, unknown> | undefined): {
  command: DbtCommand | undefined
  nodes: string[]
}[] {
  if (!rendered) return []
  const out = []
  for (const key of ['bash_command', 'command', 'cmd']) {
    const v = rendered[key]
    if (typeof v === 'string') out.push(...dbtInvocations(v))
    if (Array.isArray(v))
      out.push(...dbtInvocations(v.filter((x) => typeof x === 'string').join(' ')))
  }
  for (const key of ['select', 'models']) {
    const v = rendered[key]
    const list = typeof v === 'string' ? v.split(/[\s,]+/) : Array.isArray(v) ? v : []
    const nodes = list.flatMap((x) => (typeof x === 'string' ? (selectorNode(x) ?? []) : []))
    if (nodes.length) out.push({ command: undefined, nodes })
  }
  return out
}

export type DbtLinkInput = {
  taskId: string
  operator: string | undefined
  rendered: Record<string, unknown> | undefined
  /** Tables named by the asset URIs this task produces. */
  outletTables: string[]
  /** Known dbt models; when given, only these are linked (case-insensitive). */
  known: ReadonlySet<string> | undefined
  /** Models configured for this task, linked as they are. */
  explicit: string[] | undefined
}

export type DbtLink = { models: string[]; sources: string[]; commands: DbtCommand[] }

/**
 * Which dbt models (and sources) a task builds, from explicit config, its rendered dbt selection,
 * its Cosmos-style task id and the tables of its asset outlets. Without a list of known models,
 * only explicit config, rendered dbt commands and Cosmos names on dbt operators/commands count.
 */
export function linkDbt(input: DbtLinkInput): DbtLink {
  const known = input.known && new Map([...input.known].map((m) => [m.toLowerCase(), m]))
  const resolve = (node: string) => (known ? known.get(node.toLowerCase()) : node)
  const models = new Set<string>(input.explicit ?? [])
  const sources = new Set<string>()
  const commands = new Set<DbtCommand>()

  const selections = renderedSelection(input.rendered)
  for (const sel of selections) {
    for (const n of sel.nodes) {
      const m = resolve(n)
      if (!m) continue
      models.add(m)
      if (sel.command) commands.add(sel.command)
    }
  }
  const runsDbt = selections.length > 0 || (input.operator ?? '').startsWith('Dbt')
  const named = cosmosNode(input.taskId)
  if (named && (known || runsDbt)) {
    if (named.command === 'source') {
      sources.add(named.node)
      commands.add('source')
    } else {
      const m = resolve(named.node)
      if (m) {
        models.add(m)
        commands.add(named.command)
      }
    }
  }
  if (known) {
    for (const t of input.outletTables) {
      const m = resolve(t)
      if (m) models.add(m)
    }
  }
  return {
    models: [...models].sort(),
    sources: [...sources].sort(),
    commands: [...commands].sort(),
  }
}
