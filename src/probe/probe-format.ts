import type { ProbeReport } from './probe.js';

/** The probe report as a person reads it in a terminal. */
export function formatProbeReport(report: ProbeReport): string {
  const lines: string[] = [];
  const sent = Object.entries(report.sent)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join('  ');
  lines.push(`Probed ${report.url} as Kayako 4 does (${report.audience} LoginShare POST)`);
  lines.push(`  sent: ${sent}`);
  lines.push(`  got:  ${describeHttp(report.http)}`);
  lines.push('');

  const { verdict } = report;
  if (verdict.accepted) {
    lines.push('Verdict: Kayako ACCEPTS this login');
    const fields: [string, string | undefined][] =
      verdict.audience === 'user'
        ? [
            ['user group', verdict.user.usergroup],
            ['full name', verdict.user.fullname],
            ['emails', verdict.user.emails.join(', ')],
            ['designation', verdict.user.designation],
            ['organization', verdict.user.organization],
            ['org. type', verdict.user.organization === undefined ? undefined : verdict.user.organizationtype],
            ['phone', verdict.user.phone],
          ]
        : [
            ['team', verdict.staff.team],
            ['first name', verdict.staff.firstname],
            ['last name', verdict.staff.lastname],
            ['email', verdict.staff.email],
            ['designation', verdict.staff.designation],
            ['mobile', verdict.staff.mobilenumber],
            ['signature', verdict.staff.signature],
          ];
    for (const [label, value] of fields) {
      if (value !== undefined) lines.push(`  ${`${label}:`.padEnd(14)}${JSON.stringify(value)}`);
    }
  } else {
    lines.push('Verdict: Kayako REFUSES this login');
    lines.push(`  the person sees: ${JSON.stringify(verdict.kayakoMessage)}`);
    lines.push(`  why (${verdict.code}): ${verdict.reason}`);
  }
  pushSection(lines, 'What Kayako would do', report.kayakoActions);
  pushSection(lines, 'Warnings', verdict.warnings);
  pushSection(lines, 'Transport', report.notes);
  return lines.join('\n') + '\n';
}

function describeHttp(http: ProbeReport['http']): string {
  if (http.networkError !== undefined) return `no answer (${http.networkError}) after ${http.elapsedMs} ms`;
  const parts = [http.status === undefined ? 'no status' : `HTTP ${http.status}`];
  if (http.contentType !== undefined) parts.push(http.contentType);
  parts.push(`${http.bodyBytes} bytes in ${http.elapsedMs} ms`);
  if (http.timedOut) parts.push('TIMED OUT');
  return parts.join(', ');
}

function pushSection(lines: string[], title: string, items: readonly string[]): void {
  if (items.length === 0) return;
  lines.push('');
  lines.push(`${title}:`);
  for (const item of items) lines.push(`  - ${item}`);
}
