import type { ConfigOverrides } from '../core/config.js';
import type { Carrier } from '../core/model.js';

/**
 * The decision behind `tessera init` (and docs/choosing.md): three questions decide the
 * carriers, the stores and the timeouts. Pure, so it is tested on its own.
 */
export interface InitAnswers {
  /** Clients on other domains or platforms (mobile, CLI, third-party front ends)? */
  readonly crossDomain: boolean;
  /** Several servers or microservices must know the user? */
  readonly distributed: boolean;
  /** High security requirements? */
  readonly highSecurity: boolean;
}

/** A configuration file and why each choice was made. */
export interface InitAdvice {
  readonly config: ConfigOverrides;
  readonly explanation: readonly string[];
}

/** Recommends a configuration for the answers. */
export function recommendConfiguration(answers: InitAnswers): InitAdvice {
  const explanation: string[] = [];
  const carriers: Record<string, Carrier> = { browser: 'cookie' };
  explanation.push('Browsers on your own site use the cookie carrier: the session token never reaches JavaScript (XSS cannot steal it), CSRF is stopped by the session-bound token plus Fetch Metadata, and revocation is instant because every request checks the store.');
  if (answers.crossDomain) {
    carriers.mobile = 'bearer';
    carriers.cli = 'bearer';
    explanation.push('Mobile apps, CLIs and other-domain clients use the bearer carrier: no cookies to share across domains, and no CSRF exposure because nothing is sent ambiently. Keep the refresh token in the platform keystore.');
  }
  if (answers.distributed) {
    carriers.spa = 'hybrid';
    explanation.push('Several services need the user: they verify short-lived JWTs locally with tessera/verifier (JWKS + revocation feed), no call to Tessera per request. A SPA can use the hybrid carrier (tokens in httpOnly cookies + CSRF); a gateway can call GET /auth/verify and pass X-Auth-Token to token-only services.');
    explanation.push('Run several Tessera nodes on shared stores (TESSERA_SESSION_STORE) with one TESSERA_SECRET; see docs/deployment.md.');
  }
  const session = answers.highSecurity
    ? { idleTimeoutMs: 15 * 60_000, absoluteLifetimeMs: 8 * 3_600_000 }
    : { idleTimeoutMs: 30 * 60_000, absoluteLifetimeMs: 12 * 3_600_000 };
  const tokens = answers.highSecurity
    ? { accessTokenTtlMs: 2 * 60_000, refreshIdleTimeoutMs: 24 * 3_600_000, refreshAbsoluteLifetimeMs: 7 * 86_400_000 }
    : { accessTokenTtlMs: 5 * 60_000, refreshIdleTimeoutMs: 7 * 86_400_000, refreshAbsoluteLifetimeMs: 30 * 86_400_000 };
  explanation.push(
    answers.highSecurity
      ? 'High security: 15-minute idle / 8-hour absolute cookie sessions, 2-minute access tokens (the window a revoked token can live at a verifier that lost its feed), refresh tokens that end after a day unused, SameSite=Strict, and secure cookies always.'
      : 'Standard security: 30-minute idle / 12-hour absolute cookie sessions, 5-minute access tokens, refresh tokens that end after 7 days unused or 30 days in all.',
  );
  return {
    config: {
      carriers,
      cookie: answers.highSecurity ? { secure: true, sameSite: 'strict' } : { sameSite: 'lax' },
      session,
      tokens,
      sessionStore: 'sqlite',
    },
    explanation,
  };
}
