import { describe, expect, it } from 'vitest';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { createRealm, routeConnectors } from '../../src/realm/realm.js';
import { realmSchema } from '../../src/config/schema.js';

const connector = (id: string): PasswordConnector => ({ id, type: 'test', login: async () => ({ kind: 'unknown_user' }) });
const breakglass = connector('breakglass');
const entra = connector('contoso-entra');
const keycloak = connector('keycloak');
const routes = [{ connector: breakglass }, { connector: entra, domains: ['contoso.com'] }, { connector: keycloak }];
const ids = (username: string) => routeConnectors(routes, username).map((c) => c.id);

describe('choosing connectors by the username', () => {
  it('sends @contoso.com to the Entra tenant, after the break-glass accounts', () => {
    expect(ids('alice@contoso.com')).toEqual(['breakglass', 'contoso-entra']);
    expect(ids('Alice@CONTOSO.com')).toEqual(['breakglass', 'contoso-entra']);
  });

  it('sends everyone else to the catch-all', () => {
    expect(ids('bob@fabrikam.com')).toEqual(['breakglass', 'keycloak']);
    expect(ids('bob')).toEqual(['breakglass', 'keycloak']);
    expect(ids('x@sub.contoso.com')).toEqual(['breakglass', 'keycloak']);
  });
});

describe('staff interfaces', () => {
  const base = { id: 'r', secret: 'x'.repeat(16), rules: 'rules.yaml', connectors: [{ use: 'a' }] };
  it('refuses the Admin CP unless the realm allows it explicitly', () => {
    const closed = createRealm(realmSchema.parse({ ...base, staff: { interfaces: ['staff', 'admin'] } }), [], () => { throw new Error('unused'); });
    expect(closed.staffInterfaceAllowed('staff')).toBe(true);
    expect(closed.staffInterfaceAllowed('admin')).toBe(false);
    const open = createRealm(realmSchema.parse({ ...base, staff: { allowAdmin: true } }), [], () => { throw new Error('unused'); });
    expect(open.staffInterfaceAllowed('admin')).toBe(true);
  });

  it('allows only the configured interfaces', () => {
    const realm = createRealm(realmSchema.parse({ ...base, staff: { interfaces: ['staff'] } }), [], () => { throw new Error('unused'); });
    expect(realm.staffInterfaceAllowed('staff')).toBe(true);
    expect(realm.staffInterfaceAllowed('winapp')).toBe(false);
  });
});
