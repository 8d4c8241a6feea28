import { DOMParser, XMLSerializer } from '@xmldom/xmldom';

/**
 * The few DOM members the SAML code reads, typed here: @xmldom/xmldom's own typings pull the browser's DOM library
 * into the whole program, where its fetch types clash with Node's (xmldom.d.ts types the package with these).
 */
export interface XmlNode {
  readonly nodeType: number;
  readonly firstChild: XmlNode | null;
  readonly nextSibling: XmlNode | null;
  readonly textContent: string | null;
}

export interface XmlAttribute {
  readonly name: string;
  readonly value: string;
}

export interface XmlElement extends XmlNode {
  readonly namespaceURI: string | null;
  readonly localName: string;
  readonly attributes: { readonly length: number; item(index: number): XmlAttribute | null };
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  setAttribute(name: string, value: string): void;
  setAttributeNS(namespace: string, qualifiedName: string, value: string): void;
  getElementsByTagNameNS(namespace: string, localName: string): { readonly length: number; item(index: number): XmlElement | null };
}

export interface XmlDocument extends XmlNode {
  readonly documentElement: XmlElement | null;
  getElementsByTagNameNS(namespace: string, localName: string): { readonly length: number; item(index: number): XmlElement | null };
}

/**
 * Strict XML parsing for what an IdP sends: any parser error or warning refuses the document, and so does a
 * DOCTYPE (entity tricks have no place in SAML, which forbids DTDs).
 */
export class XmlRefused extends Error {
  readonly code = 'ERR_SAML_XML_REFUSED';
}

export function parseStrictXml(text: string): XmlDocument {
  if (/<!DOCTYPE/i.test(text)) throw new XmlRefused('the document has a DOCTYPE, which SAML forbids');
  const refuse = (message: string) => {
    throw new XmlRefused(`not well-formed XML: ${message.split('\n')[0]}`);
  };
  const document = new DOMParser({ errorHandler: { warning: refuse, error: refuse, fatalError: refuse } }).parseFromString(text, 'text/xml');
  if (!document.documentElement) throw new XmlRefused('no root element');
  return document;
}

export function serializeXml(node: XmlNode): string {
  return new XMLSerializer().serializeToString(node);
}

export function childElements(node: XmlNode): XmlElement[] {
  const found: XmlElement[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 1) found.push(child as XmlElement);
  }
  return found;
}

export function childElementsNamed(node: XmlNode, namespace: string, localName: string): XmlElement[] {
  return childElements(node).filter((e) => e.namespaceURI === namespace && e.localName === localName);
}

/** Whether `node` or anything below it is an XML comment. */
export function containsComment(node: XmlNode): boolean {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 8 || containsComment(child)) return true;
  }
  return false;
}

export const NS = {
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ecp: 'urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp',
  paos: 'urn:liberty:paos:2003-08',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const;
