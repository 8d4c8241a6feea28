/**
 * Microsoft Entra puts at most 200 groups in a JWT. Above that the token carries no `groups` claim but a
 * pointer to where they can be fetched: `_claim_names: { groups: "src1" }` with `_claim_sources` (ID and access
 * tokens from the token endpoint), or `hasgroups: true` (implicit-flow tokens).
 * https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference (groups, _claim_names, hasgroups)
 */
export function hasGroupsOverage(claims: Record<string, unknown>, groupsClaim = 'groups'): boolean {
  const names = claims['_claim_names'];
  if (names !== null && typeof names === 'object' && groupsClaim in names) return true;
  const hasGroups = claims['hasgroups'];
  return hasGroups === true || hasGroups === 'true';
}
