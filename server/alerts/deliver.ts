import { redact } from '../log.ts'
import type { SlackMessage } from './block-kit.ts'

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

export type Outcome =
  | { kind: 'delivered'; status: number }
  /** Try again later: rate limited (with Slack's Retry-After), a 5xx, a timeout or a network error. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** Slack refused the message for good (a 4xx other than 429): invalid_payload, no_service, channel_not_found… */
  | { kind: 'rejected'; reason: string }

/**
 * Posts one message to an incoming webhook and classifies the answer. Never throws; the reason
 * never contains the webhook URL (its secret is the path), only `label` (the env var's name).
 */
export async function postToWebhook(
  fetchFn: FetchLike,
  webhook: { url: string; label: string },
  message: SlackMessage,
  opts: { timeoutMs: number; now: Date },
): Promise<Outcome> {
  const scrub = (s: string) => scrubUrl(s, webhook)
  let res: Response
  try {
    res = await fetchFn(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(opts.timeoutMs),
    })
  } catch (e) {
    return { kind: 'retry', reason: scrub(networkReason(e, opts.timeoutMs)) }
  }
  const body = scrub((await res.text().catch(() => '')).slice(0, 200).trim())
  if (res.status >= 200 && res.status < 300) return { kind: 'delivered', status: res.status }
  const what = `HTTP ${res.status}${body ? `: ${body}` : ''}`
  if (res.status === 429) {
    const after = retryAfterMs(res.headers.get('retry-after'), opts.now)
    return {
      kind: 'retry',
      reason: `rate limited (${what})`,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    }
  }
  if (res.status >= 400 && res.status < 500 && res.status !== 408)
    return { kind: 'rejected', reason: what }
  return { kind: 'retry', reason: what }
}

function networkReason(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
    return `timed out after ${timeoutMs} ms`
  // undici puts the socket error (ECONNREFUSED, ENOTFOUND…) in cause; its message names host:port, not the path.
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : undefined
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined
  return `network error: ${code ?? cause?.message ?? (e instanceof Error ? e.message : String(e))}`
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3), as a delay from `now`. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null) return undefined
  const v = header.trim()
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime())
}

/** Exponential backoff with jitter: half the capped exponential delay, plus a random part of the other half. */
export function backoffMs(
  attempt: number,
  random: () => number,
  opts: { baseMs: number; maxMs: number },
): number {
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(cap / 2 + random() * (cap / 2))
}

/** Replaces the webhook URL (and its secret path) with `$ENV_NAME`, then applies the log redactions. */
export function scrubUrl(text: string, webhook: { url: string; label: string }): string {
  let out = text.split(webhook.url).join(`$${webhook.label}`)
  try {
    const path = new URL(webhook.url).pathname
    if (path.length > 1) out = out.split(path).join('/***')
  } catch {
    // Not a URL: nothing more to hide than the whole string, done above.
  }
  return redact(out)
}
