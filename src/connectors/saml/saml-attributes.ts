import type { Identity } from '../../login/vocabulary.js';
import type { SamlAttributeMapping } from './saml-config.js';
import { NS, childElementsNamed, type XmlDocument } from './xml-dom.js';

/**
 * A verified assertion's attributes as the identity every connector returns. Attributes are found by `Name`
 * (often a URI such as urn:oid:0.9.2342.19200300.100.1.3) or by `FriendlyName` (`mail`), whichever the config
 * names; every attribute is multi-valued (an attribute with no value is absent). The claims rules see are
 * keyed by both names, each holding an array of strings.
 */
export interface AssertionAttribute {
  name: string;
  friendlyName: string | undefined;
  values: string[];
}

export interface AssertedSubject {
  nameId: string | undefined;
  nameIdFormat: string | undefined;
  attributes: AssertionAttribute[];
}

/** Reads NameID and the AttributeStatements of an assertion node-saml has verified. */
export function readAssertion(assertion: XmlDocument): AssertedSubject {
  const root = assertion.documentElement!;
  const subject = childElementsNamed(root, NS.saml, 'Subject')[0];
  const nameIdElement = subject ? childElementsNamed(subject, NS.saml, 'NameID')[0] : undefined;
  const attributes: AssertionAttribute[] = [];
  for (const statement of childElementsNamed(root, NS.saml, 'AttributeStatement')) {
    for (const attribute of childElementsNamed(statement, NS.saml, 'Attribute')) {
      const values = childElementsNamed(attribute, NS.saml, 'AttributeValue')
        .map((value) => value.textContent?.trim() ?? '')
        .filter((value) => value !== '');
      const name = attribute.getAttribute('Name');
      if (!name || values.length === 0) continue;
      attributes.push({ name, friendlyName: attribute.getAttribute('FriendlyName') || undefined, values });
    }
  }
  return {
    nameId: nameIdElement?.textContent?.trim() || undefined,
    nameIdFormat: nameIdElement?.getAttribute('Format') || undefined,
    attributes,
  };
}

/** Every value of the attribute called `name` (by Name first, then by FriendlyName), in document order. */
export function attributeValues(subject: AssertedSubject, name: string): string[] {
  const byName = subject.attributes.filter((a) => a.name === name);
  const found = byName.length > 0 ? byName : subject.attributes.filter((a) => a.friendlyName === name);
  return found.flatMap((a) => a.values);
}

function firstOf(subject: AssertedSubject, names: string[]): string | undefined {
  for (const name of names) {
    const [value] = name === 'nameId' ? [subject.nameId] : attributeValues(subject, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** The identity, or undefined when the configured subject (NameID or attribute) is missing. */
export function identityFromAssertion(
  subject: AssertedSubject,
  mapping: SamlAttributeMapping,
  context: { connectorId: string; issuer: string; typedUsername: string },
): Identity | undefined {
  const stableId = firstOf(subject, [mapping.subject]);
  if (stableId === undefined) return undefined;
  const claims: Record<string, unknown> = { issuer: context.issuer };
  if (subject.nameId !== undefined) claims['nameId'] = subject.nameId;
  if (subject.nameIdFormat !== undefined) claims['nameIdFormat'] = subject.nameIdFormat;
  for (const attribute of subject.attributes) {
    for (const key of [attribute.name, attribute.friendlyName]) {
      if (key === undefined || key === 'issuer' || key === 'nameId' || key === 'nameIdFormat') continue;
      const held = (claims[key] as string[] | undefined) ?? [];
      claims[key] = unique([...held, ...attribute.values]);
    }
  }
  const optional = (names: string[]) => firstOf(subject, names);
  const identity: Identity = {
    subject: stableId,
    username: firstOf(subject, [mapping.username]) ?? context.typedUsername,
    emails: unique(mapping.emails.flatMap((name) => attributeValues(subject, name)).map((e) => e.toLowerCase())),
    groups: unique(mapping.groups.flatMap((name) => attributeValues(subject, name))),
    claims,
    connectorId: context.connectorId,
  };
  const givenName = optional(mapping.givenName);
  const familyName = optional(mapping.familyName);
  const displayName = optional(mapping.displayName) ?? ([givenName, familyName].filter(Boolean).join(' ') || undefined);
  const phone = optional(mapping.phone);
  if (givenName !== undefined) identity.givenName = givenName;
  if (familyName !== undefined) identity.familyName = familyName;
  if (displayName !== undefined) identity.displayName = displayName;
  if (phone !== undefined) identity.phone = phone;
  return identity;
}
