import { type SafeHtml, html, toHtmlString } from './html.js';

/**
 * The page shell: skip link, header with navigation, main landmark, footer. Only the
 * stylesheet and (on the playground) same-origin module scripts are loaded — no inline script
 * or style, which the Content-Security-Policy would refuse anyway.
 */

/** Which navigation entry is the current page. */
export type PageName = 'login' | 'register' | 'account' | 'playground' | 'error';

/** Options of one page. */
export interface PageOptions {
  readonly title: string;
  readonly page: PageName;
  /** Shows "Your account" instead of "Sign in" / "Register". */
  readonly signedIn?: boolean;
  /** A narrow single-column main (forms). */
  readonly narrow?: boolean;
  /** Module scripts (same-origin paths). */
  readonly scripts?: readonly string[];
}

const NAV: ReadonlyArray<{ page: PageName; href: string; label: string; when: 'any' | 'in' | 'out' }> = [
  { page: 'login', href: '/login', label: 'Sign in', when: 'out' },
  { page: 'register', href: '/register', label: 'Create account', when: 'out' },
  { page: 'account', href: '/account', label: 'Your account', when: 'in' },
  { page: 'playground', href: '/playground', label: 'Playground', when: 'any' },
];

/** Renders a full HTML document. */
export function renderPage(options: PageOptions, content: SafeHtml): string {
  const links = NAV.filter((item) => item.when === 'any' || (item.when === 'in') === Boolean(options.signedIn)).map(
    (item) => html`<li><a href="${item.href}"${item.page === options.page ? html` aria-current="page"` : ''}>${item.label}</a></li>`,
  );
  const scripts = (options.scripts ?? []).map((src) => html`<script type="module" src="${src}"></script>`);
  return (
    '<!doctype html>\n' +
    toHtmlString(html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${options.title} · Tessera</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/styles.css">
${scripts}
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<div class="bar">
<a class="brand" href="/account">Tessera</a>
<nav class="site-nav" aria-label="Main"><ul>${links}</ul></nav>
</div>
</header>
<main id="main" tabindex="-1"${options.narrow ? html` class="narrow"` : ''}>
${content}
</main>
<footer class="site-footer"><p>Tessera — one session model, three carriers.</p></footer>
</body>
</html>
`)
  );
}
