import { createWriteStream } from 'node:fs'
import { once } from 'node:events'

export type SyntheticManifestOptions = {
  models: number
  domains?: number
  columns?: number
  seed?: number
  /**
   * 'placeholder' (default): every model the same two-CTE body, its compiled SQL no real SQL (the
   * dbt bench reads it as text only). 'realistic': compiled SQL that parses, as dbt writes it —
   * a CTE per upstream relation with `select *`, joins, filters, expressions, unions and
   * aggregations, `select * from final` — and documented source columns, for column lineage.
   */
  sql?: 'placeholder' | 'realistic'
  /** Models in domain_0 (the rest spread evenly over the other domains); default: all even. */
  largest?: number
  /**
   * A mesh's shape: each model reads models of its own domain and of this many provider domains
   * (domain d reads d-1 … d-providers) and its domain's sources. Default: any earlier model.
   */
  providers?: number
}

/**
 * Writes a synthetic dbt manifest v12 shaped like a real one (dbt 1.10 jaffle_shop node layout):
 * `models` models over `sources` sources in `domains` packages, realistic fan-in, two generic tests
 * per model, raw and compiled SQL, documented columns, parent_map and child_map.
 */
export async function writeSyntheticManifest(
  file: string,
  opts: SyntheticManifestOptions = { models: 10_000 },
): Promise<{ bytes: number; models: number; tests: number }> {
  const domains = opts.domains ?? 20
  const nCols = opts.columns ?? 15
  let seed = opts.seed ?? 42
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
  const out = createWriteStream(file)
  let bytes = 0
  const w = async (s: string) => {
    bytes += Buffer.byteLength(s)
    if (!out.write(s)) await once(out, 'drain')
  }
  const project = 'mesh'
  const parentMap: Record<string, string[]> = {}
  const childMap: Record<string, string[]> = {}
  const link = (child: string, parents: string[]) => {
    parentMap[child] = parents
    childMap[child] ??= []
    for (const p of parents) (childMap[p] ??= []).push(child)
  }
  await w(
    `{"metadata":${JSON.stringify({
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
      dbt_version: '1.10.13',
      generated_at: '2026-01-01T00:00:00.000000Z',
      invocation_id: '00000000-0000-4000-8000-000000000000',
      env: {},
      project_name: project,
      adapter_type: 'duckdb',
      quoting: { database: true, schema: true, identifier: true, column: null },
    })},"nodes":{`,
  )
  const models: string[] = []
  const sources: string[] = []
  const nSources = Math.max(1, Math.floor(opts.models / 10))
  for (let i = 0; i < nSources; i++) sources.push(`source.${project}.raw_${i % domains}.src_${i}`)
  let tests = 0
  let first = true
  const domainOf = domainAssignment(opts.models, domains, opts.largest)
  const byDomain: string[][] = Array.from({ length: domains }, () => [])
  const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(rand() * xs.length)]
  const upstreamOf = (d: number): string | undefined => {
    const p = opts.providers ?? 0
    const from = rand() < 0.7 || p === 0 ? d : (d - 1 - Math.floor(rand() * p) + domains) % domains
    return pick(byDomain[from] ?? [])
  }
  for (let i = 0; i < opts.models; i++) {
    const d = domainOf[i] ?? 0
    const domain = `domain_${d}`
    const name = `model_${i}`
    const id = `model.${project}.${name}`
    const fanIn = 1 + Math.floor(rand() * 4)
    const deps = new Set<string>()
    for (let k = 0; k < fanIn; k++) {
      const fromModels = i > 10 && rand() < 0.85
      deps.add(
        opts.providers === undefined
          ? fromModels
            ? (models[Math.floor(rand() * i)] ?? sources[0]!)
            : sources[Math.floor(rand() * nSources)]!
          : ((fromModels ? upstreamOf(d) : undefined) ??
              sources[d + domains * Math.floor((rand() * nSources) / domains)] ??
              sources[d % nSources]!),
      )
    }
    const parents = [...deps]
    link(id, parents)
    const columns = documentedColumns(name, nCols)
    const realistic =
      opts.sql === 'realistic' ? realisticSql(i, parents, nCols, domainOf) : undefined
    const sql = parents
      .map(
        (p, k) => `    select col_0, col_1, col_2 from {{ ref('${p.split('.').pop()}') }} as t${k}`,
      )
      .join('\n    union all\n')
    const body =
      realistic?.raw ??
      `with\n\nsource as (\n\n${sql}\n\n),\n\nrenamed as (\n\n    select\n${Array.from({ length: nCols }, (_, c) => `        col_${c % 3} as col_${c}`).join(',\n')}\n\n    from source\n\n)\n\nselect * from renamed\n`
    const access = i % 50 === 0 ? 'public' : 'protected'
    const node = {
      database: 'mesh',
      schema: domain,
      name,
      resource_type: 'model',
      package_name: project,
      path: `${domain}/${name}.sql`,
      original_file_path: `models/${domain}/${name}.sql`,
      unique_id: id,
      fqn: [project, domain, name],
      alias: name,
      checksum: { name: 'sha256', checksum: 'a'.repeat(64) },
      config: {
        enabled: true,
        alias: null,
        schema: domain,
        database: null,
        tags: [],
        meta: { domain },
        group: null,
        materialized: 'table',
        incremental_strategy: null,
        persist_docs: {},
        'post-hook': [],
        'pre-hook': [],
        quoting: {},
        column_types: {},
        full_refresh: null,
        unique_key: null,
        on_schema_change: 'ignore',
        on_configuration_change: 'apply',
        grants: {},
        packages: [],
        docs: { show: true, node_color: null },
        contract: { enforced: access === 'public', alias_types: true },
        access,
      },
      tags: [],
      description: `Model ${i} of ${domain}: one row per entity, cleaned and joined from its upstream models.`,
      columns,
      meta: { domain },
      group: null,
      docs: { show: true, node_color: null },
      patch_path: `${project}://models/${domain}/${name}.yml`,
      build_path: null,
      unrendered_config: { materialized: 'table' },
      created_at: 1760141121.124907,
      relation_name: `"mesh"."${domain}"."${name}"`,
      raw_code: body,
      doc_blocks: [],
      language: 'sql',
      refs: parents
        .filter((p) => p.startsWith('model.'))
        .map((p) => ({ name: p.split('.').pop(), package: null, version: null })),
      sources: parents.filter((p) => p.startsWith('source.')).map((p) => p.split('.').slice(2)),
      metrics: [],
      depends_on: { macros: [], nodes: parents },
      compiled_path: `target/compiled/${project}/models/${domain}/${name}.sql`,
      compiled: true,
      compiled_code:
        realistic?.compiled ?? body.replaceAll('{{ ref(', '"mesh"."x".(').replaceAll(') }}', ')'),
      extra_ctes_injected: true,
      extra_ctes: [],
      contract: { enforced: access === 'public', alias_types: true, checksum: null },
      access,
      constraints: [],
      version: null,
      latest_version: null,
      deprecation_date: null,
    }
    models.push(id)
    byDomain[d]?.push(id)
    await w(`${first ? '' : ','}${JSON.stringify(id)}:${JSON.stringify(node)}`)
    first = false
    for (const kind of ['unique', 'not_null']) {
      const tid = `test.${project}.${kind}_${name}_col_0.${(i * 7919).toString(16).padStart(10, '0')}`
      link(tid, [id])
      tests++
      await w(
        `,${JSON.stringify(tid)}:${JSON.stringify({
          database: 'mesh',
          schema: `${domain}_dbt_test__audit`,
          name: `${kind}_${name}_col_0`,
          resource_type: 'test',
          package_name: project,
          path: `${kind}_${name}_col_0.sql`,
          original_file_path: `models/${domain}/${name}.yml`,
          unique_id: tid,
          fqn: [project, domain, `${kind}_${name}_col_0`],
          alias: `${kind}_${name}_col_0`,
          checksum: { name: 'none', checksum: '' },
          config: {
            enabled: true,
            alias: null,
            schema: 'dbt_test__audit',
            database: null,
            tags: [],
            meta: {},
            group: null,
            materialized: 'test',
            severity: 'ERROR',
            store_failures: null,
            where: null,
            limit: null,
            fail_calc: 'count(*)',
            warn_if: '!= 0',
            error_if: '!= 0',
          },
          tags: [],
          description: '',
          columns: {},
          meta: {},
          group: null,
          docs: { show: true, node_color: null },
          patch_path: null,
          build_path: null,
          unrendered_config: {},
          created_at: 1760141121.114274,
          relation_name: null,
          raw_code: `{{ test_${kind}(**_dbt_generic_test_kwargs) }}`,
          doc_blocks: [],
          language: 'sql',
          refs: [{ name, package: null, version: null }],
          sources: [],
          metrics: [],
          depends_on: { macros: [`macro.dbt.test_${kind}`], nodes: [id] },
          compiled_path: null,
          compiled: true,
          compiled_code: `select col_0 from "mesh"."${domain}"."${name}" where col_0 is null`,
          extra_ctes_injected: true,
          extra_ctes: [],
          contract: { enforced: false, alias_types: true, checksum: null },
          column_name: 'col_0',
          file_key_name: `models.${name}`,
          attached_node: id,
          test_metadata: {
            name: kind,
            kwargs: { column_name: 'col_0', model: `{{ get_where_subquery(ref('${name}')) }}` },
            namespace: null,
          },
        })}`,
      )
    }
  }
  await w('},"sources":{')
  first = true
  for (const sid of sources) {
    const [, , src, name] = sid.split('.')
    link(sid, [])
    await w(
      `${first ? '' : ','}${JSON.stringify(sid)}:${JSON.stringify({
        database: 'mesh',
        schema: src,
        name,
        resource_type: 'source',
        package_name: project,
        path: `models/${src}.yml`,
        original_file_path: `models/${src}.yml`,
        unique_id: sid,
        fqn: [project, src, name],
        source_name: src,
        source_description: '',
        loader: '',
        identifier: name,
        quoting: {},
        loaded_at_field: 'loaded_at',
        freshness: {
          warn_after: { count: 12, period: 'hour' },
          error_after: { count: 24, period: 'hour' },
          filter: null,
        },
        external: null,
        description: `Raw table ${name}`,
        columns: opts.sql === 'realistic' ? documentedColumns(name ?? '', nCols) : {},
        meta: {},
        source_meta: {},
        tags: [],
        config: { enabled: true },
        patch_path: null,
        unrendered_config: {},
        relation_name: `"mesh"."${src}"."${name}"`,
        created_at: 1760141121.1,
      })}`,
    )
    first = false
  }
  await w(
    `},"macros":{},"docs":{},"exposures":{},"metrics":{},"groups":{},"selectors":{},"disabled":{},`,
  )
  await w(`"parent_map":${JSON.stringify(parentMap)},"child_map":${JSON.stringify(childMap)},`)
  await w(`"group_map":{},"saved_queries":{},"semantic_models":{},"unit_tests":{}}`)
  out.end()
  await once(out, 'finish')
  return { bytes, models: opts.models, tests }
}

function documentedColumns(name: string, n: number): Record<string, unknown> {
  const columns: Record<string, unknown> = {}
  for (let c = 0; c < n; c++) {
    columns[`col_${c}`] = {
      name: `col_${c}`,
      description: `Column ${c} of ${name}: a documented business attribute used by downstream reports.`,
      meta: {},
      data_type: c % 3 === 0 ? 'integer' : 'varchar',
      constraints: [],
      quote: null,
      config: { meta: {}, tags: [] },
      tags: [],
      granularity: null,
      doc_blocks: [],
    }
  }
  return columns
}

// the expressions a model's columns are computed with, cycled (t: the CTE read, c: the column)
const EXPRESSIONS = [
  (t: string, c: string) => `${t}.${c}`,
  (t: string, c: string) => `${t}.${c} as ${c}`,
  (t: string, c: string) => `lower(trim(${t}.${c})) as ${c}`,
  (t: string, c: string) => `cast(${t}.${c} as varchar) as ${c}`,
  (t: string, c: string) => `case when ${t}.${c} is null then 'unknown' else ${t}.${c} end as ${c}`,
  (t: string, c: string) => `coalesce(${t}.${c}, ${t}.col_0) as ${c}`,
]
const AGGREGATES = ['sum', 'max', 'min', 'count', 'avg']

/**
 * A model's SQL as dbt compiles it (and its raw SQL, with ref()/source()): a CTE per upstream
 * relation (`select * from` it), the first joined to the others on col_0 and filtered (or, every
 * seventh model, the first two unioned), every third model aggregated by its first three columns,
 * and `select * from final`. Every model outputs col_0 … col_{n-1}.
 */
function realisticSql(
  i: number,
  parents: string[],
  n: number,
  domainOf: readonly number[],
): { raw: string; compiled: string } {
  const relation = (id: string) => {
    const [kind, , a, b] = id.split('.')
    if (kind === 'source')
      return { raw: `{{ source('${a}', '${b}') }}`, compiled: `"mesh"."${a}"."${b}"` }
    const m = Number(a?.slice('model_'.length))
    return { raw: `{{ ref('${a}') }}`, compiled: `"mesh"."domain_${domainOf[m] ?? 0}"."${a}"` }
  }
  const cols = Array.from({ length: n }, (_, c) => `col_${c}`)
  const names = parents.map((p) => p.split('.').pop() ?? 'upstream')
  const ctes = parents.map((p, k) => ({ name: names[k]!, rel: relation(p) }))
  const union = i % 7 === 0 && ctes.length > 1
  const body: string[] = []
  if (union) {
    const [a, b] = ctes
    body.push(
      `unioned as (\n\n    select * from ${a!.name}\n\n    union all\n\n    select * from ${b!.name}\n\n)`,
    )
    ctes.splice(0, 2, { name: 'unioned', rel: { raw: '', compiled: '' } })
  }
  const [first, ...rest] = ctes
  const pick = (c: number) => ctes[c % ctes.length]!.name
  const select = cols.map((c, k) => `        ${EXPRESSIONS[k % EXPRESSIONS.length]!(pick(k), c)}`)
  const joins = rest.map(
    (r, k) =>
      `    ${k % 2 ? 'inner' : 'left'} join ${r.name}\n        on ${first!.name}.col_0 = ${r.name}.col_0`,
  )
  body.push(
    `joined as (\n\n    select\n${select.join(',\n')}\n\n    from ${first!.name}\n${joins.join('\n')}${joins.length ? '\n' : ''}    where ${first!.name}.col_1 is not null\n\n)`,
  )
  let last = 'joined'
  if (i % 3 === 0) {
    const keys = cols.slice(0, 3)
    const aggs = cols
      .slice(3)
      .map((c, k) => `        ${AGGREGATES[k % AGGREGATES.length]}(${c}) as ${c}`)
    body.push(
      `final as (\n\n    select\n${[...keys.map((c) => `        ${c}`), ...aggs].join(',\n')}\n\n    from joined\n    group by ${keys.join(', ')}\n\n)`,
    )
    last = 'final'
  }
  const text = (raw: boolean) => {
    const imports = parents.map(
      (p, k) =>
        `${names[k]} as (\n\n    select * from ${raw ? relation(p).raw : relation(p).compiled}\n\n)`,
    )
    return `with\n\n${[...imports, ...body].join(',\n\n')}\n\nselect * from ${last}\n`
  }
  return { raw: text(true), compiled: text(false) }
}

/** Each model's domain index: round-robin, or `largest` of them in domain 0 spread evenly. */
function domainAssignment(models: number, domains: number, largest?: number): number[] {
  if (largest === undefined || domains < 2)
    return Array.from({ length: models }, (_, i) => i % domains)
  let others = 0
  return Array.from({ length: models }, (_, i) =>
    Math.floor(((i + 1) * largest) / models) > Math.floor((i * largest) / models)
      ? 0
      : 1 + (others++ % (domains - 1)),
  )
}
