/**
 * A large synthetic v12 manifest (n models, each with columns and two tests), built only to
 * measure the collector's speed against JSON.parse; not a fixture of real dbt output.
 */
export function syntheticManifest(models: number, columns = 20): unknown {
  const nodes: Record<string, unknown> = {}
  const filler = 'select 1 as x -- '.repeat(250)
  for (let i = 0; i < models; i++) {
    const id = `model.big.m${i}`
    const cols: Record<string, unknown> = {}
    for (let c = 0; c < columns; c++) {
      cols[`c${c}`] = {
        name: `c${c}`,
        description: `column ${c}`,
        data_type: 'integer',
        meta: {},
        constraints: [],
        tags: [],
      }
    }
    const deps = i === 0 ? [] : [`model.big.m${Math.floor(i / 2)}`, `model.big.m${i - 1}`]
    nodes[id] = {
      unique_id: id,
      resource_type: 'model',
      package_name: 'big',
      name: `m${i}`,
      alias: `m${i}`,
      database: 'db',
      schema: `s${i % 50}`,
      description: `model ${i}`,
      tags: ['nightly'],
      meta: { owner: 'team@x' },
      config: {
        materialized: 'table',
        meta: { owner: 'team@x' },
        access: i % 10 === 0 ? 'public' : 'protected',
        contract: { enforced: false },
      },
      original_file_path: `models/m${i}.sql`,
      depends_on: { nodes: deps, macros: [] },
      columns: cols,
      access: i % 10 === 0 ? 'public' : 'protected',
      raw_code: filler,
      compiled_code: filler,
      checksum: { name: 'sha256', checksum: 'f'.repeat(64) },
      fqn: ['big', `m${i}`],
    }
    for (const t of ['unique', 'not_null']) {
      const tid = `test.big.${t}_m${i}_c0.${i}`
      nodes[tid] = {
        unique_id: tid,
        resource_type: 'test',
        package_name: 'big',
        name: `${t}_m${i}_c0`,
        test_metadata: {
          name: t,
          kwargs: { column_name: 'c0', model: `{{ get_where_subquery(ref('m${i}')) }}` },
        },
        column_name: 'c0',
        attached_node: id,
        depends_on: { nodes: [id], macros: [] },
        config: { severity: 'ERROR' },
        original_file_path: 'models/schema.yml',
        raw_code: '{{ test_unique(**_dbt_generic_test_kwargs) }}',
      }
    }
  }
  return {
    metadata: {
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
      generated_at: '2026-01-01T00:00:00Z',
      project_name: 'big',
    },
    nodes,
    sources: {},
    exposures: {},
    groups: {},
  }
}
