import type { PasswordConnector } from '../../login/password-connector.js';
import type { LoginOutcome } from '../../login/vocabulary.js';
import { normalizeLoginName, type SignInCodeStore } from '../../signin/code-store.js';
import { parseSignInCode } from '../../signin/sign-in-code.js';

/**
 * One-time Kayako sign-in codes (made on the realm's /signin page after a browser sign-in) in place of the
 * password. Consulted before the realm's other connectors: a password that is not code-shaped passes on to them
 * as `unknown_user`; a code-shaped one is decided here and never reaches the IdP. As a connector it sits behind
 * the realm's rate limits and lockout (a wrong code counts as a wrong password), and its identity goes through
 * the rules like any other.
 *
 * A code is spent by any attempt that names it — also one with another username, which is then refused — so a
 * code seen by someone else is worth one guess at the username, no more.
 */
export const SIGNIN_CODE_CONNECTOR_ID = 'signin:code';

export function createSignInCodeConnector(store: SignInCodeStore): PasswordConnector {
  return {
    id: SIGNIN_CODE_CONNECTOR_ID,
    type: 'signin-code',
    async login(attempt): Promise<LoginOutcome> {
      const code = parseSignInCode(attempt.password);
      if (code === undefined) return { kind: 'unknown_user' };
      const grant = await store.redeem(attempt.realmId, attempt.audience, code);
      if (grant === undefined || !grant.loginNames.includes(normalizeLoginName(attempt.username))) return { kind: 'invalid_credentials' };
      return { kind: 'ok', identity: grant.identity };
    },
  };
}
