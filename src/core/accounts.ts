import type { Clock, RandomSource } from './clock.js';
import type { TesseraConfig } from './config.js';
import { isPlausibleEmail, normalizeEmail } from './email.js';
import { AuthenticationError, BadRequestError, EmailTakenError, type FieldError, ForbiddenError, RateLimitedError } from './errors.js';
import type { AuthEventSink } from './events.js';
import type { Carrier, PublicUser, Session, User } from './model.js';
import { checkPasswordPolicy, hashPassword, passwordNeedsRehash, verifyPassword } from './password.js';
import type { RateLimiter } from './rate-limiter.js';
import { generateId } from './session-token.js';
import type { SessionManager, SessionOrigin } from './sessions.js';
import type { UserStore } from '../stores/types.js';

/**
 * Accounts: register, sign in, change password, re-authenticate. Sign-in answers an unknown
 * e-mail exactly like a wrong password, after the same argon2 work, so neither the answer nor
 * its timing reveals which accounts exist.
 */

/** Input to sign-in. */
export interface LoginInput extends SessionOrigin {
  readonly email: string;
  readonly password: string;
  readonly carrier: Carrier;
  /** The (validated) session the client held before signing in, destroyed at sign-in (S-01, X-09). */
  readonly previousSessionId?: string | null;
}

/** A successful sign-in. */
export interface LoginResult {
  readonly user: User;
  readonly session: Session;
  readonly token: string;
}

/** The account operations. */
export interface Accounts {
  register(email: string, password: string, ip: string | null): Promise<User>;
  login(input: LoginInput): Promise<LoginResult>;
  /** Changes the password, ends every session of the user and opens a fresh one for the caller. */
  changePassword(current: Session, user: User, currentPassword: string, newPassword: string, origin: SessionOrigin): Promise<LoginResult>;
  /** Proves the password again in this session (needed before revoking other sessions). */
  reauthenticate(session: Session, user: User, password: string, ip: string | null): Promise<void>;
  /** Creates a user directly (CLI); same validation as register, no rate limit. */
  createUser(email: string, password: string): Promise<User>;
  /** Disables or re-enables a user; disabling ends every session. */
  setUserDisabled(userId: string, disabled: boolean): Promise<boolean>;
}

/** Dependencies of the account operations. */
export interface AccountDeps {
  readonly users: UserStore;
  readonly sessions: SessionManager;
  readonly rateLimiter: RateLimiter;
  readonly config: TesseraConfig;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly events: AuthEventSink;
  /** A hash of a random password, verified against when the e-mail is unknown. */
  readonly dummyPasswordHash: string;
}

/** What the API shows of a user. */
export function toPublicUser(user: User): PublicUser {
  return { id: user.id, email: user.email, createdAt: new Date(user.createdAt).toISOString() };
}

/** Creates the account operations. */
export function createAccounts(deps: AccountDeps): Accounts {
  const { users, sessions, rateLimiter, config, clock, random, events } = deps;
  const argon2 = config.password.argon2;

  const validateCredentials = (email: string, password: string, passwordField = 'password'): string => {
    const normalized = normalizeEmail(email);
    const errors: FieldError[] = [];
    if (!isPlausibleEmail(normalized)) errors.push({ field: 'email', message: 'must be an e-mail address' });
    errors.push(...checkPasswordPolicy(password, config.password, passwordField));
    if (errors.length > 0) throw new BadRequestError('validation_failed', 'The request has invalid fields.', errors);
    return normalized;
  };

  const insertUser = async (email: string, password: string): Promise<User> => {
    const now = clock.now();
    const id = generateId(random);
    const passwordHash = await hashPassword(password, argon2);
    if (!(await users.createUser({ id, email, passwordHash, createdAt: now }))) throw new EmailTakenError();
    events({ type: 'register', userId: id });
    return { id, email, passwordHash, disabled: false, createdAt: now, updatedAt: now, sessionsValidAfter: 0 };
  };

  /** Verifies a password and upgrades its hash when the parameters changed. */
  const checkPassword = async (user: User, password: string): Promise<boolean> => {
    if (!(await verifyPassword(user.passwordHash, password))) return false;
    if (passwordNeedsRehash(user.passwordHash, argon2)) {
      const upgraded = await hashPassword(password, argon2);
      // Compare-and-set: a concurrent password change wins over our rehash.
      if (await users.updatePasswordHash(user.id, user.passwordHash, upgraded, clock.now())) {
        events({ type: 'password_rehashed', userId: user.id });
      }
    }
    return true;
  };

  return {
    async register(email, password, ip) {
      await rateLimiter.consume(`register:ip:${ip ?? 'unknown'}`, config.rateLimit.registerPerIp);
      return insertUser(validateCredentials(email, password), password);
    },

    async createUser(email, password) {
      return insertUser(validateCredentials(email, password), password);
    },

    async login(input) {
      // Only the length bound is checked before hashing: a too-long password is refused
      // without argon2 work (DoS), while a short one is just a wrong password.
      if ([...input.password.normalize('NFKC')].length > config.password.maxLength) {
        throw new BadRequestError('validation_failed', 'The request has invalid fields.', [
          { field: 'password', message: `must be at most ${config.password.maxLength} characters` },
        ]);
      }
      const email = normalizeEmail(input.email);
      try {
        await rateLimiter.consume(`login:ip:${input.ip ?? 'unknown'}`, config.rateLimit.loginPerIp);
        await rateLimiter.consume(`login:account:${email}`, config.rateLimit.loginPerAccount);
      } catch (error) {
        if (error instanceof RateLimitedError) events({ type: 'login_failed', reason: 'rate_limited', ip: input.ip });
        throw error;
      }
      const user = await users.findUserByEmail(email);
      let valid = false;
      if (user) valid = await checkPassword(user, input.password);
      else await verifyPassword(deps.dummyPasswordHash, input.password); // same argon2 cost as a real check
      if (!user || !valid) {
        events({ type: 'login_failed', reason: 'invalid_credentials', ip: input.ip });
        throw new AuthenticationError('invalid_credentials', 'The e-mail address or password is wrong.');
      }
      if (user.disabled) {
        events({ type: 'login_failed', reason: 'account_disabled', ip: input.ip });
        throw new ForbiddenError('account_disabled', 'This account is disabled.');
      }
      await rateLimiter.reset(`login:account:${email}`);
      // A new session on every sign-in, and the pre-login one destroyed: no fixation (S-01).
      if (input.previousSessionId) await sessions.revokeSession(input.previousSessionId);
      const { session, token } = await sessions.createSession(user.id, input.carrier, input);
      events({ type: 'login', userId: user.id, sessionId: session.id, carrier: input.carrier, ip: input.ip });
      return { user, session, token };
    },

    async changePassword(current, cachedUser, currentPassword, newPassword, origin) {
      // The session cache may hold an older hash (a rehash at sign-in); the compare-and-set
      // below must start from the stored one.
      const user = (await users.findUserById(cachedUser.id)) ?? cachedUser;
      const policyErrors = checkPasswordPolicy(newPassword, config.password, 'newPassword');
      if (policyErrors.length > 0) throw new BadRequestError('validation_failed', 'The request has invalid fields.', policyErrors);
      await rateLimiter.consume(`login:account:${user.email}`, config.rateLimit.loginPerAccount);
      if (!(await verifyPassword(user.passwordHash, currentPassword))) {
        throw new AuthenticationError('invalid_credentials', 'The current password is wrong.');
      }
      const now = clock.now();
      const newHash = await hashPassword(newPassword, argon2);
      if (!(await users.updatePasswordHash(user.id, user.passwordHash, newHash, now))) {
        throw new AuthenticationError('invalid_credentials', 'The password was changed meanwhile; sign in again.');
      }
      // Every existing session, this one included, ends with its tokens; the caller gets a
      // fresh session id (OWASP: renew the id on privilege change), so a stolen cookie or
      // refresh token dies here too (S-08, R-06).
      await sessions.revokeUser(user.id);
      const { session, token } = await sessions.createSession(user.id, current.carrier, origin);
      events({ type: 'password_changed', userId: user.id, sessionId: session.id });
      return { user: { ...user, passwordHash: newHash, sessionsValidAfter: now }, session, token };
    },

    async reauthenticate(session, cachedUser, password, ip) {
      const user = (await users.findUserById(cachedUser.id)) ?? cachedUser;
      await rateLimiter.consume(`login:account:${user.email}`, config.rateLimit.loginPerAccount);
      if (!(await verifyPassword(user.passwordHash, password))) {
        events({ type: 'login_failed', reason: 'invalid_credentials', ip });
        throw new AuthenticationError('invalid_credentials', 'The password is wrong.');
      }
      await sessions.markReauthenticated(session.id);
      events({ type: 'reauthenticated', userId: user.id, sessionId: session.id });
    },

    async setUserDisabled(userId, disabled) {
      const now = clock.now();
      if (!(await users.setDisabled(userId, disabled, now))) return false;
      if (disabled) await sessions.revokeUser(userId);
      sessions.invalidateCache();
      events({ type: 'user_disabled', userId, disabled });
      return true;
    },
  };
}
