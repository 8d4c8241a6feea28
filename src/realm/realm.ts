import type { Audience } from '../login/vocabulary.js';
import type { PasswordConnector } from '../login/password-connector.js';
import type { RealmConfig } from '../config/schema.js';
import type { RuleSet } from '../rules/index.js';

/**
 * A realm is one Kayako instance or template group: its caller secret, the connectors that check its
 * passwords, and the rules that turn identities into Kayako profiles.
 */
export interface Realm {
  readonly id: string;
  readonly config: RealmConfig;
  /** The connectors to try for this username, in order (see `routeConnectors`). */
  connectorsFor(username: string): PasswordConnector[];
  /** The break-glass connectors to ask when those could not reach their IdP (routes with `fallback: true`). */
  fallbackConnectorsFor(username: string): PasswordConnector[];
  /** The rules in force now (hot-reloaded). */
  rules(): RuleSet;
  serves(audience: Audience): boolean;
  staffInterfaceAllowed(staffInterface: string): boolean;
}

export interface ConnectorRoute {
  connector: PasswordConnector;
  /** Lower-case domains; undefined = every username. */
  domains?: readonly string[];
  /** Asked only when the others could not reach their IdP (see `fallbackConnectors`). */
  fallback?: boolean;
}

/**
 * Which connectors a username goes to. Routes are tried in order. A route with `domains` is tried only for
 * usernames ending in `@<domain>`; a route without is tried for everyone — except that once a domain route has
 * matched, later catch-all routes are skipped (`alice@contoso.com` goes to the Contoso tenant and never to the
 * catch-all IdP). Catch-all routes listed first (break-glass local accounts) are therefore always consulted.
 */
export function routeConnectors(routes: readonly ConnectorRoute[], username: string): PasswordConnector[] {
  const at = username.lastIndexOf('@');
  const domain = at >= 0 ? username.slice(at + 1).toLowerCase() : undefined;
  const chosen: PasswordConnector[] = [];
  let domainMatched = false;
  for (const route of routes) {
    if (route.fallback) continue;
    if (route.domains) {
      if (domain !== undefined && route.domains.includes(domain)) {
        chosen.push(route.connector);
        domainMatched = true;
      }
    } else if (!domainMatched) {
      chosen.push(route.connector);
    }
  }
  return chosen;
}

/**
 * The fallback routes for a username, in order: each one whose domains match (or that has none). They are asked
 * only after an IdP outage, so the domain routing of the others does not narrow them further.
 */
export function fallbackConnectors(routes: readonly ConnectorRoute[], username: string): PasswordConnector[] {
  const at = username.lastIndexOf('@');
  const domain = at >= 0 ? username.slice(at + 1).toLowerCase() : undefined;
  return routes
    .filter((route) => route.fallback && (!route.domains || (domain !== undefined && route.domains.includes(domain))))
    .map((route) => route.connector);
}

const NONE: PasswordConnector[] = [];

export function createRealm(config: RealmConfig, routes: readonly ConnectorRoute[], rules: () => RuleSet): Realm {
  const interfaces = new Set(config.staff.interfaces);
  const hasFallback = routes.some((route) => route.fallback);
  return {
    id: config.id,
    config,
    connectorsFor: (username) => routeConnectors(routes, username),
    fallbackConnectorsFor: hasFallback ? (username) => fallbackConnectors(routes, username) : () => NONE,
    rules,
    serves: (audience) => config.audiences[audience],
    staffInterfaceAllowed(staffInterface) {
      // The Admin CP needs an explicit yes, even if someone lists it among the interfaces.
      if (staffInterface === 'admin') return config.staff.allowAdmin;
      return interfaces.has(staffInterface);
    },
  };
}
