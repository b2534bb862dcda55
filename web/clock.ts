// One clock for every "3 min ago" on the page: the server's scoring clock (the demo clock once the
// demo is loaded), read once and then advanced with the browser's own clock.
import { api, ok } from './api.ts'

let offsetMs = 0
let demo = false

/** Reads the server's clock; without an answer the page keeps the browser's. */
export async function syncClock(): Promise<void> {
  const sent = Date.now()
  const body = await api.api.clock
    .$get()
    .then(ok)
    .catch(() => undefined)
  if (!body) return
  const t = Date.parse(body.now)
  if (Number.isFinite(t)) offsetMs = t - (sent + Date.now()) / 2
  demo = body.demo
}

/** Now, on the server's scoring clock. */
export const clockNow = (): Date => new Date(Date.now() + offsetMs)

export const isDemoClock = (): boolean => demo
