import { z } from 'zod';

/**
 * The shape of a rules file, as operators write it. This module only describes structure (it also feeds the
 * editor JSON Schema); the checks that need the whole file — duplicate names, audiences, regexes, templates —
 * live in compile.ts.
 */

/** Catch-all schemas that turn an unknown key into an error at that key (see `closedObject`). */
const unknownKeyCatchers = new WeakSet<z.ZodType>();

/**
 * An object that rejects unknown keys, so a typo (`grups:`) is an error instead of a silently ignored line.
 * zod's own strictObject reports unknown keys at the enclosing object; this reports each at its own line and
 * lists the keys that are allowed there.
 */
export function closedObject<T extends z.ZodRawShape>(shape: T) {
  const expected = Object.keys(shape).join(', ');
  const unknownKey = z.unknown().superRefine((_value, ctx) => {
    ctx.addIssue({ code: 'custom', message: `unknown key (expected one of: ${expected})` });
  });
  unknownKeyCatchers.add(unknownKey);
  return z.object(shape).catchall(unknownKey);
}

/** For the JSON Schema generator: objects built by `closedObject` are `additionalProperties: false`. */
export function isClosedObjectCatchall(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && unknownKeyCatchers.has(schema as z.ZodType);
}

const text = z.string().min(1, 'must not be empty');
const list = (what: string) => z.array(text).min(1, `list at least one ${what}`);
const profileText = (description: string) => text.max(1000).describe(`${description} Templates such as {{ claims.x }} allowed.`);

const usergroup = profileText('Kayako user group title (exact, registered type).');
const organization = profileText('Organization name for new users.');
const organizationtype = z.enum(['shared', 'restricted']).describe('Organization type for new users.');
const designation = profileText('Designation (job title).');
const team = profileText('Kayako staff team title (exact); applied when Kayako creates the staff account.');
const signature = profileText('Staff signature.');

/** Everything a rule may set; which fields apply depends on the audience (checked in compile.ts). */
export const profileSetSchema = closedObject({
  usergroup: usergroup.optional(),
  organization: organization.optional(),
  organizationtype: organizationtype.optional(),
  team: team.optional(),
  designation: designation.optional(),
  signature: signature.optional(),
}).describe('Profile fields this rule sets over the defaults. `set: {}` allows with the defaults.');

const defaultsSchema = closedObject({
  user: closedObject({
    usergroup: usergroup.optional(),
    organization: organization.optional(),
    organizationtype: organizationtype.optional(),
    designation: designation.optional(),
  }).optional(),
  staff: closedObject({
    team: team.optional(),
    designation: designation.optional(),
    signature: signature.optional(),
  }).optional(),
}).describe('Profile values used when a matching rule does not set them, and for unmatched logins set to "default".');

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const claimTestSchema = closedObject({
  equals: scalar.optional().describe('The claim (or any element of an array claim) equals this value.'),
  in: z.array(scalar).min(1, 'list at least one value').optional().describe('The claim equals one of these values.'),
  regex: text.optional().describe('The whole claim value matches this JavaScript regular expression.'),
  exists: z.boolean().optional().describe('true: the claim is present and not null; false: it is absent or null.'),
  ignoreCase: z.boolean().optional().describe('Compare equals / in / regex case-insensitively.'),
});

export const conditionsSchema = closedObject({
  groups: closedObject({
    any: list('group').optional().describe('At least one of these groups.'),
    all: list('group').optional().describe('Every one of these groups.'),
    none: list('group').optional().describe('None of these groups.'),
    match: z
      .enum(['exact', 'last-segment'])
      .optional()
      .describe('exact (default): whole group name or path; last-segment: compare with the last segment of a path like /corp/support.'),
  }).optional(),
  claims: z
    .record(text, claimTestSchema)
    .optional()
    .describe('Claim tests keyed by claim name or dotted path (address.country).'),
  email_domain: list('domain')
    .optional()
    .describe('Domain of the primary email: example.com exactly, *.example.com for its subdomains.'),
  interface: closedObject({
    in: list('interface').optional(),
    not: list('interface').optional(),
  })
    .optional()
    .describe('Kayako staff interface (staff, admin, winapp, mobile, staffapi, api, intranet, pda). Staff rules only.'),
  connector: list('connector id').optional().describe('The connector that checked the password.'),
  realm: list('realm id').optional().describe('The realm (Kayako) the login came through.'),
});

export const ruleSchema = closedObject({
  name: z
    .string({ error: (issue) => (issue.input === undefined ? 'every rule needs a name' : undefined) })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit')
    .describe('Unique name; appears in audit lines and in `explain`.'),
  description: z.string().optional(),
  audience: z.enum(['user', 'staff']).optional().describe('Omit to apply to both user and staff logins.'),
  when: conditionsSchema.optional().describe('All listed conditions must hold; omit to match every login.'),
  set: profileSetSchema.optional(),
  deny: text.max(1000).optional().describe('Refuse the login; Kayako shows this message on its login page.'),
});

export const rulesFileSchema = closedObject({
  defaults: defaultsSchema.optional(),
  unmatched: closedObject({
    user: z.enum(['default', 'deny']).optional().describe('default (the default): allow with defaults.user.'),
    staff: z.enum(['default', 'deny']).optional().describe('deny (the default): staff need a matching rule.'),
  })
    .optional()
    .describe('What happens to a login no rule matches.'),
  unmatchedMessage: text.max(1000).optional().describe('Message for unmatched logins that are denied.'),
  rules: z.array(ruleSchema).optional().describe('Checked in order; the first rule that matches the login decides.'),
}).describe('loginshare-bridge rules file: maps an authenticated identity to a Kayako profile, or denies.');

export type RulesDocument = z.output<typeof rulesFileSchema>;
export type RuleDocument = z.output<typeof ruleSchema>;
export type ConditionsDocument = z.output<typeof conditionsSchema>;
export type ProfileSetDocument = z.output<typeof profileSetSchema>;
