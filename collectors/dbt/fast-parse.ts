import type { z } from 'zod'

/**
 * A cheap first pass for a zod schema that is parsed tens of thousands of times (a manifest's
 * nodes): compiled from the schema's own definition, it returns what `schema.parse` would return
 * for an input it is sure of, and NOT_SURE otherwise, so the caller asks zod, whose issues then
 * read as before. On a 10k-model manifest zod's generic machinery cost ~25 µs a node, more than
 * JSON.parse of it; this pass is generated code (as zod's own object fast path is), with each
 * field read and written by its literal name, so it costs about a copy. It knows only the few zod types our dbt schemas use
 * (string with length bounds, number, boolean, unknown, optional, nullable, object, array,
 * record, union); a schema with anything else compiles to undefined, and every input goes to zod.
 */
export const NOT_SURE: unique symbol = Symbol('not sure')

export type FastParse<T> = (input: unknown) => T | typeof NOT_SURE

type Def = {
  type: string
  checks?: { _zod: { def: { check: string; minimum?: number; maximum?: number } } }[]
  innerType?: z.ZodType
  element?: z.ZodType
  options?: z.ZodType[]
  keyType?: z.ZodType
  valueType?: z.ZodType
  shape?: Record<string, z.ZodType>
  catchall?: unknown
}

const defOf = (s: z.ZodType): Def => s._zod.def as Def

export function compileFastParse<S extends z.ZodType>(
  schema: S,
): FastParse<z.output<S>> | undefined {
  const helpers: ((v: unknown) => unknown)[] = []
  const gen = new Gen(helpers)
  const code = gen.emit(schema, 'v0', 'x0')
  if (code === undefined) return undefined
  try {
    const make = new Function(
      'NS',
      'isObject',
      'isPlainObject',
      'h',
      `return function fastParse(v0) { let x0; ${code} return x0 }`,
    ) as (...args: unknown[]) => FastParse<z.output<S>>
    return make(NOT_SURE, isObject, isPlainObject, helpers)
  } catch {
    return undefined // code generation not allowed here: zod reads every input
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** zod's isPlainObject (what z.record accepts). */
function isPlainObject(o: unknown): o is Record<string, unknown> {
  if (!isObject(o)) return false
  const ctor = o.constructor
  if (ctor === undefined || typeof ctor !== 'function') return true
  const prot: unknown = ctor.prototype
  return isObject(prot) && Object.hasOwn(prot, 'isPrototypeOf')
}

/**
 * Emits statements that check the value in variable `src` and assign what zod would return to
 * `dst`, or `return NS`. undefined: a schema (or a part of it) this pass does not know.
 */
class Gen {
  private n = 0
  private readonly helpers: ((v: unknown) => unknown)[]
  constructor(helpers: ((v: unknown) => unknown)[]) {
    this.helpers = helpers
  }

  private id(): number {
    return ++this.n
  }

  emit(schema: z.ZodType, src: string, dst: string): string | undefined {
    const def = defOf(schema)
    const checks = def.checks ?? []
    switch (def.type) {
      case 'string': {
        let cond = `typeof ${src} !== 'string'`
        for (const c of checks) {
          const cd = c._zod.def
          if (cd.check === 'min_length' && cd.minimum !== undefined)
            cond += ` || ${src}.length < ${cd.minimum}`
          else if (cd.check === 'max_length' && cd.maximum !== undefined)
            cond += ` || ${src}.length > ${cd.maximum}`
          else return undefined
        }
        return `if (${cond}) return NS; ${dst} = ${src};`
      }
      case 'number':
        return checks.length
          ? undefined
          : `if (!Number.isFinite(${src})) return NS; ${dst} = ${src};`
      case 'boolean':
        return checks.length
          ? undefined
          : `if (typeof ${src} !== 'boolean') return NS; ${dst} = ${src};`
      case 'unknown':
        return checks.length ? undefined : `${dst} = ${src};`
      case 'optional':
      case 'nullable': {
        const inner =
          def.innerType && !checks.length ? this.emit(def.innerType, src, dst) : undefined
        if (inner === undefined) return undefined
        const pass = def.type === 'optional' ? 'undefined' : 'null'
        return `if (${src} === ${pass}) ${dst} = ${src}; else { ${inner} }`
      }
      case 'array': {
        const i = this.id()
        const inner =
          def.element && !checks.length ? this.emit(def.element, `v${i}`, `x${i}`) : undefined
        if (inner === undefined) return undefined
        return `if (!Array.isArray(${src})) return NS; ${dst} = new Array(${src}.length);
          for (let i${i} = 0; i${i} < ${src}.length; i${i}++) {
            const v${i} = ${src}[i${i}]; let x${i}; ${inner} ${dst}[i${i}] = x${i} }`
      }
      case 'union': {
        // each option is tried in turn, as zod does: a function of its own, so that its
        // `return NS` means "not this option"
        if (checks.length || !def.options?.length) return undefined
        const i = this.id()
        const fns: number[] = []
        for (const option of def.options) {
          const fn = compileFastParse(option)
          if (!fn) return undefined
          fns.push(this.helpers.push(fn) - 1)
        }
        const tries = fns.map((f) => `${dst} = h[${f}](${src}); if (${dst} !== NS) break u${i};`)
        return `u${i}: { ${tries.join(' ')} return NS }`
      }
      case 'record': {
        const key = def.keyType && defOf(def.keyType)
        const i = this.id()
        const inner = def.valueType ? this.emit(def.valueType, `v${i}`, `x${i}`) : undefined
        if (checks.length || inner === undefined || key?.type !== 'string' || key.checks?.length)
          return undefined
        // zod drops a __proto__ key, rather than set the copy's prototype
        return `if (!isPlainObject(${src}) || Object.getOwnPropertySymbols(${src}).length > 0) return NS;
          ${dst} = {};
          for (const k${i} of Object.keys(${src})) {
            if (k${i} === '__proto__') continue;
            const v${i} = ${src}[k${i}]; let x${i}; ${inner} ${dst}[k${i}] = x${i} }`
      }
      case 'object':
        return this.emitObject(def, src, dst)
      default:
        return undefined
    }
  }

  private emitObject(def: Def, src: string, dst: string): string | undefined {
    if (def.checks?.length || def.catchall !== undefined || !def.shape) return undefined
    const out = [`if (!isObject(${src})) return NS; ${dst} = {};`]
    for (const [key, schema] of Object.entries(def.shape)) {
      if (key === '__proto__') return undefined
      const opt = schema._zod
      // only the optional-in-and-out kind (optional()) may be absent, and then is left out
      if (opt.optin !== undefined && (opt.optin !== 'optional' || opt.optout !== 'optional'))
        return undefined
      const i = this.id()
      const inner = this.emit(schema, `v${i}`, `x${i}`)
      if (inner === undefined) return undefined
      const k = JSON.stringify(key)
      const absent = opt.optin === 'optional' ? '' : 'else return NS;'
      out.push(
        `if (${k} in ${src}) { const v${i} = ${src}[${k}]; let x${i}; ${inner} ${dst}[${k}] = x${i} } ${absent}`,
      )
    }
    return out.join('\n')
  }
}

const COMPILED = new WeakMap<z.ZodType, FastParse<unknown> | undefined>()

/** `schema.safeParse(input)`, with the compiled first pass in front (compiled once per schema). */
export function safeParseFast<S extends z.ZodType>(
  schema: S,
  input: unknown,
): z.ZodSafeParseResult<z.output<S>> {
  let fast = COMPILED.get(schema)
  if (fast === undefined && !COMPILED.has(schema)) {
    fast = compileFastParse(schema)
    COMPILED.set(schema, fast)
  }
  const data = fast ? fast(input) : NOT_SURE
  if (data !== NOT_SURE) return { success: true, data: data as z.output<S> }
  return schema.safeParse(input)
}
