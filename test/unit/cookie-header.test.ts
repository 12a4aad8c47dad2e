import { describe, expect, it } from 'vitest';
import { readCookie } from '../../src/core/cookie-header.js';
import { BadRequestError } from '../../src/core/errors.js';

const NAME = 'tessera_session';
const read = (cookie: string | string[] | undefined): string | null => readCookie(cookie === undefined ? {} : { cookie }, NAME);

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).code).toBe('malformed_cookie');
    expect((error as BadRequestError).status).toBe(400);
    return;
  }
  throw new Error('expected malformed_cookie');
}

describe('readCookie', () => {
  it('finds the cookie among others, wherever it is', () => {
    expect(read(`${NAME}=abc`)).toBe('abc');
    expect(read(`a=1; ${NAME}=abc; b=2`)).toBe('abc');
    expect(read(`a=1;${NAME}=abc;b=2`)).toBe('abc');
    expect(read(`a=1; b=2; ${NAME}=abc`)).toBe('abc');
  });

  it('is null when absent, including look-alike names', () => {
    expect(read(undefined)).toBeNull();
    expect(read('')).toBeNull();
    expect(read('a=1; b=2')).toBeNull();
    expect(read(`x${NAME}=abc; ${NAME}x=abc; TESSERA_SESSION=abc; __Host-${NAME}=abc`)).toBeNull();
    expect(read(`${NAME}`)).toBeNull(); // no "=": not a pair
  });

  it('trims spacing around names and values', () => {
    expect(read(`  ${NAME}  =  abc  `)).toBe('abc');
    expect(read(`a=1;   ${NAME}=abc   ;b=2`)).toBe('abc');
  });

  it('strips one pair of DQUOTEs', () => {
    expect(read(`${NAME}="abc"`)).toBe('abc');
    expect(read(`${NAME}=""`)).toBe('');
    expect(read(`${NAME}="abc`)).toBe('"abc');
    expect(read(`${NAME}="`)).toBe('"');
  });

  it('keeps "=" inside the value', () => {
    expect(read(`${NAME}=a=b=c`)).toBe('a=b=c');
    expect(read(`${NAME}=`)).toBe('');
  });

  it('refuses a name sent twice, even with the same value or other spacing', () => {
    expectMalformed(() => read(`${NAME}=a; ${NAME}=b`));
    expectMalformed(() => read(`${NAME}=a; ${NAME}=a`));
    expectMalformed(() => read(`${NAME}=a;${NAME} = "a"`));
    expectMalformed(() => read(`${NAME}=; other=1; ${NAME}=x`));
  });

  it('refuses a value over 4096 characters', () => {
    expect(read(`${NAME}=${'a'.repeat(4096)}`)).toHaveLength(4096);
    expectMalformed(() => read(`${NAME}=${'a'.repeat(4097)}`));
  });

  it('handles many separators and empty pairs', () => {
    expect(read(`;;;; ;${NAME}=abc;;;;`)).toBe('abc');
    expect(read(';'.repeat(10_000))).toBeNull();
  });

  it('joins split Cookie headers (HTTP/2) and still refuses duplicates across them', () => {
    expect(read(['a=1', `${NAME}=abc`])).toBe('abc');
    expect(read([`${NAME}=abc`])).toBe('abc');
    expectMalformed(() => read([`${NAME}=a`, `${NAME}=b`]));
  });
});
