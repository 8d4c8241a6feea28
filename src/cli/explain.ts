import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Audience, Identity } from '../login/vocabulary.js';
import { createConnector } from '../connectors/registry.js';
import { loadConfig } from '../config/load-config.js';
import { assertRulesFilesReadable } from '../config/rules-files.js';
import { answerIdentity, applyAccountPolicy, askConnectors, refusedByRealm, withRealmDenial } from '../loginshare/login-flow.js';
import { realmMessages } from '../loginshare/messages.js';
import { createRealm, routeConnectors } from '../realm/realm.js';
import { readYamlSource, validateYaml } from '../config/yaml-file.js';
import { explainRules, formatRuleTrace, loadRulesFile } from '../rules/index.js';
import type { CliCommand } from './cli-io.js';
import { describe } from './check.js';
import { resolveConfigPath } from './config-path.js';
import { readSecret } from './read-secret.js';

const HELP = `Usage: loginshare-bridge explain [--config FILE] [--realm ID] --audience user|staff
         [--interface NAME] (--identity FILE.json | --login USERNAME [--password-env VAR | --password-stdin])
         [--json]

Dry run of the rules: shows, rule by rule, which matched and why the others did
not, then the exact XML Kayako would receive.

  --identity FILE   a JSON identity: { "username": "...", "emails": ["..."], "groups": [...],
                    "claims": {...}, "givenName": "...", "familyName": "...", "displayName": "..." }
  --login USERNAME  a live login through the realm's connectors (the password is read from
                    a prompt, stdin or --password-env, never from the command line)
  --audience        user or staff: which of Kayako's two login forms (required)
  --interface NAME  staff only, required there: the Kayako interface (staff, admin, winapp, …);
                    the realm's staff.interfaces and allowAdmin apply as on the server
  --realm ID        defaults to the first realm of the config
  --typed NAME      with --identity: the username as the person types it at Kayako
                    (default: the identity's username), for staff.usernameForm

The realm's account settings apply first (staff.usernameForm, linking): the XML
shows the emails Kayako would really get.
`;

const identityFileSchema = z
  .object({
    username: z.string().min(1),
    subject: z.string().optional(),
    emails: z.array(z.string()).default([]),
    aliasEmails: z.array(z.string()).optional(),
    groups: z.array(z.string()).default([]),
    claims: z.record(z.string(), z.unknown()).default({}),
    givenName: z.string().optional(),
    familyName: z.string().optional(),
    displayName: z.string().optional(),
    phone: z.string().optional(),
    connectorId: z.string().default('explain'),
  })
  .strict();

export const runExplain: CliCommand = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      realm: { type: 'string' },
      audience: { type: 'string' },
      interface: { type: 'string' },
      identity: { type: 'string' },
      login: { type: 'string' },
      typed: { type: 'string' },
      'password-env': { type: 'string' },
      'password-stdin': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (values.audience === undefined) return usage(io, '--audience user|staff is required');
  const audience = values.audience as Audience;
  if (audience !== 'user' && audience !== 'staff') return usage(io, `--audience must be user or staff, not "${values.audience}"`);
  if (audience === 'staff' && !values.interface?.trim()) return usage(io, '--interface NAME is required with --audience staff (Kayako sends it with every staff login)');
  if (audience === 'user' && values.interface !== undefined) return usage(io, '--interface is for --audience staff only');
  if (!values.identity === !values.login) return usage(io, 'give exactly one of --identity FILE or --login USERNAME');

  try {
    const config = await loadConfig(resolveConfigPath(values.config, io.env).path, io.env);
    await assertRulesFilesReadable(config);
    const realm = values.realm ? config.realms.find((r) => r.id === values.realm) : config.realms[0];
    if (!realm) return usage(io, `no realm "${values.realm}" in ${config.file}`);
    const staffInterface = audience === 'staff' ? values.interface!.trim().toLowerCase() : undefined;
    const rules = await loadRulesFile(realm.rulesPath);

    // The realm refuses some logins before any connector or rule is asked, exactly as the server does.
    const refused = refusedByRealm(createRealm(realm, [], () => rules), audience, staffInterface);
    if (refused) {
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ refusedByRealm: refused.detail, outcome: refused.outcome, xml: refused.xml }, null, 2)}\n`);
      } else {
        io.stdout.write(`realm ${realm.id} refuses this login before any connector or rule: ${refused.detail}${staffInterface !== undefined ? ' (see its staff.interfaces and allowAdmin)' : ''}\n`);
        io.stdout.write(`\nKayako would receive (${refused.outcome}):\n${refused.xml}`);
      }
      return 1;
    }

    let identity: Identity;
    if (values.identity) {
      // Read as YAML (JSON is YAML), so a problem is reported with the file's name, line and field.
      const raw = validateYaml(await readYamlSource(values.identity), identityFileSchema);
      identity = { ...raw, subject: raw.subject ?? raw.username };
    } else {
      const password = await readSecret(io, { env: values['password-env'], stdin: values['password-stdin'] }, 'Password: ');
      if (!password) return usage(io, 'no password given');
      const routes = await Promise.all(realm.connectors.map(async (route) => ({
        connector: await createConnector(config.connectors.find((c) => c.id === route.use)!, {}),
        ...(route.domains ? { domains: route.domains } : {}),
      })));
      const username = values.login!;
      const attempt = { username, password, endUserIp: '', audience, realmId: realm.id, ...(staffInterface ? { staffInterface } : {}) };
      const { outcome, connectorId } = await askConnectors(routeConnectors(routes, username), attempt, {
        loginTimeoutMs: config.server.loginTimeoutMs,
      });
      if (connectorId === undefined) {
        io.stdout.write(`no connector of realm ${realm.id} knows the username "${username}"\n`);
      } else {
        const detail = 'detail' in outcome && outcome.detail ? ` (${outcome.detail})` : 'cause' in outcome ? ` (${outcome.cause.message})` : '';
        io.stdout.write(`connector ${connectorId}: ${outcome.kind}${detail}\n`);
      }
      const found: Identity | undefined = outcome.kind === 'ok' ? outcome.identity : undefined;
      await Promise.all(routes.map((r) => r.connector.close?.()));
      if (!found) {
        io.stdout.write('login failed: Kayako would show the failure message; no rules were evaluated.\n');
        return 1;
      }
      identity = found;
    }

    const messages = realmMessages(realm);
    const typed = values.login ?? values.typed ?? identity.username;
    const checked = applyAccountPolicy({ config: realm }, { audience, username: typed }, identity, messages, identity.connectorId);
    if ('xml' in checked) {
      io.stdout.write(`refused by the realm's account settings before the rules (${checked.outcome}${checked.detail ? `: ${checked.detail}` : ''})
`);
      io.stdout.write(`
Kayako would receive (${checked.outcome}):
${checked.xml}`);
      return 0;
    }
    identity = checked.identity;
    const trace = explainRules(rules, { audience, identity, realmId: realm.id, ...(staffInterface ? { staffInterface } : {}) });
    const answer = answerIdentity(audience, identity, withRealmDenial(rules, trace.decision, messages), identity.connectorId, messages);
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ identity: { ...identity, claims: Object.keys(identity.claims) }, trace, outcome: answer.outcome, xml: answer.xml }, null, 2)}\n`);
    } else {
      io.stdout.write(`identity: ${identity.username} (${identity.emails.join(', ') || 'no verified email'}), groups: ${identity.groups.join(', ') || 'none'}\n`);
      io.stdout.write(formatRuleTrace(trace));
      io.stdout.write(`\nKayako would receive (${answer.outcome}):\n${answer.xml}`);
    }
    return 0;
  } catch (err) {
    io.stderr.write(`${describe(err)}\n`);
    return 1;
  }
};

function usage(io: Parameters<CliCommand>[1], message: string): number {
  io.stderr.write(`explain: ${message}\n\n${HELP}`);
  return 2;
}

