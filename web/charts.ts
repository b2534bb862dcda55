// Small SVG charts: a score trend (one day is a dot and its value, many days a line), per-dimension
// score histories with the reason at each point on hover, and run durations as bars.
import { s } from './dom.ts'
import type { Status } from './model.ts'

export interface TrendPoint {
  at: string
  score: number
  status: Status
  /** What the tooltip says at that point (the reason of the score then). */
  note?: string
}

const STATUS_WORD: Record<Status, string> = {
  ok: 'ok',
  warn: 'warn',
  breach: 'breach',
  unknown: 'unknown',
}

/** A trend line in a w×h box, 0–100 scaled, with a dot (and tooltip) per point. */
export function trendChart(
  points: readonly TrendPoint[],
  opts: { w?: number; h?: number; label: string; dots?: boolean },
): SVGElement {
  const w = opts.w ?? 160
  const h = opts.h ?? 36
  const pad = 4
  const sorted = [...points].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
  const t0 = Date.parse(sorted[0]?.at ?? '')
  const t1 = Date.parse(sorted.at(-1)?.at ?? '')
  const span = t1 - t0 || 1
  const xy = sorted.map((p) => ({
    ...p,
    x: sorted.length === 1 ? w / 2 : pad + ((Date.parse(p.at) - t0) / span) * (w - 2 * pad),
    y: pad + (1 - Math.max(0, Math.min(100, p.score)) / 100) * (h - 2 * pad),
  }))
  const path = xy.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')
  const last = sorted.at(-1)
  const summary =
    sorted.length === 0
      ? `${opts.label}: no scores yet`
      : `${opts.label}: ${sorted.length} point${sorted.length === 1 ? '' : 's'}, latest ${last?.score.toFixed(0)} (${last ? STATUS_WORD[last.status] : ''})`
  return s(
    'svg',
    {
      viewBox: `0 0 ${w} ${h}`,
      class: 'trend',
      role: 'img',
      'aria-label': summary,
      preserveAspectRatio: 'none',
    },
    s('title', {}, summary),
    ...[0, 50, 100].map((v) => {
      const y = pad + (1 - v / 100) * (h - 2 * pad)
      return s('line', { x1: 0, x2: w, y1: y, y2: y, class: 'grid-line' })
    }),
    // One point: a level line through it, so a single day still reads as a level, not a speck.
    sorted.length === 1 && xy[0]
      ? s('line', { x1: pad, x2: w - pad, y1: xy[0].y, y2: xy[0].y, class: 'score-line single' })
      : s('path', { d: path, class: 'score-line' }),
    ...(opts.dots === false && sorted.length > 1
      ? []
      : xy.map((p) =>
          s(
            'circle',
            { cx: p.x, cy: p.y, r: 3, class: `dot ${p.status}` },
            s(
              'title',
              {},
              `${p.at.slice(0, 16).replace('T', ' ')}: ${p.score.toFixed(0)} (${STATUS_WORD[p.status]})${p.note ? ` — ${p.note}` : ''}`,
            ),
          ),
        )),
  )
}

export interface Bar {
  label: string
  value: number | null
  status: Status
  current?: boolean
}

/** Bars of durations (or any value), the current one outlined; each bar says its value on hover. */
export function barChart(bars: readonly Bar[], opts: { w?: number; h?: number; label: string }) {
  const w = opts.w ?? 320
  const h = opts.h ?? 60
  const max = Math.max(1, ...bars.map((b) => b.value ?? 0))
  const bw = bars.length ? w / bars.length : w
  return s(
    'svg',
    {
      viewBox: `0 0 ${w} ${h}`,
      class: 'bars',
      role: 'img',
      'aria-label': opts.label,
      preserveAspectRatio: 'none',
    },
    s('title', {}, opts.label),
    ...bars.map((b, i) => {
      const bh = b.value === null ? 2 : Math.max(2, (b.value / max) * (h - 4))
      return s(
        'rect',
        {
          x: i * bw + bw * 0.15,
          y: h - bh,
          width: Math.max(1, bw * 0.7),
          height: bh,
          class: `bar-rect ${b.status}${b.current ? ' current' : ''}`,
        },
        s('title', {}, b.label),
      )
    }),
  )
}
