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
  /** The rules in force now (hot-reloaded). */
  rules(): RuleSet;
  serves(audience: Audience): boolean;
  staffInterfaceAllowed(staffInterface: string): boolean;
}

export interface ConnectorRoute {
  connector: PasswordConnector;
  /** Lower-case domains; undefined = every username. */
  domains?: readonly string[];
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

export function createRealm(config: RealmConfig, routes: readonly ConnectorRoute[], rules: () => RuleSet): Realm {
  const interfaces = new Set(config.staff.interfaces);
  return {
    id: config.id,
    config,
    connectorsFor: (username) => routeConnectors(routes, username),
    rules,
    serves: (audience) => config.audiences[audience],
    staffInterfaceAllowed(staffInterface) {
      // The Admin CP needs an explicit yes, even if someone lists it among the interfaces.
      if (staffInterface === 'admin') return config.staff.allowAdmin;
      return interfaces.has(staffInterface);
    },
  };
}
