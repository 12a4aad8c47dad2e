import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cookieNames } from '../../src/core/cookie-names.js';
import { DARK, LIGHT, contrastPairs } from '../../src/server/pages/assets/palette.js';
import { PLAYGROUND_RENDER_JS } from '../../src/server/pages/assets/playground-render.js';
import { PLAYGROUND_JS } from '../../src/server/pages/assets/playground-script.js';
import { STYLES_CSS } from '../../src/server/pages/assets/styles.js';
import { parseForm, safeNextPath } from '../../src/server/pages/form-body.js';
import { html, toHtmlString } from '../../src/server/pages/html.js';
import { carrierFlows } from '../../src/server/pages/sequence-diagram.js';

/** The pieces of the pages that need no server. */

describe('html template', () => {
  it('escapes every interpolated value, nested markup excepted', () => {
    const user = `<img src=x onerror="alert('x')">` + '`&';
    const inner = html`<b>${user}</b>`;
    const out = toHtmlString(html`<p title="${user}">${inner}${[user, html`<i>ok</i>`]}${null}${undefined}${false}${0}</p>`);
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&#96;&amp;');
    expect(out).toContain('<b>&lt;img');
    expect(out).toContain('<i>ok</i>');
    expect(out.endsWith('0</p>')).toBe(true);
  });

  it('cannot be fooled by an object that looks like markup', () => {
    const fake = { toString: () => '<script>' } as unknown as string;
    expect(toHtmlString(html`${fake}`)).toBe('&lt;script&gt;');
  });
});

describe('next parameter', () => {
  it('keeps same-origin paths and refuses everything a browser could take elsewhere', () => {
    expect(safeNextPath('/account')).toBe('/account');
    expect(safeNextPath('/a/../playground?x=1#y')).toBe('/playground?x=1#y');
    for (const bad of [undefined, '', 'account', '//evil.example', '/\\evil.example', '\\/evil.example', 'https://evil.example', 'javascript:alert(1)', '/\t/evil.example', '/x\ny', `/${'a'.repeat(600)}`]) {
      expect(safeNextPath(bad), String(bad)).toBeNull();
    }
  });
});

describe('form parsing', () => {
  it('decodes fields and refuses a repeated one', () => {
    const form = parseForm('email=a%40b.example&password=p%26ss+word&_csrf=t');
    expect(form.get('email')).toBe('a@b.example');
    expect(form.get('password')).toBe('p&ss word');
    expect(() => parseForm('a=1&a=2')).toThrow(/twice/);
    expect(parseForm('__proto__=x').get('__proto__')).toBe('x'); // a Map: no prototype games
  });
});

function luminance(hex: string): number {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('styles', () => {
  it.each([['light', LIGHT], ['dark', DARK]] as const)('every colour pair of the %s scheme meets WCAG contrast', (_name, palette) => {
    for (const [fg, bg, minimum, what] of contrastPairs(palette)) {
      expect(contrast(fg, bg), `${what}: ${fg} on ${bg}`).toBeGreaterThanOrEqual(minimum);
    }
  });

  it('loads nothing from elsewhere and keeps a visible focus ring', () => {
    expect(STYLES_CSS).not.toMatch(/@import|url\(|https?:/);
    expect(STYLES_CSS).toContain(':focus-visible{outline:3px solid var(--accent)');
  });
});

describe('sequence diagrams', () => {
  it('labels fit between two neighbouring actors', () => {
    for (const flow of Object.values(carrierFlows(cookieNames(true)))) {
      flow.steps.forEach((step, index) => {
        const width = `${index + 1}. ${step.label}`.length;
        expect(width, step.label).toBeLessThanOrEqual(step.from === step.to ? 46 : 40);
      });
    }
  });
});

describe('playground scripts', () => {
  it('are valid ES modules and build the DOM from text, never from markup', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-playground-'));
    try {
      for (const [name, source] of [['playground.mjs', PLAYGROUND_JS], ['playground-render.mjs', PLAYGROUND_RENDER_JS]] as const) {
        const file = join(dir, name);
        writeFileSync(file, source);
        execFileSync(process.execPath, ['--check', file]);
        expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
        expect(source).not.toMatch(/localStorage|sessionStorage/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
