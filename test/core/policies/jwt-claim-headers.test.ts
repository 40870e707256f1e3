import { headerSafe } from '../../../src/core/policies/jwt-auth';

describe('headerSafe (claims_to_headers values)', () => {
  it('keeps visible ASCII and spaces as they are', () => {
    expect(headerSafe('alice@example.com (ops)')).toBe('alice@example.com (ops)');
  });

  it('percent-encodes CR, LF, NUL and other controls, so a claim cannot split the request head', () => {
    expect(headerSafe('a\r\nX-Evil: 1\u0000\t')).toBe('a%0D%0AX-Evil: 1%00%09');
  });

  it('percent-encodes non-ASCII as UTF-8, and a lone surrogate as U+FFFD', () => {
    expect(headerSafe('Zoë ✓')).toBe('Zo%C3%AB %E2%9C%93');
    expect(headerSafe('x\ud800y')).toBe('x%EF%BF%BDy');
  });
});
