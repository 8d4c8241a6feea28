import type { Audience, Identity } from '../login/vocabulary.js';

/** One login, as the rules see it. */
export interface RuleInput {
  audience: Audience;
  identity: Identity;
  /** Staff logins only: Kayako's `interface` form field (lower case). */
  staffInterface?: string;
  realmId: string;
}
