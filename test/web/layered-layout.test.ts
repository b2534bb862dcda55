import { describe, expect, it } from 'vitest'
import { layeredLayout } from '../../web/layered-layout.ts'

const node = (id: string) => ({ id, w: 100, h: 20 })
const chain = (n: number) => ({
  nodes: Array.from({ length: n }, (_, i) => node(`n${i}`)),
  edges: Array.from({ length: n - 1 }, (_, i) => ({ source: `n${i}`, target: `n${i + 1}` })),
})

describe('layeredLayout', () => {
  it('puts every node right of its upstream nodes', () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'].map(node)
    const edges = [
      { source: 'a', target: 'b' },
      { source: 'b', target: 'c' },
      { source: 'a', target: 'c' },
      { source: 'd', target: 'c' },
      { source: 'c', target: 'e' },
    ]
    const pos = layeredLayout(nodes, edges)
    for (const e of edges) expect(pos.get(e.source)!.x).toBeLessThan(pos.get(e.target)!.x)
    // longest path: c is two ranks after a (through b), not one
    expect(pos.get('c')!.x - pos.get('a')!.x).toBe(2 * (pos.get('b')!.x - pos.get('a')!.x))
  })

  it('places every node once, with no two on one spot, through a cycle too', () => {
    const { nodes, edges } = chain(6)
    edges.push({ source: 'n5', target: 'n2' })
    const pos = layeredLayout(nodes, edges)
    expect(pos.size).toBe(6)
    expect(new Set([...pos.values()].map((p) => `${p.x},${p.y}`)).size).toBe(6)
  })

  it('wraps a tall rank into columns, so a big flat domain is about as wide as tall', () => {
    const nodes = Array.from({ length: 5000 }, (_, i) => node(`s${i}`))
    const pos = layeredLayout(nodes, [])
    const xs = [...pos.values()].map((p) => p.x)
    const ys = [...pos.values()].map((p) => p.y)
    const w = Math.max(...xs) - Math.min(...xs)
    const h = Math.max(...ys) - Math.min(...ys)
    expect(w / h).toBeGreaterThan(0.5)
    expect(w / h).toBeLessThan(2)
    expect(new Set([...pos.values()].map((p) => `${p.x},${p.y}`)).size).toBe(5000)
  })

  it('is deterministic', () => {
    const { nodes, edges } = chain(50)
    expect([...layeredLayout(nodes, edges)]).toEqual([...layeredLayout(nodes, edges)])
  })

  it('ignores edges to nodes it was not given', () => {
    const pos = layeredLayout([node('a')], [{ source: 'x', target: 'a' }])
    expect(pos.get('a')).toEqual({ x: 0, y: 0 })
  })
})
