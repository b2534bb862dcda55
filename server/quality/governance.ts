import { SEVERITIES } from '../../collectors/batch.ts'
import { own } from '../../collectors/own.ts'
import type { GovernanceFacts } from '../../db/queries/quality-facts.ts'

export type { GovernanceFacts }

export const POLICY_SEVERITIES = [...SEVERITIES, 'info'] as const
export type PolicySeverity = (typeof POLICY_SEVERITIES)[number]

export interface Policy {
  id: string
  severity: PolicySeverity
  description: string
}

/** The built-in policies and their default severities; meshwatch.yml may change or disable them. */
export const BUILT_IN_POLICIES: readonly Policy[] = [
  { id: 'product-has-owner', severity: 'error', description: 'every data product names an owner' },
  {
    id: 'product-has-description',
    severity: 'warn',
    description: 'every data product is described',
  },
  {
    id: 'product-has-sla',
    severity: 'warn',
    description: 'every data product declares an SLA (dbt meta or meshwatch.yml)',
  },
  {
    id: 'product-key-unique-test',
    severity: 'error',
    description:
      'every output of a product has a uniqueness test on its key (a unique check, or meta.meshwatch.key)',
  },
  {
    id: 'no-cross-domain-private-read',
    severity: 'error',
    description: "no job of one domain reads another domain's non-public dataset",
  },
  {
    id: 'dag-has-owner-and-domain',
    severity: 'warn',
    description: 'every Airflow DAG has an owner and a domain',
  },
  {
    id: 'public-model-has-contract',
    severity: 'warn',
    description: 'every public dbt model enforces a contract',
  },
]

export interface PolicySetting {
  severity?: PolicySeverity | undefined
  enabled?: boolean | undefined
}

export interface Waiver {
  policy: string
  reason: string
  /** ISO date (YYYY-MM-DD, valid through that day, UTC) or date-time. */
  expires: string
  /** product:<id>, dataset:<name>, job:<name>; absent = every target of the domain. */
  target?: string | undefined
}

export interface GovernanceConfig {
  policies?: Record<string, PolicySetting> | undefined
  domains?:
    | Record<
        string,
        { policies?: Record<string, PolicySetting> | undefined; waivers?: Waiver[] | undefined }
      >
    | undefined
}

export interface Violation {
  policy: string
  severity: PolicySeverity
  domain: string | null
  target: string
  message: string
  waived: boolean
  waiver?: { reason: string; expires: string }
}

/** True while a waiver applies: a bare date is valid through the end of that day (UTC). */
export function waiverActive(w: Pick<Waiver, 'expires'>, now: Date): boolean {
  const end = /^\d{4}-\d{2}-\d{2}$/.test(w.expires)
    ? Date.parse(`${w.expires}T23:59:59.999Z`)
    : Date.parse(w.expires)
  return Number.isFinite(end) && now.getTime() <= end
}

/**
 * Evaluates every enabled policy over the store's facts. Severity comes from the domain's
 * override, else the global setting, else the built-in; an unexpired waiver marks a violation
 * `waived` (still listed) and an expired one no longer applies.
 */
export function checkPolicies(
  facts: GovernanceFacts,
  config: GovernanceConfig,
  now: Date,
): Violation[] {
  const raw: Omit<Violation, 'severity' | 'waived'>[] = []
  const add = (policy: string, domain: string | null, target: string, message: string) =>
    raw.push({ policy, domain, target, message })
  for (const p of facts.products) {
    const t = `product:${p.id}`
    if (!p.owner) add('product-has-owner', p.domain, t, `product ${p.id} has no owner`)
    if (!p.description)
      add('product-has-description', p.domain, t, `product ${p.id} has no description`)
    if (!p.hasSla)
      add(
        'product-has-sla',
        p.domain,
        t,
        `product ${p.id} declares no SLA (add meta.meshwatch.sla or a meshwatch.yml entry)`,
      )
    for (const o of p.outputs) {
      const mw = o.meta?.['meshwatch']
      const declaredKey = mw !== null && typeof mw === 'object' && 'key' in mw
      if (o.uniqueColumns.length === 0 && !declaredKey) {
        add(
          'product-key-unique-test',
          p.domain,
          t,
          `output ${o.name} of ${p.id} has no uniqueness test on its key`,
        )
      }
    }
  }
  for (const { job, dataset } of facts.crossDomainReads) {
    if (
      dataset.access === 'public' ||
      !job.domain ||
      !dataset.domain ||
      job.domain === dataset.domain
    )
      continue
    add(
      'no-cross-domain-private-read',
      job.domain,
      `job:${job.name}`,
      `${job.name} (${job.domain}) reads ${dataset.name}, a ${dataset.access ?? 'non-public'} dataset of ${dataset.domain}`,
    )
  }
  for (const d of facts.dags) {
    const missing = [d.owner ? undefined : 'owner', d.domain ? undefined : 'domain'].filter(Boolean)
    if (missing.length > 0)
      add(
        'dag-has-owner-and-domain',
        d.domain,
        `job:${d.name}`,
        `DAG ${d.name} has no ${missing.join(' and no ')}`,
      )
  }
  for (const d of facts.datasets) {
    if (d.kind === 'model' && d.access === 'public' && d.contractEnforced !== true) {
      add(
        'public-model-has-contract',
        d.domain,
        `dataset:${d.name}`,
        `public model ${d.name} does not enforce a contract`,
      )
    }
  }
  const out: Violation[] = []
  for (const v of raw) {
    const builtIn = BUILT_IN_POLICIES.find((p) => p.id === v.policy)
    const global = own(config.policies, v.policy)
    const local = v.domain ? own(own(config.domains, v.domain)?.policies, v.policy) : undefined
    if ((local?.enabled ?? global?.enabled ?? true) === false) continue
    const severity = local?.severity ?? global?.severity ?? builtIn?.severity ?? 'warn'
    const waiver = (v.domain ? (own(config.domains, v.domain)?.waivers ?? []) : []).find(
      (w) =>
        w.policy === v.policy &&
        (w.target === undefined || w.target === v.target) &&
        waiverActive(w, now),
    )
    out.push({
      ...v,
      severity,
      waived: waiver !== undefined,
      ...(waiver ? { waiver: { reason: waiver.reason, expires: waiver.expires } } : {}),
    })
  }
  return out.sort((a, b) => a.policy.localeCompare(b.policy) || a.target.localeCompare(b.target))
}
