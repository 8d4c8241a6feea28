import { parseArgs } from 'node:util';
import { compareRules, formatImpactTable } from '../impact/rules-diff.js';
import { loadIdentitySample, parseJsonLines, type SampleIdentity } from '../impact/sample.js';
import { loadRulesFile, parseRules, type RuleSet } from '../rules/index.js';
import { describe } from './check.js';
import type { CliCommand, CliIO } from './cli-io.js';

const HELP = `Usage: loginshare-bridge diff OLD-RULES NEW-RULES --identities FILE [options]
       loginshare-bridge diff --live OPS-URL --realm ID NEW-RULES [--identities FILE] [options]

Impact preview of a rules change: replays a sample of identities against the
old and the new rules and lists everyone whose answer would change (user group,
team, organization, designation, or a start or end of being denied).

  --identities FILE  the sample: JSON Lines (what the identity log exports) or a
                     YAML / JSON list; with --live, defaults to the realm's identity log
  --live URL         take the old rules (and the sample) from a running bridge's ops
                     port, e.g. http://loginshare-bridge-ops:9090 (needs ops.adminToken)
  --realm ID         the realm (with --live: required); sample entries without a realm
                     are taken to come through it
  --token-env VAR    environment variable holding ops.adminToken (default
                     LOGINSHARE_OPS_ADMIN_TOKEN); never given on the command line
  --json             machine-readable report
  --all              also list the identities whose answer stays the same
  --fail-on-change   exit 1 when any answer would change (for CI)

Reference: docs/impact-preview.md.
`;

/** A running bridge has 10 s to answer; a preview is not worth waiting longer for. */
const LIVE_TIMEOUT_MS = 10_000;

export const runDiff: CliCommand = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      identities: { type: 'string' },
      live: { type: 'string' },
      realm: { type: 'string' },
      'token-env': { type: 'string' },
      json: { type: 'boolean' },
      all: { type: 'boolean' },
      'fail-on-change': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const live = values.live;
  if (live ? positionals.length !== 1 : positionals.length !== 2) {
    return usage(io, live ? 'with --live, give only the new rules file' : 'give the old and the new rules file');
  }
  if (live && !values.realm) return usage(io, '--live needs --realm ID');
  if (!live && !values.identities) return usage(io, 'give the sample with --identities FILE');

  try {
    let oldRules: RuleSet;
    let sample: SampleIdentity[];
    if (live) {
      const client = liveClient(live, values.realm!, io.env[values['token-env'] ?? 'LOGINSHARE_OPS_ADMIN_TOKEN']);
      oldRules = parseRules(await client.get('rules'), `${live} realm ${values.realm} (live)`);
      sample = values.identities ? await loadIdentitySample(values.identities) : parseJsonLines(await client.get('identities'), `${live} realm ${values.realm} identity log`);
    } else {
      oldRules = await loadRulesFile(positionals[0]!);
      sample = await loadIdentitySample(values.identities!);
    }
    const newRules = await loadRulesFile(positionals[positionals.length - 1]!);
    const report = compareRules(oldRules, newRules, sample, values.realm ?? 'default');
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ ...report, unchanged: values.all ? report.unchanged : report.unchanged.length }, null, 2)}\n`);
    } else {
      io.stdout.write(formatImpactTable(report, values.all ? { all: true } : {}));
    }
    return values['fail-on-change'] && report.changed.length > 0 ? 1 : 0;
  } catch (err) {
    io.stderr.write(`${describe(err)}\n`);
    return 1;
  }
};

function liveClient(base: string, realmId: string, token: string | undefined) {
  return {
    async get(what: 'rules' | 'identities'): Promise<string> {
      if (!token) throw new Error('no admin token: set LOGINSHARE_OPS_ADMIN_TOKEN (or the variable named by --token-env) to ops.adminToken');
      const url = new URL(`admin/realms/${encodeURIComponent(realmId)}/${what}`, base.endsWith('/') ? base : `${base}/`);
      let response: Response;
      try {
        response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(LIVE_TIMEOUT_MS), redirect: 'error' });
      } catch (err) {
        throw new Error(`${url.origin}: ${err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message}`);
      }
      const body = await response.text();
      if (response.status === 401) throw new Error(`${url.origin}: the admin token was refused (check ops.adminToken)`);
      if (response.status === 404 && body.startsWith('404')) throw new Error(`${url.origin}: no admin endpoints (is ops.adminToken set on the bridge?)`);
      if (!response.ok) throw new Error(`${url.origin}: ${response.status} ${errorText(body)}`);
      return body;
    },
  };
}

function errorText(body: string): string {
  try {
    return String((JSON.parse(body) as { error?: unknown }).error ?? body);
  } catch {
    return body.slice(0, 200);
  }
}

function usage(io: CliIO, message: string): number {
  io.stderr.write(`diff: ${message}\n\n${HELP}`);
  return 2;
}
