import type { ColumnLineage } from './api.ts'

// Pure: the column lineage answer, per column, as the product page shows it.

type Column = ColumnLineage['columns'][number]
type Hop = Column['upstream'][number]
export type HopView = {
  datasetId: number
  label: string
  domain: string | null
  transformation: string | null
  depth: number
}
export type ColumnUseRow = {
  name: string
  /** what it is computed from, one hop up */
  inputs: HopView[]
  /** where the walk up ends: the raw sources (or the farthest tables known) */
  raw: HopView[]
  /** the columns read by its joins, filters and groupings, one hop up */
  shapedBy: number
  /** its downstream uses, by the domain that owns them (unowned last) */
  uses: { domain: string; hops: HopView[]; exposures: string[] }[]
  sources: string[]
  disagreement: Column['disagreement']
}

const NO_DOMAIN = '(no domain)'

function view(h: Hop): HopView {
  const d = h.dataset
  const name = 'name' in d ? d.name : `dataset ${d.id}`
  return {
    datasetId: d.id,
    label: `${name}.${h.column}`,
    domain: 'domain' in d ? d.domain : null,
    transformation: h.transformation,
    depth: h.depth,
  }
}

export function columnUseRows(body: ColumnLineage): ColumnUseRow[] {
  return body.columns.map((c) => {
    const direct = c.upstream.filter((h) => h.direct)
    const byDomain = new Map<string, { hops: HopView[]; exposures: string[] }>()
    const entry = (domain: string | null) => {
      const k = domain ?? NO_DOMAIN
      let e = byDomain.get(k)
      if (!e) byDomain.set(k, (e = { hops: [], exposures: [] }))
      return e
    }
    for (const h of c.downstream) if (h.direct) entry(view(h).domain).hops.push(view(h))
    for (const x of c.exposures)
      entry(x.domain).exposures.push(`${x.name} (${x.owner ?? x.domain})`)
    const uses = [...byDomain].map(([domain, e]) => ({ domain, ...e }))
    uses.sort(
      (a, b) =>
        Number(a.domain === NO_DOMAIN) - Number(b.domain === NO_DOMAIN) ||
        a.domain.localeCompare(b.domain),
    )
    return {
      name: c.name,
      inputs: direct.filter((h) => h.depth === 1).map(view),
      raw: direct.filter((h) => h.end).map(view),
      shapedBy: c.upstream.filter((h) => !h.direct && h.depth === 1).length,
      uses,
      sources: [...new Set([...c.upstream, ...c.downstream].flatMap((h) => h.sources))].sort(),
      disagreement: c.disagreement,
    }
  })
}
