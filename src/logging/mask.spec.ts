import { maskPhoneNumber } from './mask';

describe('maskPhoneNumber', () => {
  it.each([
    ['+41789072228', '+41******228'],
    ['41789072228', '********228'],
    ['201', '***'],
    ['12345', '*****'],
  ])('masks %s as %s', (input, masked) => {
    expect(maskPhoneNumber(input)).toBe(masked);
  });

  it('never leaves more than the country code and three digits readable', () => {
    expect(maskPhoneNumber('+4915123456789').replace(/\D/g, '')).toBe('49789');
  });
});
