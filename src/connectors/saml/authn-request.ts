import type { SAML } from '@node-saml/node-saml';
import { signAuthnRequestPost } from '@node-saml/node-saml/lib/saml-post-signing.js';
import type { SamlRequestSigning } from './saml-config.js';

export interface BuiltAuthnRequest {
  /** The request's ID: the answer's InResponseTo must be exactly this. */
  id: string;
  /** The AuthnRequest element, serialized without an XML declaration (it goes inside another document). */
  xml: string;
}

const HTTP_POST_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
export const PAOS_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:PAOS';

/**
 * An AuthnRequest made by node-saml (which also records its ID for the InResponseTo check). node-saml names the
 * HTTP-POST binding as `ProtocolBinding`; an ECP request names PAOS (SAML 2.0 Profiles §4.2.4.2, and Shibboleth
 * refuses a binding its ECP profile does not speak), so `protocolBinding` replaces it — before the request is
 * signed, with node-saml's own signer, when `signing` is given.
 */
export async function buildAuthnRequest(saml: SAML, options: { protocolBinding?: string; signing?: SamlRequestSigning | undefined } = {}): Promise<BuiltAuthnRequest> {
  const message = await saml.getAuthorizeMessageAsync('', undefined, {});
  const encoded = message['SAMLRequest'];
  if (typeof encoded !== 'string') throw new Error('node-saml made no SAMLRequest');
  let xml = Buffer.from(encoded, 'base64').toString('utf8').replace(/^<\?xml[^>]*\?>\s*/, '');
  const id = /^<samlp:AuthnRequest\b[^>]*\sID="([^"]+)"/.exec(xml)?.[1];
  if (id === undefined) throw new Error('node-saml made an AuthnRequest without an ID');
  if (options.protocolBinding && options.protocolBinding !== HTTP_POST_BINDING) {
    const binding = `ProtocolBinding="${HTTP_POST_BINDING}"`;
    if (!xml.includes(binding)) throw new Error('node-saml no longer names the HTTP-POST ProtocolBinding where expected');
    xml = xml.replace(binding, `ProtocolBinding="${options.protocolBinding}"`);
  }
  if (options.signing) {
    xml = signAuthnRequestPost(xml, {
      privateKey: options.signing.privateKey,
      publicCert: options.signing.certificate,
      signatureAlgorithm: options.signing.signatureAlgorithm,
      digestAlgorithm: options.signing.signatureAlgorithm,
    }).replace(/^<\?xml[^>]*\?>\s*/, '');
  }
  return { id, xml };
}
