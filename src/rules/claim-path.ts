/**
 * Looks up a dotted path (`address.country`, `roles.0`) in claims. Claim names may themselves contain dots
 * (Auth0-style `https://example.com/roles`), so at each level the longest run of segments that names an
 * existing key wins.
 */
export function lookupClaimPath(root: unknown, segments: readonly string[]): unknown {
  if (segments.length === 0) return root;
  if (Array.isArray(root)) {
    const [first, ...rest] = segments;
    return /^\d+$/.test(first ?? '') ? lookupClaimPath(root[Number(first)], rest) : undefined;
  }
  if (typeof root !== 'object' || root === null) return undefined;
  const record = root as Record<string, unknown>;
  for (let take = segments.length; take >= 1; take--) {
    const key = segments.slice(0, take).join('.');
    if (Object.hasOwn(record, key)) return lookupClaimPath(record[key], segments.slice(take));
  }
  return undefined;
}

export function splitPath(path: string): string[] {
  return path.split('.');
}
