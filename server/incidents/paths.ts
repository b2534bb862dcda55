const ACTION = /^\/api\/incidents\/[^/]+\/(ack|mute|resolve)$/

/** The incident actions a domain's (ingest) token may call; which incident it may act on is checked per row. */
export const isIncidentAction = (path: string): boolean => ACTION.test(path)
