/**
 * `url` without its `user:password@` part, and whether it had one. A URL is kept as the
 * collector's name and shown in messages, so credentials must never travel inside it.
 */
export function splitCredentials(url: string): { url: string; hadCredentials: boolean } {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    const stripped = url.replace(/(\/\/)[^/?#@]*@/, '$1')
    return { url: stripped, hadCredentials: stripped !== url }
  }
  if (u.username === '' && u.password === '') return { url, hadCredentials: false }
  u.username = ''
  u.password = ''
  return { url: u.toString().replace(/\/$/, url.endsWith('/') ? '/' : ''), hadCredentials: true }
}

/** The refusal of a URL with credentials, naming where they go instead (and not repeating them). */
export const credentialsInUrl = (url: string, instead: string): string =>
  `${splitCredentials(url).url}: credentials in the URL are refused (the URL is stored and shown as the collector's name); give ${instead} instead`
