import odcs300 from './schemas/odcs-json-schema-v3.0.0.json' with { type: 'json' }
import odcs301 from './schemas/odcs-json-schema-v3.0.1.json' with { type: 'json' }
import odcs302 from './schemas/odcs-json-schema-v3.0.2.json' with { type: 'json' }
import odcs310 from './schemas/odcs-json-schema-v3.1.0.json' with { type: 'json' }
import type { OdcsVersion } from './schema.ts'

/** The official ODCS JSON schemas by apiVersion (schemas/README.md says where they come from). */
export const ODCS_SCHEMAS: Record<OdcsVersion, object> = {
  'v3.0.0': odcs300,
  'v3.0.1': odcs301,
  'v3.0.2': odcs302,
  'v3.1.0': odcs310,
}

/** Ajv options of every validator, compiled ahead of time or at run time. */
export const AJV_OPTIONS = { allErrors: true, strict: false } as const
