import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseDbtArtifacts } from '../../../collectors/dbt/index.ts'
import { REPO } from './helpers.ts'

// Snapshots get column lineage like models (#19 "every model (and snapshot)"), from the public
// manifests of fixtures/dbt/dialects (sources in its README): compiled SQL (Redshift) and raw SQL
// of a `dbt parse` manifest (Snowflake).
function edges(project: string, snapshot: string) {
  const dir = join(REPO, 'fixtures/dbt/dialects', project, 'target')
  const read = (f: string): unknown =>
    existsSync(join(dir, f)) ? JSON.parse(readFileSync(join(dir, f), 'utf8')) : undefined
  const catalog = read('catalog.json')
  const b = parseDbtArtifacts(
    { manifest: read('manifest.json'), ...(catalog ? { catalog } : {}) },
    { namespace: 'warehouse://fixture' },
  )
  expect(b.warnings.filter((w) => w.includes(snapshot))).toEqual([])
  return b.columnEdges
    .filter((e) => e.dataset.name === snapshot)
    .map((e) => `${e.column} <- ${e.from.name}.${e.fromColumn} ${e.transformation} ${e.source}`)
    .sort()
}

describe('column lineage of dbt snapshots', () => {
  it('a dbt parse manifest (Snowflake): the snapshot of stg_customers from its rendered raw SQL', () => {
    expect(
      edges('snowflake-uncompiled', 'shopverse_analytics.snapshots.snapshot_customers'),
    ).toEqual(
      ['country', 'customer_id', 'name', 'segment'].map(
        (c) => `${c} <- shopverse_analytics.stg.stg_customers.${c} DIRECT/IDENTITY dbt_uncompiled`,
      ),
    )
  })

  it('compiled SQL (Redshift): select * of the staging model, column for column', () => {
    // stg_tickit__users declares 2 of the 18 columns its compiled SQL outputs (no catalog, no
    // enforced contract): the snapshot reads all 18, not the 2 of the partial declaration
    const got = edges('redshift', 'analytics.snapshots.users_snapshot')
    expect(got).toEqual(
      [
        'user_id',
        'username',
        'first_name',
        'last_name',
        'city',
        'state',
        'email',
        'phone',
        'likes_sports',
        'likes_theatre',
        'likes_concerts',
        'likes_jazz',
        'likes_classical',
        'likes_opera',
        'likes_rock',
        'likes_vegas',
        'likes_broadway',
        'likes_musicals',
      ]
        .map(
          (c) =>
            `${c} <- analytics.staging_tickit.stg_tickit__users.${c} DIRECT/IDENTITY dbt_compiled`,
        )
        .sort(),
    )
  })
})
