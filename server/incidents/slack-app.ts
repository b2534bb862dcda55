import type { SlackApiMessage } from '../alerts/block-kit.ts'
import { retryAfterMs, type FetchLike } from '../alerts/deliver.ts'
import { redact } from '../log.ts'

export const SLACK_API_URL = 'https://slack.com/api'

export type ApiOutcome =
  | { kind: 'delivered'; ts: string; channel: string }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'rejected'; reason: string }

// Slack's own "try again" errors: https://docs.slack.dev/reference/methods/chat.postMessage#errors
const TRANSIENT = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
])

/** Removes every given secret value from a text (then the log redactions). */
export const scrub = (text: string, secrets: readonly string[]): string =>
  redact(secrets.filter((s) => s.length >= 4).reduce((t, s) => t.split(s).join('***'), text))

/** Why a request failed before any answer (a timeout, a refused connection), never with a secret in it. */
export function failureReason(e: unknown, timeoutMs: number, secrets: readonly string[]): string {
  const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : undefined
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined
  return scrub(
    timedOut ? `timed out after ${timeoutMs} ms` : `network error: ${code ?? String(e)}`,
    secrets,
  )
}

/**
 * Calls chat.postMessage or chat.update with a bot token and classifies the answer: Slack answers
 * 200 with `ok: false` and an error code for a refusal, 429 with Retry-After when rate limited.
 * Never throws; no reason contains the token.
 */
export async function callSlack(
  fetchFn: FetchLike,
  opts: { apiUrl: string; token: string; timeoutMs: number; now: Date },
  method: 'chat.postMessage' | 'chat.update',
  body: SlackApiMessage,
): Promise<ApiOutcome> {
  const secret = [opts.token]
  let res: Response
  try {
    res = await fetchFn(`${opts.apiUrl.replace(/\/+$/, '')}/${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        authorization: `Bearer ${opts.token}`,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs),
    })
  } catch (e) {
    return { kind: 'retry', reason: failureReason(e, opts.timeoutMs, secret) }
  }
  const text = await res.text().catch(() => '')
  if (res.status === 429) {
    const after = retryAfterMs(res.headers.get('retry-after'), opts.now)
    return {
      kind: 'retry',
      reason: `${method}: rate limited (HTTP 429)`,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    }
  }
  if (res.status >= 500 || res.status === 408)
    return {
      kind: 'retry',
      reason: scrub(`${method}: HTTP ${res.status} ${text.slice(0, 100)}`, secret),
    }
  let parsed: { ok?: unknown; error?: unknown; ts?: unknown; channel?: unknown } = {}
  try {
    parsed = JSON.parse(text) as typeof parsed
  } catch {
    return { kind: 'retry', reason: `${method}: HTTP ${res.status}, not JSON` }
  }
  if (res.ok && parsed.ok === true && typeof parsed.ts === 'string')
    return {
      kind: 'delivered',
      ts: parsed.ts,
      channel: typeof parsed.channel === 'string' ? parsed.channel : body.channel,
    }
  const error = scrub(
    typeof parsed.error === 'string' ? parsed.error : `HTTP ${res.status}`,
    secret,
  )
  return TRANSIENT.has(error)
    ? { kind: 'retry', reason: `${method}: ${error}` }
    : { kind: 'rejected', reason: `${method}: ${error}` }
}
