/**
 * The colours of the hosted pages, light and dark. Kept as data so a test can check every
 * foreground/background pair the stylesheet uses against WCAG 2.2 contrast (≥ 4.5:1 for text,
 * ≥ 3:1 for borders and focus rings).
 */

/** One colour scheme. */
export interface Palette {
  readonly bg: string;
  readonly surface: string;
  readonly text: string;
  readonly muted: string;
  /** Borders of inputs and cards (non-text: ≥ 3:1). */
  readonly border: string;
  /** Links and the focus ring. */
  readonly accent: string;
  /** Primary button background, with `onAccent` text. */
  readonly button: string;
  readonly onButton: string;
  readonly danger: string;
  readonly dangerButton: string;
  readonly onDangerButton: string;
  readonly successBg: string;
  readonly successText: string;
  readonly errorBg: string;
  readonly codeBg: string;
}

/** The light scheme (default). */
export const LIGHT: Palette = {
  bg: '#ffffff',
  surface: '#f3f5f7',
  text: '#1b1f24',
  muted: '#4a5560',
  border: '#6b7785',
  accent: '#0b57d0',
  button: '#0b57d0',
  onButton: '#ffffff',
  danger: '#a5221b',
  dangerButton: '#a5221b',
  onDangerButton: '#ffffff',
  successBg: '#e6f4ea',
  successText: '#0d5228',
  errorBg: '#fdecea',
  codeBg: '#eef1f4',
};

/** The dark scheme (prefers-color-scheme: dark). */
export const DARK: Palette = {
  bg: '#121417',
  surface: '#1c2026',
  text: '#e8eaed',
  muted: '#b0b9c3',
  border: '#8893a0',
  accent: '#8ab4f8',
  button: '#8ab4f8',
  onButton: '#0a1a33',
  danger: '#f2b8b5',
  dangerButton: '#f2b8b5',
  onDangerButton: '#3b0a07',
  successBg: '#123821',
  successText: '#c4eed0',
  errorBg: '#3b1513',
  codeBg: '#22272e',
};

/** Pairs [foreground, background, minimum ratio] the stylesheet actually uses. */
export function contrastPairs(p: Palette): ReadonlyArray<readonly [string, string, number, string]> {
  return [
    [p.text, p.bg, 4.5, 'text on page'],
    [p.text, p.surface, 4.5, 'text on cards'],
    [p.muted, p.bg, 4.5, 'muted text on page'],
    [p.muted, p.surface, 4.5, 'muted text on cards'],
    [p.accent, p.bg, 4.5, 'links on page'],
    [p.accent, p.surface, 4.5, 'links on cards'],
    [p.onButton, p.button, 4.5, 'button label'],
    [p.onDangerButton, p.dangerButton, 4.5, 'danger button label'],
    [p.danger, p.bg, 4.5, 'error text on page'],
    [p.danger, p.errorBg, 4.5, 'error text in summary'],
    [p.text, p.errorBg, 4.5, 'text in error summary'],
    [p.successText, p.successBg, 4.5, 'success message'],
    [p.text, p.codeBg, 4.5, 'code'],
    [p.border, p.bg, 3, 'input borders'],
    [p.border, p.surface, 3, 'input borders on cards'],
    [p.accent, p.bg, 3, 'focus ring'],
    [p.accent, p.surface, 3, 'focus ring on cards'],
  ];
}
