import fc from 'fast-check'

export type Path = (string | number)[]

/** Every path into a JSON value (objects and arrays), root included, at most `limit` of them. */
export function pathsOf(value: unknown, limit = 50_000): Path[] {
  const out: Path[] = []
  const stack: [unknown, Path][] = [[value, []]]
  while (stack.length > 0 && out.length < limit) {
    const [v, p] = stack.pop() as [unknown, Path]
    out.push(p)
    if (Array.isArray(v)) v.forEach((c, i) => stack.push([c, [...p, i]]))
    else if (v !== null && typeof v === 'object')
      for (const [k, c] of Object.entries(v)) stack.push([c, [...p, k]])
  }
  return out
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\ud800',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '../../etc/passwd',
  "'; drop table datasets; --",
  '<script>alert(1)</script>',
  'x'.repeat(5000),
  '9'.repeat(400),
  '2026-13-45T99:99:99Z',
  'NaN',
]

/** A JSON value a hostile or broken producer might send in place of any field. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1e308,
    -1e308,
    2 ** 53 + 1,
    0.5,
    [],
    {},
    ...HOSTILE_STRINGS,
  ),
  fc.string({ maxLength: 40, unit: 'binary' }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer(),
)

export type Mutation =
  | { op: 'set'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'wrap'; at: number }
  | { op: 'dup'; at: number }
  | { op: 'key'; at: number; name: string; value: unknown }

/** Names of Object.prototype members: as keys a client chooses (SLA fields, facets, meta, ids). */
export const PROTO_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
] as const

/** Adds an own key named after an Object.prototype member to one of the objects of a value. */
export const protoKeyMutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constant('key' as const),
  at: fc.nat(),
  name: fc.constantFrom(...PROTO_NAMES),
  value: hostileValue,
})

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: hostileValue }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('wrap' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('dup' as const), at: fc.nat() }),
  protoKeyMutation,
)

/** The paths of `value` that lead to a (non-array) object: where a key can be added. */
export const objectPathsOf = (value: unknown): Path[] =>
  pathsOf(value).filter((p) => {
    const v = walk(value, p)
    return v !== null && typeof v === 'object' && !Array.isArray(v)
  })

/** Applies mutations to a deep copy; `at` picks a path modulo the number of paths. */
export function mutate<T>(base: T, muts: Mutation[], paths = pathsOf(base)): unknown {
  let root: unknown = structuredClone(base)
  for (const m of muts) {
    const path = paths[m.at % paths.length] ?? []
    if (path.length === 0) {
      if (m.op === 'set') root = m.value
      if (m.op === 'key' && root !== null && typeof root === 'object' && !Array.isArray(root))
        Object.defineProperty(root, m.name, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        })
      if (m.op === 'wrap') root = [root]
      continue
    }
    const parent = walk(root, path.slice(0, -1))
    const key = path[path.length - 1] as string | number
    if (parent === null || typeof parent !== 'object') continue
    const obj = parent as Record<string | number, unknown>
    if (m.op === 'set') obj[key] = m.value
    if (m.op === 'wrap') obj[key] = [obj[key]]
    const target = obj[key]
    // An own property, as JSON.parse makes it (`o[name] = v` would set `__proto__`'s prototype).
    if (m.op === 'key' && target !== null && typeof target === 'object' && !Array.isArray(target))
      Object.defineProperty(target, m.name, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      })
    if (m.op === 'dup' && Array.isArray(parent) && typeof key === 'number')
      parent.push(structuredClone(parent[key]))
    if (m.op === 'delete') {
      if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1)
      else delete obj[key]
    }
  }
  return root
}

function walk(v: unknown, path: Path): unknown {
  let cur = v
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string | number, unknown>)[k]
  }
  return cur
}
