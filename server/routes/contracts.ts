import { Hono } from 'hono'
import { z } from 'zod'
import { ContractError } from '../../collectors/contracts/read.ts'
import { rethrowForbidden, writerDomain } from '../authz.ts'
import { readJsonBody } from '../body.ts'
import { ContractUploadSchema, ingestContracts, parseUpload } from '../contracts/ingest.ts'
import { viewContract } from '../contracts/view.ts'
import type { Deps } from '../deps.ts'
import { describeIssues, errorBody, fail } from '../errors.ts'
import { describe } from '../openapi.ts'
import { validate } from '../validate.ts'

const ListQuerySchema = z.object({ domain: z.string().min(1).optional() })

/** ODCS data contracts: upload (what `collect contracts --server` posts), list, one with its versions. */
export const contractRoutes = (deps: Deps) =>
  new Hono()
    .post(
      '/',
      describe('contracts', 'ODCS contract files (what `collect contracts --server` posts)', {
        200: 'every contract was already stored (redelivery)',
        201: 'stored: one version per new content',
        400: 'a body that is not the upload shape',
        403: 'a contract, id or binding of another domain',
        422: 'a contract invalid against its apiVersion schema (file:line:column field)',
      }),
      async (c) => {
        const raw = await readJsonBody(c, deps.limits)
        const parsed = ContractUploadSchema.safeParse(raw)
        if (!parsed.success) {
          const { path, message } = describeIssues(parsed.error)
          fail(400, 'invalid_request', `body ${message}`, path)
        }
        try {
          const docs = parseUpload(parsed.data)
          // Authorized inside the write's transaction: a refused upload stores nothing.
          const stored = await ingestContracts(deps, docs, { domain: writerDomain(c) })
          return c.json({ stored }, stored.every((s) => s.duplicate) ? 200 : 201)
        } catch (e) {
          if (e instanceof ContractError) {
            const first = e.issues[0]
            fail(
              422,
              'invalid_contract',
              e.message,
              first ? `${first.file}:${first.line}:${first.column} ${first.path}` : undefined,
            )
          }
          rethrowForbidden(e, (f) => `$.contracts[${f.index ?? 0}]${f.denial.path.slice(1)}`)
        }
      },
    )
    .get(
      '/',
      describe('contracts', 'the current version of every contract, with its binding', {
        200: 'contracts',
      }),
      validate('query', ListQuerySchema),
      async (c) => {
        const q = c.req.valid('query')
        const rows = await deps.store.contracts.currentContracts(
          q.domain === undefined ? {} : { domain: q.domain },
        )
        const contracts = []
        for (const r of rows) contracts.push(await viewContract(deps.store, r))
        return c.json({ contracts })
      },
    )
    .get(
      '/:id',
      describe('contracts', 'one contract: its document and every version', {
        200: 'the contract',
        404: 'unknown contract',
      }),
      async (c) => {
        const id = c.req.param('id')
        const [current, ...older] = await deps.store.contracts.contractVersions(id)
        if (!current) return c.json(errorBody('not_found', `unknown contract ${id}`), 404)
        return c.json({
          ...(await viewContract(deps.store, current)),
          document: current.document,
          versions: [current, ...older].map((v) => ({
            version: v.version,
            contentHash: v.contentHash,
            receivedAt: v.receivedAt,
          })),
        })
      },
    )
