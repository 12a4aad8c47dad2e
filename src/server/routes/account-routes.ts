import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toPublicUser } from '../../core/accounts.js';
import { BadRequestError, ForbiddenError } from '../../core/errors.js';
import { CARRIERS, type Carrier } from '../../core/model.js';
import { singleHeader } from '../../core/request.js';
import { judgeRequestOrigin } from '../../core/request-origin.js';
import type { RouteContext } from '../app.js';
import { parseBody } from '../body.js';
import { sendNewSession } from '../send-session.js';

/**
 * Register, sign in, change password, re-authenticate. Register and sign-in have no session
 * yet, so their CSRF defence is the origin check alone: a cross-site browser signal is
 * refused, no signal at all (CLI, mobile app) is accepted.
 */

const MAX_EMAIL_FIELD = 320;
const MAX_PASSWORD_FIELD = 4096;

/** Adds the account routes. */
export function registerAccountRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { tessera } = ctx;
  const allowedCarriers = new Set<Carrier>(Object.values(tessera.config.carriers).filter((c) => CARRIERS.includes(c)));

  const refuseCrossSite = (request: FastifyRequest): void => {
    if (judgeRequestOrigin(request.headers, tessera.originPolicy) === 'untrusted') {
      throw new ForbiddenError('cross_site_request', 'Cross-site sign-in and registration are refused.');
    }
  };

  app.post('/auth/register', async (request, reply) => {
    refuseCrossSite(request);
    const body = parseBody(request.body, {
      email: { type: 'string', maxLength: MAX_EMAIL_FIELD },
      password: { type: 'string', maxLength: MAX_PASSWORD_FIELD },
    });
    const user = await tessera.accounts.register(body.email, body.password, request.ip);
    return reply.code(201).header('cache-control', 'no-store').send({ user: toPublicUser(user) });
  });

  app.post('/auth/login', async (request, reply) => {
    refuseCrossSite(request);
    const body = parseBody(request.body, {
      email: { type: 'string', maxLength: MAX_EMAIL_FIELD },
      password: { type: 'string', maxLength: MAX_PASSWORD_FIELD },
      carrier: { type: 'string', optional: true },
    });
    const carrier = (body.carrier ?? 'cookie') as Carrier;
    if (!allowedCarriers.has(carrier)) {
      throw new BadRequestError('validation_failed', 'The request has invalid fields.', [
        { field: 'carrier', message: `must be one of: ${[...allowedCarriers].join(', ')}` },
      ]);
    }
    const authRequest = ctx.toAuthRequest(request);
    const result = await tessera.accounts.login({
      email: body.email,
      password: body.password,
      carrier,
      ip: request.ip,
      userAgent: truncate(singleHeader(request.headers, 'user-agent'), 512),
      previousSessionId: await tessera.authenticator.findCookieSessionId(authRequest),
    });
    return sendNewSession(reply, tessera, result);
  });

  app.post('/auth/password', async (request, reply) => {
    const auth = await ctx.requireAuth(request);
    const body = parseBody(request.body, {
      currentPassword: { type: 'string', maxLength: MAX_PASSWORD_FIELD },
      newPassword: { type: 'string', maxLength: MAX_PASSWORD_FIELD },
    });
    const result = await tessera.accounts.changePassword(auth.session, auth.user, body.currentPassword, body.newPassword, {
      ip: request.ip,
      userAgent: truncate(singleHeader(request.headers, 'user-agent'), 512),
    });
    return sendNewSession(reply, tessera, result);
  });

  app.post('/auth/reauthenticate', async (request, reply) => {
    const auth = await ctx.requireAuth(request);
    const body = parseBody(request.body, { password: { type: 'string', maxLength: MAX_PASSWORD_FIELD } });
    await tessera.accounts.reauthenticate(auth.session, auth.user, body.password, request.ip);
    return reply.code(204).header('cache-control', 'no-store').send();
  });
}

function truncate(value: string | null, max: number): string | null {
  return value === null ? null : value.slice(0, max);
}
