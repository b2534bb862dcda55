import type { Mesh, MeshDataset, MeshJob } from './mesh.ts'
import type { GateCheck } from './types.ts'

interface Read {
  job: MeshJob
  dataset: MeshDataset
}

/** Reads by the project's jobs of a dataset that another domain owns and has not made public. */
export function privateReads(mesh: Mesh, project: string): Read[] {
  const out: Read[] = []
  for (const job of mesh.jobs.values()) {
    if (job.project !== project || !job.domain) continue
    for (const key of mesh.inputs.get(job.key) ?? []) {
      const dataset = mesh.datasets.get(key)
      if (!dataset?.domain || dataset.domain === job.domain || dataset.access === 'public') continue
      // a source the project declares itself is its own unless another project defines the table
      if (dataset.kind === 'source' && dataset.project === project) continue
      out.push({ job, dataset })
    }
  }
  return out
}

/** Fails on each read of another domain's non-public dataset that the baseline did not have. */
export function checkPrivateDependencies(
  baseline: Mesh,
  current: Mesh,
  project: string,
): GateCheck[] {
  const before = new Set(
    privateReads(baseline, project).map((r) => `${r.job.key}|${r.dataset.key}`),
  )
  const fresh = privateReads(current, project).filter(
    (r) => !before.has(`${r.job.key}|${r.dataset.key}`),
  )
  if (fresh.length === 0) {
    return [
      {
        id: `private-dependency:${project}`,
        category: 'private-dependency',
        name: `no new dependency on another domain's non-public model`,
        status: 'pass',
        message: 'no new cross-domain read of a non-public dataset',
        details: [],
        targets: [],
      },
    ]
  }
  return fresh.map(({ job, dataset }) => {
    const owner = dataset.owner ?? current.domainOwners.get(dataset.domain ?? '')
    return {
      id: `private-dependency:${job.name}:${dataset.name}`,
      category: 'private-dependency',
      name: `${job.name} reads only public models of other domains`,
      status: 'fail',
      message: `${job.name} (${job.domain}) now depends on ${dataset.name}, a ${dataset.access ?? 'non-public'} ${dataset.kind ?? 'dataset'} of ${dataset.domain}`,
      details: [
        `ask ${dataset.domain}${owner ? ` (${owner})` : ''} to publish it (access: public with a contract), or read one of their public models`,
      ],
      targets: [dataset.name, job.name, ...(job.externalId ? [job.externalId] : [])],
      domain: job.domain,
      ...(sourceFileOf(current, job)
        ? { location: { file: sourceFileOf(current, job) ?? '' } }
        : {}),
    }
  })
}

const sourceFileOf = (mesh: Mesh, job: MeshJob): string | undefined =>
  [...mesh.datasets.values()].find(
    (d) => d.externalId !== undefined && d.externalId === job.externalId,
  )?.sourceFile
