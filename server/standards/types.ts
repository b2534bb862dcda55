/** ODCS v3.1 `logicalType`s. */
export const LOGICAL_TYPES = [
  'string',
  'date',
  'timestamp',
  'time',
  'number',
  'integer',
  'object',
  'array',
  'boolean',
] as const
export type LogicalType = (typeof LOGICAL_TYPES)[number]

// First match wins: a warehouse type name (lower case, parameters stripped) → ODCS logical type.
const RULES: [RegExp, LogicalType][] = [
  [
    /^(tiny|small|medium|big|huge|u)?int(eger)?\d*$|^(u?int\d+|long|short|byte|serial|bigserial)$/,
    'integer',
  ],
  [/^(number|numeric|decimal|dec|float\d*|double( precision)?|real|money|bignumeric)$/, 'number'],
  [/^(bool|boolean|bit)$/, 'boolean'],
  [/^date$/, 'date'],
  [
    /^(timestamp|datetime|datetime2|smalldatetime|timestamptz|timestamp_[a-z]+|timestamp with(out)? time zone)$/,
    'timestamp',
  ],
  [/^(time|timetz|time with(out)? time zone)$/, 'time'],
  [/^(array|list)$|\[\]$/, 'array'],
  [/^(struct|map|record|object|json|jsonb|variant|super)$/, 'object'],
  [
    /^(string|text|varchar|char|character|character varying|nvarchar|nchar|uuid|clob|blob|binary|varbinary|bytea|bytes|enum)$/,
    'string',
  ],
]

/** The ODCS logical type of a physical column type (`DECIMAL(12,2)` → number); undefined when unknown. */
export function logicalTypeOf(physical: string | undefined): LogicalType | undefined {
  if (!physical) return undefined
  const t = physical.trim().toLowerCase()
  if (/^(array|list)\s*</.test(t) || t.endsWith('[]')) return 'array'
  if (/^(struct|map|row)\s*[<(]/.test(t)) return 'object'
  const base = t
    .replace(/\s*\(.*$/, '')
    .replace(/\s*<.*$/, '')
    .trim()
  return RULES.find(([re]) => re.test(base))?.[1]
}
