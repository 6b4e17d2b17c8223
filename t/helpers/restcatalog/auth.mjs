// auth.mjs: bearer tokens for the REST catalog test server: a static
// --token, and/or tokens issued by POST /v1/oauth/tokens for the OAuth2
// client credentials (and token exchange) flows. Secrets and tokens never
// appear in logs or error messages.
import { randomUUID } from 'node:crypto';

export class Auth {
  constructor(opts) {
    this.opts = opts;
    this.valid = new Set(opts.token ? [opts.token] : []);
    this.required = Boolean(opts.token || opts.clientId);
  }

  // Is this Authorization header acceptable?
  ok(header) {
    if (!this.required) return true;
    const m = /^Bearer (.+)$/.exec(header || '');
    return Boolean(m && this.valid.has(m[1]));
  }

  // POST /v1/oauth/tokens with a checked OAuthTokenRequest.
  token(body) {
    const fail = (status, error, d) => ({ status, body: { error, error_description: d } });
    if (!this.opts.clientId)
      return fail(400, 'unauthorized_client', 'this catalog issues no tokens (it was started without --client-id)');
    if (body.grant_type === 'client_credentials') {
      if (body.client_id !== this.opts.clientId || body.client_secret !== this.opts.clientSecret)
        return fail(401, 'invalid_client', 'unknown client or wrong secret');
    } else if (!this.valid.has(body.subject_token)) {
      return fail(401, 'invalid_grant', 'the subject token is not a token of this catalog');
    }
    const tok = 'tok-' + randomUUID();
    this.valid.add(tok);
    return { status: 200, body: { access_token: tok, token_type: 'bearer', expires_in: 3600,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' } };
  }
}
