import type { Batch } from '../batch.ts'
import { addColumnLineage } from './column-lineage/index.ts'
import type { DbtArtifactsInput } from './envelopes.ts'
import { mapDbtArtifacts, type ParseDbtOptions } from './map.ts'

export type { DbtArtifactsInput } from './envelopes.ts'
export type { ParseDbtOptions } from './map.ts'

/**
 * Maps parsed dbt artifacts (JSON values) to one normalized batch of kind 'dbt'.
 * Throws CollectorError for a bad envelope (wrong artifact, unsupported version, artifacts of
 * different projects); skips a bad item inside a good one with a warning naming it. Warnings
 * name files by base name, so the same artifacts give the same batch wherever they were read.
 */
export function parseDbtArtifacts(input: DbtArtifactsInput, opts: ParseDbtOptions): Batch {
  return mapDbtArtifacts(input, opts, addColumnLineage)
}
