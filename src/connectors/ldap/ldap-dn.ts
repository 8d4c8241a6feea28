/**
 * Reading DNs the server sent (memberOf values, entry DNs): the value of the first RDN (`cn=Support,ou=…` →
 * `Support`) with RFC 4514 escapes undone, and the `dc=` suffix as a search base of last resort.
 */
export function firstRdnValue(dn: string): string | undefined {
  const end = unescapedIndexOf(dn, ',');
  const rdn = end < 0 ? dn : dn.slice(0, end);
  // A multi-valued RDN (`cn=a+uid=b`) names the entry by its first value.
  const plus = unescapedIndexOf(rdn, '+');
  const first = plus < 0 ? rdn : rdn.slice(0, plus);
  const eq = first.indexOf('=');
  if (eq < 0) return undefined;
  return unescapeDnValue(first.slice(eq + 1).trim());
}

/** `dc=corp,dc=example` from any DN under it. */
export function domainSuffix(dn: string): string | undefined {
  const parts = splitRdns(dn);
  const at = parts.findIndex((rdn) => /^dc=/i.test(rdn.trim()));
  return at < 0 ? undefined : parts.slice(at).map((p) => p.trim()).join(',');
}

/** DNs compare case-insensitively, without the spaces some servers put after commas. */
export function normalizeDn(dn: string): string {
  return splitRdns(dn)
    .map((rdn) => rdn.trim().toLowerCase())
    .join(',');
}

function splitRdns(dn: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] === '\\') i++;
    else if (dn[i] === ',') {
      parts.push(dn.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(dn.slice(start));
  return parts;
}

function unescapedIndexOf(text: string, char: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === char) return i;
  }
  return -1;
}

function unescapeDnValue(value: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\\' && /^[0-9a-f]{2}$/i.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (char === '\\' && i + 1 < value.length) {
      bytes.push(...encoder.encode(value[i + 1]!));
      i += 1;
    } else {
      bytes.push(...encoder.encode(char));
    }
  }
  const text = new TextDecoder().decode(new Uint8Array(bytes));
  return text.startsWith('"') && text.endsWith('"') && text.length >= 2 ? text.slice(1, -1) : text;
}
