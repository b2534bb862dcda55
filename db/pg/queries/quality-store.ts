import { readEvaluationRow } from '../../queries/catalog.ts'
import { evaluationRowOf } from '../../queries/quality-store.ts'
import type * as lite from '../../queries/quality-store.ts'
import type { PgModule } from '../module.ts'
import { columnsOf, insertRows, inTransaction } from '../rows.ts'
import { evaluations, productOutputs, products } from '../schema.ts'

type EvaluationRow = typeof evaluations.$inferSelect

const EVALUATION = columnsOf(evaluations)

/** A LIKE pattern matching `s` literally: each `%`, `_` and backslash escaped with a backslash. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)

export const qualityStore = {
  async storeEvaluations(q, evals, opts) {
    return inTransaction(q, async (tx) => {
      const prev = await tx.query<EvaluationRow>(
        `select distinct on (product_id) ${EVALUATION} from evaluations
          where product_id = any($1::text[]) order by product_id, id desc`,
        [[...new Set(evals.map((e) => e.productId))]],
      )
      const last = new Map(prev.rows.map((r) => [r.productId, r]))
      const rows = evals.filter((e) => opts.keep(last.get(e.productId), e))
      await insertRows(tx, evaluations, rows.map(evaluationRowOf), { returning: 'id' })
      return rows.map((r) => r.productId)
    })
  },

  async evaluationHistory(q, productId, limit = 500) {
    const r = await q.query<EvaluationRow>(
      `select ${EVALUATION} from evaluations where product_id = $1
        order by evaluated_at desc, id desc limit $2`,
      [productId, limit],
    )
    return r.rows.map(readEvaluationRow)
  },

  /** A set, in (dataset, product) order. */
  async productsOfDatasets(q, datasetIds) {
    const r = await q.query<{ id: string }>(
      `select product_id as id from product_outputs where dataset_id = any($1::int8[])
        order by dataset_id, product_id`,
      [datasetIds],
    )
    return [...new Set(r.rows.map((x) => x.id))]
  },

  async upsertConfigProducts(q, items, now) {
    const unresolved: string[] = []
    await inTransaction(q, async (tx) => {
      for (const p of items) {
        const updated = await tx.query(
          `update products set owner = coalesce(owner, $2), description = coalesce(description, $3)
            where id = $1`,
          [p.id, p.owner ?? null, p.description ?? null],
        )
        if ((updated.rowCount ?? 0) > 0) continue
        const ids: number[] = []
        for (const o of p.outputs) {
          // SQLite's LIKE ignores ASCII case: ILIKE (ASCII-only under COLLATE "C") does the same
          const found =
            typeof o === 'string'
              ? await tx.query<{ id: number }>(
                  `select id from datasets where name = $1 or name ilike $2 escape '\\'
                    order by id limit 1`,
                  [o, `%.${escapeLike(o)}`],
                )
              : await tx.query<{ id: number }>(
                  'select id from datasets where namespace = $1 and name = $2 order by id limit 1',
                  [o.namespace, o.name],
                )
          const id = found.rows[0]?.id
          if (id !== undefined) ids.push(id)
          else unresolved.push(`${p.id}: ${typeof o === 'string' ? o : `${o.namespace} ${o.name}`}`)
        }
        if (ids.length === 0) continue
        await insertRows(
          tx,
          products,
          [
            {
              id: p.id,
              name: p.name,
              domain: p.domain,
              owner: p.owner ?? null,
              description: p.description ?? null,
              origin: 'config',
              updatedAt: now,
            },
          ],
          { returning: 'id' },
        )
        await insertRows(
          tx,
          productOutputs,
          [...new Set(ids)].map((datasetId) => ({ productId: p.id, datasetId })),
          { returning: 'product_id' },
        )
      }
    })
    return { unresolved }
  },
} satisfies PgModule<typeof lite>
