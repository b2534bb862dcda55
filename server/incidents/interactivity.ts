import { createHmac, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'

/** Slack's replay window: a request older (or newer) than this is refused. */
export const SLACK_REPLAY_WINDOW_S = 300

export type SignatureCheck = { ok: true } | { ok: false; reason: string }

/**
 * Verifies Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with
 * the app's signing secret, and a timestamp within 5 minutes of `now`
 * (https://docs.slack.dev/authentication/verifying-requests-from-slack).
 */
export function verifySlackSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  now: Date,
): SignatureCheck {
  const { timestamp, signature } = headers
  if (!timestamp || !signature)
    return { ok: false, reason: 'missing X-Slack-Signature or X-Slack-Request-Timestamp' }
  if (!/^\d+$/.test(timestamp))
    return { ok: false, reason: 'X-Slack-Request-Timestamp is not a Unix time' }
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SLACK_REPLAY_WINDOW_S)
    return { ok: false, reason: 'the request is older than 5 minutes (or from the future)' }
  const expected = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`
  const a = Buffer.from(expected)
  const b = Buffer.from(signature)
  if (a.length !== b.length || !timingSafeEqual(a, b))
    return { ok: false, reason: 'the signature does not match' }
  return { ok: true }
}

/** Signatures seen inside the replay window: the same signed request twice is a replay. */
export function createReplayGuard() {
  const seen = new Map<string, number>()
  return (signature: string, now: Date): boolean => {
    const t = now.getTime()
    for (const [s, at] of seen) if (t - at > SLACK_REPLAY_WINDOW_S * 2000) seen.delete(s)
    if (seen.has(signature)) return false
    seen.set(signature, t)
    return true
  }
}

/** The fields of a block_actions payload meshwatch reads: https://docs.slack.dev/reference/interaction-payloads/block_actions-payload */
export const BlockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string(), username: z.string().optional(), name: z.string().optional() }),
  container: z.object({ message_ts: z.string(), channel_id: z.string() }).optional(),
  channel: z.object({ id: z.string() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
})
