const SHOWN_DIGITS = 3;

/** `+41789072228` → `+41******228`: the country and the last 3 digits, enough to tell calls apart. */
export function maskPhoneNumber(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length <= SHOWN_DIGITS + 2) return '*'.repeat(digits.length);
  const plus = value.trim().startsWith('+');
  const country = plus ? `+${digits.slice(0, 2)}` : '';
  const hidden = digits.length - SHOWN_DIGITS - (plus ? 2 : 0);
  return `${country}${'*'.repeat(hidden)}${digits.slice(-SHOWN_DIGITS)}`;
}
