import type { PasswordConnector } from '../../login/password-connector.js';
import type { LoginOutcome } from '../../login/vocabulary.js';
import { parseAppPassword, type AppPasswordStore } from '../../signin/app-passwords.js';
import { normalizeLoginName } from '../../signin/code-store.js';

/**
 * App passwords (made on the sign-in page) in place of the password, for staff logins from the interfaces they
 * were made for (the Kayako desktop and mobile apps, the staff API). Like the sign-in code connector it is asked
 * before the realm's other connectors, passes any password not of the app-password shape on, and sits behind the
 * rate limits and lockout.
 */
export const APP_PASSWORD_CONNECTOR_ID = 'signin:app-password';

export function createAppPasswordConnector(store: AppPasswordStore): PasswordConnector {
  return {
    id: APP_PASSWORD_CONNECTOR_ID,
    type: 'app-password',
    async login(attempt): Promise<LoginOutcome> {
      const password = parseAppPassword(attempt.password);
      if (password === undefined) return { kind: 'unknown_user' };
      if (attempt.audience !== 'staff') return { kind: 'invalid_credentials' };
      const grant = await store.find(attempt.realmId, password);
      if (
        grant === undefined ||
        !grant.interfaces.includes(attempt.staffInterface ?? '') ||
        !grant.loginNames.includes(normalizeLoginName(attempt.username))
      ) {
        return { kind: 'invalid_credentials' };
      }
      return { kind: 'ok', identity: grant.identity };
    },
  };
}
