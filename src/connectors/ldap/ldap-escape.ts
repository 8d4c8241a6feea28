import { Filter } from 'ldapts';

/**
 * What a person types goes into filters and DNs only escaped, so `*`, `)(uid=*` or `,ou=admins` are matched as
 * text and never read as syntax.
 */

/** A filter from an operator's template, each `{name}` replaced by its value escaped as RFC 4515 says (ldapts). */
export function fillFilter(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z]+)\}/gi, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`filter placeholder ${whole} has no value`);
    return Filter.escape(value);
  });
}

/**
 * An attribute value escaped for a DN string (RFC 4514 §2.4): `"+,;<>\` always, `#` and space at the start,
 * space at the end, NUL as `\00`. ldapts' own RDN escaping quotes values with outer spaces (the older RFC 2253
 * form), which RFC 4514 no longer allows, and leaves NUL alone.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\0') out += '\\00';
    else if ('"+,;<>\\='.includes(char)) out += `\\${char}`;
    else if ((char === '#' || char === ' ') && i === 0) out += `\\${char}`;
    else if (char === ' ' && i === value.length - 1) out += '\\ ';
    else out += char;
  }
  return out;
}

/** The bind name from the operator's template: as an RDN value in a DN template, escaped; see `bindNameFor`. */
export function fillDnTemplate(template: string, username: string): string {
  return template.split('{username}').join(escapeDnValue(username));
}

/**
 * Characters no sAMAccountName or userPrincipalName may hold (Microsoft: `" / \ [ ] : ; | = , + * ? < >`);
 * a non-DN bind template (`{username}@corp.example`, `CORP\{username}`) refuses them instead of escaping, since
 * such a bind name has no escaping rules of its own.
 */
const NOT_IN_LOGON_NAMES = /["/\\[\]:;|=,+*?<>\u0000-\u001f]/;

export function logonNameAllowed(username: string): boolean {
  return !NOT_IN_LOGON_NAMES.test(username);
}
