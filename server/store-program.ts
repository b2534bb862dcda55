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

type Callable = (...args: unknown[]) => unknown

/** Runs a program on a Store, each call awaited; a call's error is thrown into the program. */
export async function runOn<T>(store: Store, program: StoreProgram<T>): Promise<T> {
  const modules = store as unknown as Record<Mod, Record<string, Callable>>
  let step = program.next()
  while (!step.done) {
    const { module, fn, args } = step.value
    let answer: unknown
    try {
      answer = await modules[module][fn]!(...args)
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
  const modules = SQLITE_MODULES as unknown as Record<Mod, Record<string, Callable>>
  let step = program.next()
  while (!step.done) {
    const { module, fn, args } = step.value
    let answer: unknown
    try {
      answer = modules[module][fn]!(db, ...args)
    } catch (e) {
      step = program.throw(e)
      continue
    }
    step = program.next(answer)
  }
  return step.value
}
