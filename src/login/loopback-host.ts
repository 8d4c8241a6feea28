/**
 * Host names that never leave the machine: plain http:// or ldap:// to them exposes nothing on a network, which
 * is why the insecure-transport switches of the connectors (`allowInsecureHttp`, `allowPlainLdap`) admit them.
 * Lower-cased here: `new URL` lower-cases the host of http(s) URLs only, not of ldap:// ones.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
