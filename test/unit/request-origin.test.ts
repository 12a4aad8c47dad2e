import { describe, expect, it } from 'vitest';
import { type OriginPolicy, judgeRequestOrigin } from '../../src/core/request-origin.js';
import type { RequestHeaders } from '../../src/core/request.js';

const strict: OriginPolicy = { trustedOrigins: new Set(['https://auth.example.com', 'https://app.example.com']), trustSameSite: false };
const siblings: OriginPolicy = { ...strict, trustSameSite: true };
const judge = (headers: RequestHeaders, policy = strict): string => judgeRequestOrigin(headers, policy);

describe('judgeRequestOrigin', () => {
  it('Sec-Fetch-Site: same-origin and none are trusted', () => {
    expect(judge({ 'sec-fetch-site': 'same-origin' })).toBe('trusted');
    expect(judge({ 'sec-fetch-site': 'none' })).toBe('trusted');
  });

  it('Sec-Fetch-Site: same-site is trusted only when sibling sites are', () => {
    expect(judge({ 'sec-fetch-site': 'same-site' })).toBe('untrusted');
    expect(judge({ 'sec-fetch-site': 'same-site' }, siblings)).toBe('trusted');
  });

  it('Sec-Fetch-Site: cross-site, unknown values, case variants and repeats are untrusted', () => {
    for (const value of ['cross-site', '', 'Same-Origin', 'SAME-ORIGIN', 'same-origin ', 'same_origin', 'same-origin, cross-site']) {
      expect(judge({ 'sec-fetch-site': value }), value).toBe('untrusted');
      expect(judge({ 'sec-fetch-site': value }, siblings), value).toBe('untrusted');
    }
    expect(judge({ 'sec-fetch-site': ['same-origin', 'same-origin'] })).toBe('untrusted');
    expect(judge({ 'sec-fetch-site': ['same-origin'] })).toBe('trusted');
  });

  it('Sec-Fetch-Site decides before Origin and Referer', () => {
    expect(judge({ 'sec-fetch-site': 'cross-site', origin: 'https://auth.example.com' })).toBe('untrusted');
    expect(judge({ 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' })).toBe('trusted');
  });

  it('Origin must match a trusted origin exactly', () => {
    expect(judge({ origin: 'https://auth.example.com' })).toBe('trusted');
    expect(judge({ origin: 'https://app.example.com' })).toBe('trusted');
    for (const origin of [
      'null',
      '',
      'https://auth.example.com.attacker.com',
      'https://attacker.com',
      'http://auth.example.com',
      'https://auth.example.com:443',
      'https://auth.example.com/',
      'https://AUTH.example.com',
      'https://evil.auth.example.com',
      'https://auth.example.co',
      'https://auth.example.com@attacker.com',
    ]) {
      expect(judge({ origin }), origin).toBe('untrusted');
    }
    expect(judge({ origin: ['https://auth.example.com', 'https://auth.example.com'] })).toBe('untrusted');
  });

  it('Origin decides before Referer', () => {
    expect(judge({ origin: 'null', referer: 'https://auth.example.com/page' })).toBe('untrusted');
    expect(judge({ origin: 'https://auth.example.com', referer: 'https://attacker.com/' })).toBe('trusted');
  });

  it('Referer counts by its origin only', () => {
    expect(judge({ referer: 'https://auth.example.com/account?x=1#y' })).toBe('trusted');
    expect(judge({ referer: 'https://auth.example.com' })).toBe('trusted');
    for (const referer of [
      'https://auth.example.com.attacker.com/',
      'https://attacker.com/?https://auth.example.com',
      'https://attacker.com/https://auth.example.com/',
      'https://auth.example.com@attacker.com/',
      'http://auth.example.com/',
      'about:blank',
      'javascript:alert(1)',
      'data:text/html,hi',
      'not a url',
      '',
      '/relative/path',
    ]) {
      expect(judge({ referer }), referer).toBe('untrusted');
    }
    expect(judge({ referer: ['https://auth.example.com/', 'https://auth.example.com/'] })).toBe('untrusted');
  });

  it('no signal at all is absent', () => {
    expect(judge({})).toBe('absent');
    expect(judge({ 'user-agent': 'curl/8', cookie: 'a=b', host: 'auth.example.com' })).toBe('absent');
  });
});
