import { z } from 'zod'

/*
 * The fields of an ODCS data contract meshwatch reads, once the document passed the official JSON
 * schema of its apiVersion (validate.ts). Spec: https://bitol-io.github.io/open-data-contract-standard/
 * Everything else in the document is kept verbatim in the stored copy.
 */

export const ODCS_VERSIONS = ['v3.0.0', 'v3.0.1', 'v3.0.2', 'v3.1.0'] as const
export type OdcsVersion = (typeof ODCS_VERSIONS)[number]
export const SUPPORTED_RANGE = 'v3.0.0–v3.0.2 and v3.1.0'

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()])

export const QualitySchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  type: z.string().optional(),
  metric: z.string().optional(),
  /** ODCS v3.0.x spells it `rule`. */
  rule: z.string().optional(),
  description: z.string().optional(),
  severity: z.string().optional(),
  mustBe: z.unknown().optional(),
  mustNotBe: z.unknown().optional(),
  mustBeGreaterThan: z.number().optional(),
  mustBeGreaterOrEqualTo: z.number().optional(),
  mustBeGreaterThanOrEqualTo: z.number().optional(),
  mustBeLessThan: z.number().optional(),
  mustBeLessOrEqualTo: z.number().optional(),
  mustBeLessThanOrEqualTo: z.number().optional(),
  mustBeBetween: z.array(z.number()).optional(),
  mustNotBeBetween: z.array(z.number()).optional(),
  unit: z.string().optional(),
  query: z.string().optional(),
  engine: z.string().optional(),
  implementation: z.unknown().optional(),
})

export const PropertySchema = z.object({
  name: z.string(),
  physicalName: z.string().optional(),
  logicalType: z.string().optional(),
  physicalType: z.string().optional(),
  required: z.boolean().optional(),
  primaryKey: z.boolean().optional(),
  unique: z.boolean().optional(),
  description: z.string().optional(),
  quality: z.array(QualitySchema).optional(),
})

export const SchemaObjectSchema = z.object({
  name: z.string(),
  physicalName: z.string().optional(),
  physicalType: z.string().optional(),
  description: z.string().optional(),
  properties: z.array(PropertySchema).optional(),
  quality: z.array(QualitySchema).optional(),
})
export type SchemaObject = z.infer<typeof SchemaObjectSchema>

export const ServerSchema = z.object({
  server: z.string(),
  type: z.string(),
  environment: z.string().optional(),
  host: z.string().optional(),
  port: z.union([z.number(), z.string()]).optional(),
  database: z.string().optional(),
  schema: z.string().optional(),
  catalog: z.string().optional(),
  account: z.string().optional(),
  project: z.string().optional(),
  dataset: z.string().optional(),
  path: z.string().optional(),
  location: z.string().optional(),
  region: z.string().optional(),
  regionName: z.string().optional(),
  topic: z.string().optional(),
})
export type Server = z.infer<typeof ServerSchema>

export const SlaPropertySchema = z.object({
  property: z.string(),
  value: Scalar.optional(),
  valueExt: z.unknown().optional(),
  unit: z.string().optional(),
  element: z.string().optional(),
  driver: z.string().optional(),
  description: z.string().optional(),
})

const MemberSchema = z.object({ username: z.string(), role: z.string().optional() })

export const OdcsSchema = z.object({
  apiVersion: z.enum(ODCS_VERSIONS),
  kind: z.literal('DataContract'),
  id: z.string(),
  version: z.string(),
  status: z.string(),
  name: z.string().optional(),
  domain: z.string().optional(),
  dataProduct: z.string().optional(),
  tenant: z.string().optional(),
  description: z
    .object({ purpose: z.string().optional(), usage: z.string().optional() })
    .optional(),
  servers: z.array(ServerSchema).optional(),
  schema: z.array(SchemaObjectSchema).optional(),
  /** v3.1.0: an object with members; v3.0.x: the members array. */
  team: z
    .union([
      z.object({ name: z.string().optional(), members: z.array(MemberSchema).optional() }),
      z.array(MemberSchema),
    ])
    .optional(),
  slaDefaultElement: z.string().optional(),
  slaProperties: z.array(SlaPropertySchema).optional(),
})
export type Odcs = z.infer<typeof OdcsSchema>

/** A contract as read from one file: the typed fields, the whole document, and its identity. */
export interface ContractDoc {
  file: string
  contract: Odcs
  document: Record<string, unknown>
  /** sha256 of the document's canonical JSON: the same contract in YAML or JSON hashes equal. */
  contentHash: string
}
