export { CollectorError } from '../batch.ts'
export { ARTIFACTS } from './envelope.ts'
export {
  datasetName,
  datasetNamespace,
  fixSnowflakeAccount,
  formatDatasetName,
  nodeJobName,
  SUPPORTED_ADAPTERS,
} from './naming.ts'
export type { ProfileOutput } from './naming.ts'
export { parseDbtArtifacts } from './parse.ts'
export type { DbtArtifactsInput, ParseDbtOptions } from './parse.ts'
export { readProfileOutput, renderEnvVars, selectProfileOutput } from './profiles.ts'
export type { Env } from './profiles.ts'
export { readDbtTarget } from './read.ts'
export type { DbtOptions } from './read.ts'
