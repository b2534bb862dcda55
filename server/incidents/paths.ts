/** Slack's interactivity requests: signed by Slack, not by a meshwatch token (checked by the route). */
export const SLACK_ACTIONS_PATH = '/api/incidents/slack/actions'

const ACTION = /^\/api\/incidents\/[^/]+\/(ack|mute|resolve)$/

/** The incident actions a domain's (ingest) token may call; which incident it may act on is checked per row. */
export const isIncidentAction = (path: string): boolean => ACTION.test(path)
