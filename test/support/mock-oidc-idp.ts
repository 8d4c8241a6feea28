import { OAuth2Server } from 'oauth2-mock-server';

/**
 * A real third-party OIDC server (oauth2-mock-server) on loopback, made to behave like a directory:
 * oauth2-mock-server grants every password (field notes), so a `beforeResponse` hook checks the password
 * against `users` and answers `invalid_grant` like Keycloak does; `beforeTokenSigning` puts each user's claims
 * into the ID token. Tests can script one-off error bodies and token tampering.
 */
export interface MockUser {
  password: string;
  claims: Record<string, unknown>;
}

export interface MockOidcIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  server: OAuth2Server;
  users: Map<string, MockUser>;
  /** How many token requests reached the IdP (each login is one). */
  tokenRequests(): number;
  /** The next token response is this error (status + JSON body). */
  failNextWith(status: number, body: Record<string, unknown>): void;
  /** Edits the next ID token's claims before it is signed. */
  tamperNextIdToken(edit: (payload: Record<string, unknown>) => void): void;
  /** Replaces the next ID token with this compact JWT. */
  replaceNextIdToken(jwt: string): void;
  lastTokenRequestHeaders(): Record<string, string | string[] | undefined>;
  /** The form fields of the last token request, minus the password. */
  lastTokenRequestFields(): Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startMockOidcIdp(options: { clientId?: string; clientSecret?: string; users?: Record<string, MockUser> } = {}): Promise<MockOidcIdp> {
  // A client id with '-' breaks the mock's audience check under client_secret_basic (field notes).
  const clientId = options.clientId ?? 'kayakobridge';
  const clientSecret = options.clientSecret ?? 'mock-client-secret';
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const users = new Map(Object.entries(options.users ?? {}));

  let requests = 0;
  let nextFailure: { status: number; body: Record<string, unknown> } | undefined;
  let nextTamper: ((payload: Record<string, unknown>) => void) | undefined;
  let nextReplacement: string | undefined;
  let lastHeaders: Record<string, string | string[] | undefined> = {};
  let lastFields: Record<string, unknown> = {};

  server.service.on('beforeTokenSigning', (token, req) => {
    const username = String(req.body['username'] ?? '');
    const user = users.get(username);
    token.payload['sub'] = user?.claims['sub'] ?? username;
    if (user) Object.assign(token.payload, user.claims);
    if (token.payload['aud'] === clientId && nextTamper) {
      nextTamper(token.payload);
      nextTamper = undefined;
    }
  });
  server.service.on('beforeResponse', (response, req) => {
    requests += 1;
    lastHeaders = { ...req.headers };
    const { password: _password, ...fields } = req.body as Record<string, unknown>;
    lastFields = fields;
    if (nextFailure) {
      response.statusCode = nextFailure.status;
      response.body = nextFailure.body;
      nextFailure = undefined;
      return;
    }
    const user = users.get(String(req.body['username'] ?? ''));
    if (!user || user.password !== req.body['password']) {
      response.statusCode = 400;
      response.body = { error: 'invalid_grant', error_description: 'Invalid user credentials' };
      return;
    }
    if (nextReplacement && typeof response.body === 'object') {
      response.body['id_token'] = nextReplacement;
      nextReplacement = undefined;
    }
  });

  return {
    issuer: server.issuer.url!,
    clientId,
    clientSecret,
    server,
    users,
    tokenRequests: () => requests,
    failNextWith(status, body) {
      nextFailure = { status, body };
    },
    tamperNextIdToken(edit) {
      nextTamper = edit;
    },
    replaceNextIdToken(jwt) {
      nextReplacement = jwt;
    },
    lastTokenRequestHeaders: () => lastHeaders,
    lastTokenRequestFields: () => lastFields,
    stop: () => server.stop(),
  };
}
