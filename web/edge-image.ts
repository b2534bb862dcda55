// A big opened domain's inner edges drawn once onto an image that is its box's background: Cytoscape
// styles and draws each element (~150 style properties apiece), so 13k edges cost it seconds; a canvas
// strokes them in milliseconds. A node's own edges become Cytoscape edges when it is selected.
import type { Box } from './graph.ts'

/** The image's longer side, px: the whole domain on a screen, without an oversized PNG to encode. */
const MAX_SIDE = 2048

/** An object URL of a PNG of `edges` (straight lines between `pos`) over `box`, in `colour`. */
export async function edgeImage(
  box: Box,
  pos: ReadonlyMap<string, { x: number; y: number }>,
  edges: readonly { source: string; target: string }[],
  colour: string,
): Promise<string | undefined> {
  const scale = Math.min(1, MAX_SIDE / Math.max(box.w, box.h, 1))
  const canvas = document.createElement('canvas')
  canvas.width = Math.max(1, Math.ceil(box.w * scale))
  canvas.height = Math.max(1, Math.ceil(box.h * scale))
  const ctx = canvas.getContext('2d')
  if (!ctx) return undefined
  ctx.scale(scale, scale)
  ctx.translate(-(box.x - box.w / 2), -(box.y - box.h / 2))
  // As the dense edges of cy-style.ts: thin, translucent, straight.
  ctx.strokeStyle = colour
  ctx.globalAlpha = 0.35
  ctx.lineWidth = Math.max(1.5, 1 / scale)
  ctx.beginPath()
  for (const e of edges) {
    const s = pos.get(e.source)
    const t = pos.get(e.target)
    if (!s || !t) continue
    ctx.moveTo(s.x, s.y)
    ctx.lineTo(t.x, t.y)
  }
  ctx.stroke()
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'))
  if (!blob) return undefined
  const url = URL.createObjectURL(blob)
  // Decoded before it is handed to Cytoscape, so the box is drawn with its edges at once.
  const img = new Image()
  img.src = url
  await img.decode().catch(() => undefined)
  return url
}
