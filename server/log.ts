import { SECRET_KEY } from '../common/secrets.ts'
import type { Logger } from './deps.ts'

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
type Level = (typeof LEVELS)[number]

// Secrets never reach a log line: bearer tokens, Slack webhook paths, passwords in URLs.
const SECRET_PATTERNS: [RegExp, string][] = [
  [/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g, 'hooks.slack.com/services/***'],
  [/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1***'],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1***@'],
  [/(mw_)[A-Za-z0-9_-]{8,}/g, '$1***'],
]

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((s, [re, rep]) => s.replace(re, rep), text)
}

/**
 * A stored JSON document (a raw event, its facets) as the API may show it: the value of a key that
 * names a secret (`password`, `token`, `api_key`, …), or of a `{key|name, value}` pair whose key
 * does, becomes `***`, and credentials inside any string (URL user:password@, bearer tokens, Slack
 * webhook paths, meshwatch tokens) are redacted as in a log line.
 */
export function redactJson(value: unknown): unknown {
  if (typeof value === 'string') return redact(value)
  if (Array.isArray(value)) return value.map(redactJson)
  if (!value || typeof value !== 'object') return value
  const obj = value as Record<string, unknown>
  const pairKey =
    typeof obj.key === 'string' ? obj.key : typeof obj.name === 'string' ? obj.name : ''
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(obj)) {
    const secret = SECRET_KEY.test(k) || (k === 'value' && SECRET_KEY.test(pairKey))
    out[k] = secret && v !== null && typeof v !== 'object' ? '***' : redactJson(v)
  }
  return out
}

/** One JSON line per event on stderr, secrets redacted. */
export function createLogger(
  level: Level = 'info',
  write = (s: string) => process.stderr.write(s),
): Logger {
  const min = LEVELS.indexOf(level)
  const emit = (l: Level, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(l) < min) return
    const line = JSON.stringify({ time: new Date().toISOString(), level: l, msg, ...fields })
    write(`${redact(line)}\n`)
  }
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  }
}
