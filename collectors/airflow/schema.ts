import { z } from 'zod'
import { V1 } from './schema-v1.ts'
import { V2 } from './schema-v2.ts'

/**
 * The Airflow REST API at the edge: one set of schemas per API version (schema-v1.ts,
 * schema-v2.ts), each transforming its responses into the same version-free shapes (`Af*`,
 * schema-fields.ts) that map.ts reads. Only the fields we read are modelled.
 */

export type {
  AfAsset,
  AfAssetEvent,
  AfDag,
  AfDagRun,
  AfImportError,
  AfTask,
  AfTaskInstance,
  Page,
} from './schema-fields.ts'

export const VersionSchema = z.object({ version: z.string() })

/** Per API version: paths and the schema of each response. */
export const API = { v1: V1, v2: V2 } as const

export type ApiVersion = keyof typeof API
