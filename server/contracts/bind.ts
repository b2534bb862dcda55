import { candidatesOf, tableOf, type DatasetCandidate } from '../../collectors/contracts/naming.ts'
import type { Odcs } from '../../collectors/contracts/schema.ts'
import type { BoundDataset } from '../../db/queries/contracts.ts'
import { call, type StoreProgram } from '../store-program.ts'

export interface ObjectBinding {
  object: string
  table: string
  dataset: BoundDataset | null
  /** Why it is unbound: the names tried. */
  reason?: string
}

export interface ContractBinding {
  objects: ObjectBinding[]
  /** `team` (v3.1.0 object or v3.0.x array): its members, and who holds an owner role. */
  team: {
    name: string | null
    owners: string[]
    members: { username: string; role: string | null }[]
  }
  product: { id: string; via: 'dataProduct' | 'outputs' } | null
  productReason?: string
  bound: boolean
}

const show = (c: DatasetCandidate): string =>
  c.namespace === undefined
    ? `no dataset named ${c.name} (in any namespace; the contract has no server meshwatch maps)`
    : `no dataset ${c.namespace} ${c.name}${c.server ? ` (server ${c.server})` : ''}`

/**
 * Binds a contract to what the store observes: each schema object to a dataset by the OpenLineage
 * naming of its servers, `dataProduct` (or the product whose outputs those datasets are) to a
 * product. A store program (server/store-program.ts); bindContractOn (bind-store.ts) runs it on a Store.
 */
export function* bindContractProgram(
  contract: Odcs,
  domain: string | null,
): StoreProgram<ContractBinding> {
  const objects: ObjectBinding[] = []
  for (const o of contract.schema ?? []) objects.push(yield* bindObject(contract, o))
  return {
    objects,
    team: teamOf(contract),
    ...(yield* bindProduct(contract, domain, objects)),
    bound: objects.length > 0 && objects.every((o) => o.dataset !== null),
  }
}

function* bindObject(
  contract: Odcs,
  o: NonNullable<Odcs['schema']>[number],
): StoreProgram<ObjectBinding> {
  const cands = candidatesOf(contract, o)
  for (const cand of cands) {
    const ds = yield* call('contracts', 'findContractDataset', cand)
    if (ds) return { object: o.name, table: tableOf(o), dataset: ds }
  }
  return {
    object: o.name,
    table: tableOf(o),
    dataset: null,
    reason: `meshwatch has never seen this table: ${cands.map(show).join('; ')}`,
  }
}

function* bindProduct(
  contract: Odcs,
  domain: string | null,
  objects: ObjectBinding[],
): StoreProgram<Pick<ContractBinding, 'product' | 'productReason'>> {
  const dp = contract.dataProduct
  if (dp) {
    const p =
      (yield* call('contracts', 'findContractProduct', { id: dp })) ??
      (domain
        ? yield* call('contracts', 'findContractProduct', { id: `${domain}.${dp}` })
        : undefined) ??
      (yield* call('contracts', 'findContractProduct', { name: dp, domain }))
    if (p) return { product: { id: p.id, via: 'dataProduct' } }
  }
  const byOutputs = yield* call(
    'contracts',
    'productOfOutputs',
    objects.flatMap((o) => (o.dataset ? [o.dataset.id] : [])),
  )
  if (byOutputs) return { product: { id: byOutputs, via: 'outputs' } }
  return {
    product: null,
    productReason: dp
      ? `no product ${dp}${domain ? ` (nor ${domain}.${dp})` : ''}, and no product has the bound datasets as outputs`
      : 'no dataProduct given, and no product has the bound datasets as outputs',
  }
}

const OWNER_ROLE = /owner/i

/** The contract's team as meshwatch shows it: members with roles; roles naming an owner are its owners. */
export function teamOf(contract: Odcs): ContractBinding['team'] {
  const t = contract.team
  const list = t === undefined ? [] : Array.isArray(t) ? t : (t.members ?? [])
  const members = list.map((m) => ({ username: m.username, role: m.role ?? null }))
  return {
    name: t !== undefined && !Array.isArray(t) ? (t.name ?? null) : null,
    owners: members
      .filter((m) => m.role !== null && OWNER_ROLE.test(m.role))
      .map((m) => m.username),
    members,
  }
}
