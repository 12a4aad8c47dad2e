import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/durations.js';

describe('parseDuration', () => {
  it('reads every unit', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('7d')).toBe(604_800_000);
  });

  it('reads a bare number as seconds', () => {
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('0')).toBe(0);
  });

  it('accepts decimals and surrounding or inner spaces', () => {
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(' 30m ')).toBe(1_800_000);
    expect(parseDuration('30 m')).toBe(1_800_000);
    expect(parseDuration('0.5s')).toBe(500);
  });

  it('rejects everything else', () => {
    for (const text of ['', ' ', 'm', '-5m', '+5m', '5 minutes', '5M', '5H', '1e3', '1e3s', '.5s', '5.s', '5mm', '5m5s', 'Infinity', 'NaN', '0x10', '5 ms s', '½h']) {
      expect(parseDuration(text), text).toBeNull();
    }
  });
});

describe('formatDuration', () => {
  it('uses the largest whole unit', () => {
    expect(formatDuration(604_800_000)).toBe('7d');
    expect(formatDuration(43_200_000)).toBe('12h');
    expect(formatDuration(1_800_000)).toBe('30m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0ms');
  });

  it('round-trips with parseDuration', () => {
    for (const ms of [500, 1000, 61_000, 3_600_000, 90 * 60_000, 86_400_000 * 3]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
