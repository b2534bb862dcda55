import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js'
import addFormats from 'ajv-formats'
import type { OdcsVersion } from './schema.ts'
import { AJV_OPTIONS } from './schema-files.ts'
import odps100 from './schemas/odps-json-schema-v1.0.0.json' with { type: 'json' }
import { validate as odcs300 } from './schemas/compiled/odcs-v3.0.0.js'
import { validate as odcs301 } from './schemas/compiled/odcs-v3.0.1.js'
import { validate as odcs302 } from './schemas/compiled/odcs-v3.0.2.js'
import { validate as odcs310 } from './schemas/compiled/odcs-v3.1.0.js'

// ODCS: compiled ahead of time (compile-schemas.ts), as every contract read needs one.
const ODCS: Record<OdcsVersion, ValidateFunction> = {
  'v3.0.0': odcs300,
  'v3.0.1': odcs301,
  'v3.0.2': odcs302,
  'v3.1.0': odcs310,
}

let odps: ValidateFunction | undefined

// ODPS: only `export` and the /odps route validate with it, so it is compiled on first use.
function validatorOf(which: OdcsVersion | 'odps-v1.0.0'): ValidateFunction {
  if (which !== 'odps-v1.0.0') return ODCS[which]
  if (!odps) {
    const ajv = new Ajv2019(AJV_OPTIONS)
    addFormats.default(ajv)
    odps = ajv.compile(odps100)
  }
  return odps
}

export interface SchemaIssue {
  /** JSON pointer of the offending value ('' for the document). */
  pointer: string
  message: string
}

/** The official JSON schema's verdict on a document: no issues when it is valid. */
export function schemaIssues(doc: unknown, which: OdcsVersion | 'odps-v1.0.0'): SchemaIssue[] {
  const v = validatorOf(which)
  if (v(doc)) return []
  return simplify(v.errors ?? [])
}

// An if/then or oneOf failure repeats every branch's errors; keep the most specific (deepest) ones.
function simplify(errors: ErrorObject[]): SchemaIssue[] {
  const meaningful = errors.filter((e) => !['if', 'oneOf', 'anyOf', 'allOf'].includes(e.keyword))
  // "unevaluated properties" on an object only echoes a deeper error in one of its properties.
  const specific = meaningful.filter(
    (e) =>
      e.keyword !== 'unevaluatedProperties' ||
      !meaningful.some(
        (o) =>
          o !== e &&
          (o.instancePath === e.instancePath || o.instancePath.startsWith(`${e.instancePath}/`)),
      ),
  )
  const list = specific.length > 0 ? specific : errors
  const seen = new Set<string>()
  const out: SchemaIssue[] = []
  for (const e of list) {
    const message = describe(e)
    const key = `${e.instancePath}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ pointer: pointerOf(e), message })
  }
  return out
}

function pointerOf(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>
  if (e.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string')
    return `${e.instancePath}/${p.additionalProperty}`
  if (e.keyword === 'required' && typeof p.missingProperty === 'string') return e.instancePath
  return e.instancePath
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'required':
      return `missing required field '${String(p.missingProperty)}'`
    case 'additionalProperties':
      return `unknown field '${String(p.additionalProperty)}'`
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
    default:
      return e.message ?? e.keyword
  }
}
