import type { Batch, Product, Ref } from '../batch.ts'
import type { Graph } from './graph.ts'
import { exposureOwnership, slaOf } from './ownership.ts'

/**
 * Data products of this project: each public model ('dbt_public', unless it names a
 * `meta.data_product`), each exposure ('dbt_exposure', outputs = what it reads) and each
 * distinct `meta.data_product` ('dbt_meta', outputs = its models).
 */
export function addProducts(batch: Batch, graph: Graph, file: string): void {
  const byId = new Map<string, Product>()
  const add = (p: Product): void => {
    if (byId.has(p.id))
      batch.warnings.push(`${file}: two data products share the id '${p.id}'; kept the first`)
    else byId.set(p.id, p)
  }
  const grouped = new Map<string, Product>()
  for (const ds of graph.datasets.values()) {
    if (ds.foreign || ds.kind === 'source') continue
    const { node } = ds
    const sla = slaOf(ds.meta, ds.group)
    const dataProduct = ds.meta['data_product']
    if (typeof dataProduct === 'string' && dataProduct.trim() !== '') {
      const existing = grouped.get(dataProduct)
      if (existing) {
        existing.outputs.push(ds.ref)
        if (!existing.owner && ds.owner) existing.owner = ds.owner
        if (!existing.sla && sla) existing.sla = sla
        continue
      }
      grouped.set(dataProduct, {
        id: `${ds.domain}.${dataProduct}`,
        name: dataProduct,
        domain: ds.domain,
        origin: 'dbt_meta',
        outputs: [ds.ref],
        ...(ds.owner ? { owner: ds.owner } : {}),
        ...(sla ? { sla } : {}),
      })
      continue
    }
    const access = node.access ?? node.config?.access
    if (ds.kind !== 'model' || access !== 'public') continue
    const name = node.version != null ? `${node.name}.v${node.version}` : node.name
    add({
      id: `${ds.domain}.${name}`,
      name,
      domain: ds.domain,
      origin: 'dbt_public',
      outputs: [ds.ref],
      ...(ds.owner ? { owner: ds.owner } : {}),
      ...(node.description ? { description: node.description.slice(0, 65536) } : {}),
      ...(sla ? { sla } : {}),
    })
  }
  for (const product of grouped.values()) add(product)

  for (const exposure of graph.exposures) {
    const own = exposureOwnership(exposure, graph.project, graph.groups)
    const outputs: Ref[] = []
    for (const dep of exposure.depends_on?.nodes ?? []) {
      const ds = graph.datasets.get(dep)
      if (ds) outputs.push(ds.ref)
      else if (!graph.nodes.has(dep)) {
        batch.warnings.push(
          `${file}: exposure ${exposure.unique_id} depends on ${dep}, not in the manifest`,
        )
      }
    }
    const sla = slaOf(own.meta, undefined)
    add({
      id: `${own.domain}.exposure.${exposure.name}`,
      name: exposure.label ?? exposure.name,
      domain: own.domain,
      origin: 'dbt_exposure',
      outputs,
      ...(own.owner ? { owner: own.owner } : {}),
      ...(exposure.description ? { description: exposure.description.slice(0, 65536) } : {}),
      ...(sla ? { sla } : {}),
    })
  }
  batch.products.push(...byId.values())
}
