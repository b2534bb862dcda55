import type { Element } from './graph.ts'

const FONT = 'system-ui, sans-serif'
let ctx: CanvasRenderingContext2D | null | undefined

function textWidth(text: string, font: string): number {
  ctx ??= document.createElement('canvas').getContext('2d')
  if (!ctx) return text.length * 7
  ctx.font = font
  return ctx.measureText(text).width
}

/**
 * Gives datasets and collapsed domains a width and height from their label, measured here once.
 * Cytoscape's `width: 'label'` reads the label size only after a first render, and caches a node
 * with size 0 as invisible until its style changes: collapsed domains vanished after an expand.
 */
export function sizeNodes(elements: Element[]): Element[] {
  for (const el of elements) {
    if (el.group !== 'nodes') continue
    const d = el.data
    if (d.kind === 'dataset') {
      const font = d.product ? `bold 13px ${FONT}` : `11px ${FONT}`
      d.w = Math.ceil(textWidth(d.label, font))
      d.h = d.product ? 30 : 22
    } else if (d.kind === 'domain' && !d.expanded) {
      const lines = d.label.split('\n')
      d.w = Math.ceil(
        Math.min(240, Math.max(...lines.map((l) => textWidth(l, `bold 13px ${FONT}`)))),
      )
      d.h = Math.ceil(lines.length * 13 * 1.25)
    }
  }
  return elements
}
