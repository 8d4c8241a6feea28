import { z } from 'zod';
import { closedObject } from '../rules/schema.js';

/**
 * The shape of a rule-test file: identities and what the rules must decide for them. Checked like a rules file
 * (unknown keys are errors at their own line), and published as schema/rule-tests.schema.json for editors.
 */

const text = z.string().min(1, 'must not be empty');

/** A profile value the rules must produce; `null` asserts the field is not sent at all. */
const expectedValue = (what: string) => z.string().nullable().optional().describe(`${what} Exact text after templates; null = not sent.`);

export const identityCaseSchema = closedObject({
  username: text.optional().describe('The username as the IdP knows it. Default: the case name.'),
  subject: text.optional().describe('The IdP-unique id (OIDC sub, LDAP DN). Default: the username.'),
  emails: z.array(text).optional().describe('Verified emails, primary first.'),
  groups: z.array(text).optional().describe('Group names, paths or ids exactly as the connector reports them.'),
  claims: z.record(z.string(), z.unknown()).optional().describe('Claims or attributes, for `when.claims` and templates.'),
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  displayName: z.string().optional(),
  phone: z.string().optional(),
  connector: text.optional().describe('Id of the connector that checked the password. Default: the file\'s `connector`, else "test".'),
}).describe('Who signs in, as a connector would report them.');

export const expectationSchema = closedObject({
  deny: z
    .union([text, z.literal(true)])
    .optional()
    .describe('The login must be refused: with exactly this message, or (true) with any message.'),
  rule: z.string().nullable().optional().describe('Name of the rule that must decide; null = no rule matches (unmatched applies).'),
  usergroup: expectedValue('User logins: the Kayako user group.'),
  organization: expectedValue('User logins: the organization.'),
  organizationtype: z.enum(['shared', 'restricted']).nullable().optional().describe('User logins: the organization type; null = not sent.'),
  team: expectedValue('Staff logins: the Kayako staff team.'),
  designation: expectedValue('The designation (job title).'),
  signature: expectedValue('Staff logins: the signature.'),
}).describe('What the rules must decide. Either `deny`, or the profile fields to compare (unlisted fields are not checked).');

export const ruleTestCaseSchema = closedObject({
  name: text.describe('Shown in the report and in the JUnit file; unique within the file.'),
  audience: z.enum(['user', 'staff']).optional().describe('user (default): the support center; staff: the staff desk.'),
  interface: text.optional().describe('Staff logins: Kayako\'s interface (staff, admin, winapp, …). Default: staff.'),
  realm: text.optional().describe('Realm id the login comes through. Default: the file\'s `realm`, else "test".'),
  identity: identityCaseSchema.optional(),
  expect: expectationSchema,
});

export const ruleTestFileSchema = closedObject({
  rules: text.optional().describe('The rules file these cases test, relative to this file. `loginshare-bridge test --rules` overrides it.'),
  realm: text.optional().describe('Default realm id of the cases.'),
  connector: text.optional().describe('Default connector id of the cases\' identities.'),
  cases: z.array(ruleTestCaseSchema).min(1, 'list at least one case').describe('Each an identity and the decision the rules must reach for it.'),
}).describe('loginshare-bridge rule tests: identities and the outcome the rules file must give each.');

export type RuleTestFileDocument = z.output<typeof ruleTestFileSchema>;
export type RuleTestCaseDocument = z.output<typeof ruleTestCaseSchema>;
export type ExpectationDocument = z.output<typeof expectationSchema>;
