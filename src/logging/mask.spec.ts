import { maskPhoneNumber } from './mask';

describe('maskPhoneNumber', () => {
  it.each([
    ['+41789072228', '+41*******28'],
    ['41789072228', '41*******28'],
    ['201', '***'],
    ['1234567', '*******'],
  ])('masks %s as %s', (input, masked) => {
    expect(maskPhoneNumber(input)).toBe(masked);
  });

  it('never leaves more than four digits readable', () => {
    expect(maskPhoneNumber('+4915123456789').replace(/\D/g, '')).toHaveLength(4);
  });
});
