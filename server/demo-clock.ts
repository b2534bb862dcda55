/**
 * The demo's clock: the recording time (plus a few minutes, as if just collected) advancing with
 * the wall clock from the moment the demo was loaded. Recorded artifacts would otherwise all look
 * days stale to the freshness SLA on whatever day someone starts the demo.
 */
export function demoClock(anchor: DemoClockAnchor, wallNow: () => number = Date.now): () => Date {
  const offset = Date.parse(anchor.recordedAt) + DEMO_SETTLE_MS - Date.parse(anchor.loadedAt)
  return () => new Date(wallNow() + offset)
}

export interface DemoClockAnchor {
  recordedAt: string
  loadedAt: string
}

const DEMO_SETTLE_MS = 5 * 60_000
