import { Hono } from 'hono'
import { z } from 'zod'
import { ContractError } from '../../collectors/contracts/read.ts'
import { contractVersions, currentContracts } from '../../db/queries/contracts.ts'
import { rethrowForbidden, writerDomain } from '../authz.ts'
import { readJsonBody } from '../body.ts'
import { ContractUploadSchema, ingestContracts, parseUpload } from '../contracts/ingest.ts'
import { viewContract } from '../contracts/view.ts'
import type { Deps } from '../deps.ts'
import { describeIssues, errorBody } from '../errors.ts'
import { validate } from '../validate.ts'

const ListQuerySchema = z.object({ domain: z.string().min(1).optional() })

/** ODCS data contracts: upload (what `collect contracts --server` posts), list, one with its versions. */
export const contractRoutes = (deps: Deps) =>
  new Hono()
    .post('/', async (c) => {
      const raw = await readJsonBody(c, deps.limits)
      const parsed = ContractUploadSchema.safeParse(raw)
      if (!parsed.success) {
        const { path, message } = describeIssues(parsed.error)
        return c.json(errorBody('invalid_request', `body ${message}`, path), 400)
      }
      try {
        const docs = parseUpload(parsed.data)
        // Authorized inside the write's transaction: a refused upload stores nothing.
        const stored = ingestContracts(deps, docs, { domain: writerDomain(c) })
        return c.json({ stored }, stored.every((s) => s.duplicate) ? 200 : 201)
      } catch (e) {
        if (e instanceof ContractError) {
          const first = e.issues[0]
          return c.json(
            errorBody(
              'invalid_contract',
              e.message,
              first ? `${first.file}:${first.line}:${first.column} ${first.path}` : undefined,
            ),
            422,
          )
        }
        rethrowForbidden(e, (f) => `$.contracts[${f.index ?? 0}]${f.denial.path.slice(1)}`)
      }
    })
    .get('/', validate('query', ListQuerySchema), (c) => {
      const q = c.req.valid('query')
      const rows = currentContracts(deps.db, q.domain === undefined ? {} : { domain: q.domain })
      return c.json({ contracts: rows.map((r) => viewContract(deps.db, r)) })
    })
    .get('/:id', (c) => {
      const id = c.req.param('id')
      const [current, ...older] = contractVersions(deps.db, id)
      if (!current) return c.json(errorBody('not_found', `unknown contract ${id}`), 404)
      return c.json({
        ...viewContract(deps.db, current),
        document: current.document,
        versions: [current, ...older].map((v) => ({
          version: v.version,
          contentHash: v.contentHash,
          receivedAt: v.receivedAt,
        })),
      })
    })
