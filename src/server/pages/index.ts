import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../app.js';
import { registerAccountPages } from './account-pages.js';
import { registerAssetRoutes } from './asset-routes.js';
import { registerAuthPages } from './auth-pages.js';
import { useFormParser } from './form-body.js';
import { addSecurityHeaders, setPageErrorHandler } from './page-support.js';
import { registerPlaygroundPage } from './playground-page.js';

/**
 * The hosted pages of `tessera serve`: /login, /register, /account (server-rendered, working
 * without JavaScript) and /playground, with their assets. They live in their own Fastify scope
 * so their form parser, security headers and HTML error pages never touch the JSON API.
 */

/** Options of the hosted pages. */
export interface PagesOptions {
  /** Serve /playground (default true). It creates demo accounts: a deployment may turn it off. */
  readonly playground?: boolean;
}

/** Adds the hosted pages to the server (loaded when the app starts). */
export function registerPages(app: FastifyInstance, ctx: RouteContext, options: PagesOptions = {}): void {
  void app.register(async (scope) => {
    useFormParser(scope, ctx.tessera.config.bodyLimitBytes);
    addSecurityHeaders(scope);
    setPageErrorHandler(scope, ctx);
    registerAssetRoutes(scope);
    // The forms sign in with the cookie carrier: a deployment that does not allow it (e.g.
    // `carriers: {mobile: "bearer"}`) gets no sign-in pages, as the JSON API would refuse it too.
    if (Object.values(ctx.tessera.config.carriers).includes('cookie')) {
      registerAuthPages(scope, ctx);
      registerAccountPages(scope, ctx);
    }
    if (options.playground !== false) registerPlaygroundPage(scope, ctx);
  });
}
