/**
 * `map[key]` only when `key` is the map's own property: a user-supplied key such as `constructor`,
 * `toString` or `__proto__` never reaches an `Object.prototype` member.
 */
export const own = <V>(
  map: Readonly<Record<string, V>> | null | undefined,
  key: string,
): V | undefined =>
  map !== null && map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined

/** An empty object without a prototype, for maps filled from user-supplied keys. */
export const ownMap = <V>(): Record<string, V> => Object.create(null) as Record<string, V>
