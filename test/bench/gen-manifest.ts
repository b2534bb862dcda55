import { createWriteStream } from 'node:fs'
import { once } from 'node:events'

/**
 * Writes a synthetic dbt manifest v12 shaped like a real one (dbt 1.10 jaffle_shop node layout):
 * `models` models over `sources` sources in `domains` packages, realistic fan-in, two generic tests
 * per model, raw and compiled SQL, documented columns, parent_map and child_map.
 */
export async function writeSyntheticManifest(
  file: string,
  opts: { models: number; domains?: number; columns?: number; seed?: number } = { models: 10_000 },
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
  for (let i = 0; i < opts.models; i++) {
    const domain = `domain_${i % domains}`
    const name = `model_${i}`
    const id = `model.${project}.${name}`
    const fanIn = 1 + Math.floor(rand() * 4)
    const deps = new Set<string>()
    for (let k = 0; k < fanIn; k++) {
      deps.add(
        i > 10 && rand() < 0.85
          ? (models[Math.floor(rand() * i)] ?? sources[0]!)
          : sources[Math.floor(rand() * nSources)]!,
      )
    }
    const parents = [...deps]
    link(id, parents)
    const columns: Record<string, unknown> = {}
    for (let c = 0; c < nCols; c++) {
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
    const sql = parents
      .map(
        (p, k) => `    select col_0, col_1, col_2 from {{ ref('${p.split('.').pop()}') }} as t${k}`,
      )
      .join('\n    union all\n')
    const body = `with\n\nsource as (\n\n${sql}\n\n),\n\nrenamed as (\n\n    select\n${Array.from({ length: nCols }, (_, c) => `        col_${c % 3} as col_${c}`).join(',\n')}\n\n    from source\n\n)\n\nselect * from renamed\n`
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
      compiled_code: body.replaceAll('{{ ref(', '"mesh"."x".(').replaceAll(') }}', ')'),
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
        columns: {},
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
