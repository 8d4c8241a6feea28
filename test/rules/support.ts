import type { Audience, Identity } from '../../src/login/vocabulary.js';
import type { RuleInput } from '../../src/rules/index.js';

export function identity(overrides: Partial<Identity> = {}): Identity {
  return {
    subject: 'sub-1',
    username: 'jdoe',
    emails: ['john.doe@example.com'],
    givenName: 'John',
    familyName: 'Doe',
    displayName: 'John Doe',
    groups: [],
    claims: {},
    connectorId: 'corp',
    ...overrides,
  };
}

export function login(
  audience: Audience,
  overrides: Partial<Identity> = {},
  extra: { staffInterface?: string; realmId?: string } = {},
): RuleInput {
  return {
    audience,
    identity: identity(overrides),
    realmId: extra.realmId ?? 'main',
    ...(audience === 'staff' ? { staffInterface: extra.staffInterface ?? 'staff' } : {}),
  };
}
