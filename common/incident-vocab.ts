// The incident vocabularies (server/incidents/): db/schema.ts types its columns with them, the
// API validates with them, web/ shows them. Pure values, no imports (like common/vocab.ts).

/** Where an incident is: open until someone acknowledges it, resolved on recovery or by hand. */
export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number]

/** What happened to an incident; every one is a stored transition. */
export const INCIDENT_TRANSITIONS = [
  'opened',
  'updated',
  'acknowledged',
  'muted',
  'resolved',
  'reopened',
] as const

/** How an incident was resolved: the product recovered, or a person closed it with a reason. */
export const RESOLUTIONS = ['auto', 'manual'] as const

/** Where an incident's living message goes. */
export const INCIDENT_CHANNELS = ['slack', 'teams', 'pagerduty', 'webhook', 'email'] as const
export type IncidentChannel = (typeof INCIDENT_CHANNELS)[number]

/** A delivery goes on (active) until its channel refused it for good (failed). */
export const DELIVERY_STATUSES = ['active', 'failed'] as const

/** A digest item waits (pending) for its route's digest time, then is sent in one message (sent), or refused for good (failed). */
export const DIGEST_ITEM_STATUSES = ['pending', 'sent', 'failed'] as const
