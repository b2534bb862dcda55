import type { Db } from '../db/client.ts'
import { SQLITE_MODULES, type Store, type StoreModules } from '../db/store.ts'

// A store program: code that reads and writes the store by yielding its calls (`yield* call(…)`)
// and computes between them, so one implementation runs on either engine, awaited on a Store
// (runOn) or, for code still on the SQLite Db (the gate's scratch store, the ratchet of #16),
// synchronously on a Db (runOnDb). It does nothing else: on PostgreSQL a transaction that must be
// retried runs it again from the start.

type Mod = keyof StoreModules
type Fn = (...args: never[]) => Promise<unknown>
type FnOf<M extends Mod> = {
  [K in keyof StoreModules[M]]: StoreModules[M][K] extends Fn ? K : never
}[keyof StoreModules[M]] &
  string
type ArgsOf<M extends Mod, F extends FnOf<M>> = StoreModules[M][F] extends (
  ...args: infer A
) => Promise<unknown>
  ? A
  : never
type AnswerOf<M extends Mod, F extends FnOf<M>> = StoreModules[M][F] extends (
  ...args: never[]
) => Promise<infer R>
  ? R
  : never

/** One store call a program asks for: `store[module][fn](...args)`. */
export interface StoreCall {
  module: Mod
  fn: string
  args: readonly unknown[]
}

/** A computation over the store answering T: run it with runOn (a Store) or runOnDb (a SQLite Db). */
export type StoreProgram<T> = Generator<StoreCall, T, unknown>

/** `store[module][fn](...args)` inside a program: `const rows = yield* call('catalog', 'listProducts', {})`. */
export function* call<M extends Mod, F extends FnOf<M>>(
  module: M,
  fn: F,
  ...args: ArgsOf<M, F>
): StoreProgram<AnswerOf<M, F>> {
  return (yield { module, fn, args }) as AnswerOf<M, F>
}

/** Calls `modules[module][fn]` with `args`: a store's module (bound) or a SQLite query module (the Db first). */
function apply(modules: object, { module, fn }: StoreCall, args: readonly unknown[]): unknown {
  const mod: unknown = Reflect.get(modules, module)
  const f: unknown = typeof mod === 'object' && mod !== null ? Reflect.get(mod, fn) : undefined
  if (typeof f !== 'function') throw new TypeError(`the store has no ${module}.${fn}`)
  return Reflect.apply(f, mod, args)
}

/** Runs a program on a Store, each call awaited; a call's error is thrown into the program. */
export async function runOn<T>(store: Store, program: StoreProgram<T>): Promise<T> {
  let step = program.next()
  while (!step.done) {
    let answer: unknown
    try {
      answer = await apply(store, step.value, step.value.args)
    } catch (e) {
      step = program.throw(e)
      continue
    }
    step = program.next(answer)
  }
  return step.value
}

/** Runs a program on a SQLite Db, synchronously (the SQLite query functions themselves). */
export function runOnDb<T>(db: Db, program: StoreProgram<T>): T {
  let step = program.next()
  while (!step.done) {
    let answer: unknown
    try {
      answer = apply(SQLITE_MODULES, step.value, [db, ...step.value.args])
    } catch (e) {
      step = program.throw(e)
      continue
    }
    step = program.next(answer)
  }
  return step.value
}
