import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AuthContext } from '../../core/authenticate.js';
import { AuthenticationError, BadRequestError } from '../../core/errors.js';
import type { Revocation } from '../../core/model.js';
import { toWireRevocation } from '../../core/revocation-codec.js';
import { type AuthRequest, singleHeader } from '../../core/request.js';
import type { RouteContext } from '../app.js';
import { createClientAuthenticator } from '../client-auth.js';

/**
 * The endpoints for gateways and other services: forward-auth (`GET /auth/verify`), RFC 7662
 * introspection, RFC 7009 revocation and the SSE revocation feed. The machine endpoints are
 * authenticated by client credentials, never by cookies.
 */
export function registerGatewayRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { tessera } = ctx;
  const { config } = tessera;
  const clients = createClientAuthenticator(config.clients);

  const allow = (reply: FastifyReply, auth: AuthContext, token: string): FastifyReply =>
    reply
      .code(200)
      .header('cache-control', 'no-store')
      .header('x-auth-user-id', auth.user.id)
      .header('x-auth-session-id', auth.session.id)
      .header('x-auth-carrier', auth.carrier)
      .header('x-auth-token', token)
      .send();

  // Every request behind the gateway passes here, so it is not async: a known credential of a
  // cached session with a cached internal token is answered in the same tick; anything else
  // takes the async path (store reads, signing) with the same checks.
  app.get('/auth/verify', (request, reply) => {
    const original = toOriginalRequest(ctx.toAuthRequest(request));
    const auth = ctx.requireAuthNowOf(original);
    const token = auth === undefined ? undefined : tessera.tokens.internalTokenNow(auth.session);
    if (auth !== undefined && token !== undefined) {
      allow(reply, auth, token);
      return undefined;
    }
    // Resolves to nothing once the reply is sent, so Fastify has nothing to add.
    return (async (): Promise<void> => {
      const later = auth ?? (await ctx.requireAuthOf(original));
      allow(reply, later, await tessera.tokens.internalToken(later.session));
    })();
  });

  app.get('/auth/revocations', async (request, reply) => {
    clients.authenticate(request.headers);
    // Snapshot then live events, as Server-Sent Events. Heartbeats let a verifier tell a quiet
    // feed from a lost one (it fails closed after its staleness bound).
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown): void => {
      raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const queued: Revocation[] = [];
    let live = false;
    const unsubscribe = tessera.revocationFeed.subscribe((entry) => (live ? send('revocation', toWireRevocation(entry)) : queued.push(entry)));
    const snapshot = await tessera.stores.revocations.listRevocations(tessera.clock.now());
    send('snapshot', { now: tessera.clock.now(), revocations: snapshot.map(toWireRevocation) });
    for (const entry of queued) send('revocation', toWireRevocation(entry));
    live = true;
    const heartbeat = setInterval(() => send('heartbeat', { now: tessera.clock.now() }), ctx.heartbeatMs);
    const stop = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    raw.on('close', stop);
    ctx.onClose(() => {
      stop();
      raw.end();
    });
  });

  // Introspection and revocation take forms (their RFCs say so); the form parser is registered
  // only inside this plugin so no JSON endpoint ever accepts a form.
  void app.register(async (forms) => {
    forms.removeContentTypeParser('application/json');
    forms.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    forms.post('/auth/introspect', async (request, reply) => {
      const form = readForm(request.body);
      clients.authenticate(request.headers, form);
      const token = requireToken(form);
      reply.header('cache-control', 'no-store');
      if (form.token_type_hint !== 'refresh_token') {
        try {
          const claims = tessera.tokens.verifier.verify(token);
          const live = await tessera.sessions.validateSessionId(claims.sid);
          if (live) return reply.send({ active: true, token_type: 'access_token', ...claims, username: live.user.email });
        } catch (error) {
          if (!(error instanceof AuthenticationError)) throw error;
        }
      }
      const session = await tessera.tokens.inspectRefreshToken(token);
      if (session) {
        return reply.send({
          active: true,
          token_type: 'refresh_token',
          sub: session.userId,
          sid: session.id,
          iss: config.tokens.issuer,
          exp: Math.floor(Math.min(session.expiresAt, session.lastSeenAt + session.idleTimeoutMs) / 1000),
          iat: Math.floor(session.refreshRotatedAt / 1000),
        });
      }
      return reply.send({ active: false });
    });

    forms.post('/auth/revoke', async (request, reply) => {
      const form = readForm(request.body);
      clients.authenticate(request.headers, form);
      const token = requireToken(form);
      // RFC 7009 §2.2: 200 whether or not the token was valid, so the answer reveals nothing.
      try {
        const claims = tessera.tokens.verifier.verify(token);
        await tessera.revoke([{ kind: 'jti', value: claims.jti, expiresAt: claims.exp * 1000 + config.tokens.clockSkewMs }]);
        tessera.events({ type: 'token_revoked', userId: claims.sub, sessionId: claims.sid, jti: claims.jti });
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        const session = await tessera.tokens.inspectRefreshToken(token);
        if (session) {
          await tessera.sessions.revokeSession(session.id);
          tessera.events({ type: 'token_revoked', userId: session.userId, sessionId: session.id, jti: null });
        }
      }
      return reply.code(200).header('cache-control', 'no-store').send();
    });
  });
}

/**
 * The request the gateway is asking about. nginx `auth_request` and Traefik forwardAuth send a
 * GET sub-request carrying the original headers (Cookie, Authorization, Origin, Sec-Fetch-Site,
 * X-CSRF-Token) and name the original method in X-Forwarded-Method / X-Original-Method, so CSRF
 * is judged on the method the user's browser really used.
 */
function toOriginalRequest(base: AuthRequest): AuthRequest {
  const forwarded = forwardedMethod(base, 'x-forwarded-method');
  const original = forwardedMethod(base, 'x-original-method');
  // Two gateways' conventions that disagree are ambiguous: a client-supplied one could be
  // passed through beside the gateway's own. Refuse rather than guess.
  if (forwarded !== null && original !== null && forwarded !== original) {
    throw new BadRequestError('malformed_header', 'X-Forwarded-Method and X-Original-Method disagree.');
  }
  const method = forwarded ?? original ?? base.method;
  if (method === base.method) return base;
  return { method, headers: base.headers, ip: base.ip, csrfFormField: base.csrfFormField };
}

function forwardedMethod(request: AuthRequest, name: string): string | null {
  if (request.headers[name] === undefined) return null;
  const value = singleHeader(request.headers, name)?.toUpperCase() ?? '';
  if (!/^[A-Z]{1,16}$/.test(value)) throw new BadRequestError('malformed_header', `${name} is not an HTTP method.`);
  return value;
}

function readForm(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null) throw new BadRequestError('validation_failed', 'Send an application/x-www-form-urlencoded body.');
  return body as Record<string, string>;
}

function requireToken(form: Record<string, string>): string {
  const token = form.token;
  if (typeof token !== 'string' || token.length === 0 || token.length > 8192) {
    throw new BadRequestError('validation_failed', 'The request has invalid fields.', [{ field: 'token', message: 'is required' }]);
  }
  return token;
}
