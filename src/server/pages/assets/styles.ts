import { DARK, LIGHT, type Palette } from './palette.js';

/**
 * The stylesheet of the hosted pages, served at /assets/styles.css. Plain CSS, system fonts
 * (no external font or CDN: the CSP allows only 'self'), a visible focus ring, a layout that
 * reflows to one column on small screens, and no inline styles anywhere (style-src 'self').
 */

const variables = (p: Palette): string =>
  Object.entries(p)
    .map(([name, value]) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}:${value};`)
    .join('');

/** The CSS text. */
export const STYLES_CSS = `
:root{${variables(LIGHT)}color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{${variables(DARK)}}}
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;line-height:1.5;-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font-size:1rem}
a{color:var(--accent);text-underline-offset:.15em}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip-link{position:absolute;left:.5rem;top:-3rem;padding:.5rem 1rem;background:var(--button);color:var(--on-button);z-index:10;border-radius:4px}
.skip-link:focus{top:.5rem}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}
.site-header{background:var(--surface);border-bottom:1px solid var(--border)}
.site-header .bar{max-width:72rem;margin:0 auto;padding:.75rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;justify-content:space-between}
.brand{font-weight:700;font-size:1.15rem;color:var(--text);text-decoration:none}
.site-nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.site-nav a[aria-current="page"]{font-weight:700;text-decoration-thickness:2px}
main{max-width:72rem;margin:0 auto;padding:1.5rem 1rem 3rem}
main.narrow{max-width:32rem}
h1{font-size:1.75rem;line-height:1.2;margin:0 0 1rem}
h2{font-size:1.3rem;margin:2rem 0 .75rem}
h3{font-size:1.1rem;margin:1.25rem 0 .5rem}
p.muted,.muted{color:var(--muted)}
.card{background:var(--surface);border:1px solid var(--border);border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
.card>h2:first-child{margin-top:0}
form .field{margin:0 0 1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
.hint{display:block;color:var(--muted);font-size:.9rem;margin-bottom:.25rem}
input[type=email],input[type=password],input[type=text]{width:100%;max-width:28rem;font:inherit;padding:.5rem .6rem;border:2px solid var(--border);border-radius:4px;background:var(--bg);color:var(--text)}
input[aria-invalid=true]{border-color:var(--danger)}
.field-error{color:var(--danger);font-weight:600;margin:.25rem 0 0}
button,.button{font:inherit;font-weight:600;cursor:pointer;display:inline-block;padding:.5rem 1rem;border-radius:4px;border:2px solid var(--button);background:var(--button);color:var(--on-button);text-decoration:none;min-height:2.75rem}
button.secondary{background:transparent;color:var(--accent);border-color:var(--accent)}
button.danger{background:var(--danger-button);border-color:var(--danger-button);color:var(--on-danger-button)}
button:disabled{cursor:not-allowed;opacity:.6}
.inline-form{display:inline}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}
.error-summary{border:3px solid var(--danger);background:var(--error-bg);padding:.75rem 1rem;border-radius:6px;margin:0 0 1.5rem}
.error-summary h2{margin:0 0 .5rem;font-size:1.1rem;color:var(--danger)}
.error-summary ul{margin:0;padding-left:1.25rem}
.flash{background:var(--success-bg);color:var(--success-text);border-left:6px solid var(--success-text);padding:.75rem 1rem;margin:0 0 1.5rem;border-radius:4px}
.badge{display:inline-block;font-size:.8rem;font-weight:700;padding:.05rem .5rem;border-radius:999px;background:var(--success-bg);color:var(--success-text);border:1px solid var(--success-text);vertical-align:middle}
table.devices{width:100%;border-collapse:collapse}
table.devices th,table.devices td{text-align:left;padding:.5rem;border-bottom:1px solid var(--border);vertical-align:top}
@media (max-width:40rem){
  table.devices thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
  table.devices tr{display:block;border:1px solid var(--border);border-radius:6px;margin:0 0 .75rem;padding:.5rem}
  table.devices td,table.devices th{display:block;border:0;padding:.2rem .25rem}
  table.devices td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem}
code{background:var(--code-bg);padding:.05rem .3rem;border-radius:3px;overflow-wrap:anywhere}
pre{background:var(--code-bg);color:var(--text);padding:.75rem;border-radius:6px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:.5rem 0}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr));gap:1.5rem;align-items:start}
.column{background:var(--surface);border:1px solid var(--border);border-radius:8px;padding:1rem}
.column h2{margin-top:0}
fieldset{border:1px solid var(--border);border-radius:6px;margin:0 0 1rem;padding:.5rem 1rem}
legend{font-weight:600;padding:0 .25rem}
fieldset label{display:inline;font-weight:400;margin-right:1rem}
.state dt{font-weight:600}
.state dd{margin:0 0 .5rem}
.log{list-style:none;margin:0;padding:0}
.log>li{border-top:1px solid var(--border);padding:.75rem 0}
.log .status-ok{color:var(--success-text);background:var(--success-bg);padding:0 .35rem;border-radius:3px;font-weight:700}
.log .status-error{color:var(--danger);background:var(--error-bg);padding:0 .35rem;border-radius:3px;font-weight:700}
.log h4{font-size:1rem;margin:0 0 .25rem}
figure.sequence{margin:1rem 0}
figure.sequence svg{width:100%;height:auto;max-width:44rem;display:block;color:var(--text)}
.seq-actor rect{fill:var(--surface);stroke:var(--border);stroke-width:1.5}
.seq-actor text,.seq-label{fill:var(--text);font-size:12px;font-family:inherit}
.seq-note{fill:var(--muted);font-size:11px;font-style:italic}
.seq-lifeline{stroke:var(--border);stroke-dasharray:4 4}
.seq-arrow{stroke:var(--text);stroke-width:1.5}
.seq-arrow.reply{stroke-dasharray:6 3}
.seq-head{fill:var(--text)}
.site-footer{max-width:72rem;margin:0 auto;padding:1rem;color:var(--muted);font-size:.9rem}
@media (prefers-reduced-motion:reduce){*{scroll-behavior:auto!important;transition:none!important}}
`;
