import { setFlagsFromString } from 'node:v8'
import type * as Sdk from '@polyglot-sql/sdk'

/**
 * @polyglot-sql/sdk, loaded after its 22 MB WebAssembly module is set to be compiled by Liftoff
 * alone, never tiered up to TurboFan. A collect parses each model once, and the tier-up cost more
 * than it saved. Measured on the 10k-model SQL of `npm run bench -- columns` (parse alone, one
 * thread): RSS 366 → 166 MB; the first 2000 parses 1.5 → 0.6 ms each, later ones 0.45 → 0.62 ms;
 * about the same CPU over 10k models. A V8 flag is the process's: it holds for any WebAssembly
 * compiled after it, in every thread (the project has no other). The SDK is imported dynamically
 * (it awaits its module's instantiation at the top level anyway): a static import is evaluated
 * before this module's body, in a bundle too.
 */
setFlagsFromString('--liftoff-only')
const sdk: typeof Sdk = await import('@polyglot-sql/sdk')

export const { analyzeQuery, generate, openLineageColumnLineage, parse } = sdk
export const Dialect = sdk.Dialect
export type Dialect = Sdk.Dialect
