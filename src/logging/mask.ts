const MIN_DIGITS_TO_SHOW_ENDS = 8;

/** `+41789072228` → `+41*******28`: enough for an admin to tell calls apart, not enough to dial. */
export function maskPhoneNumber(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length < MIN_DIGITS_TO_SHOW_ENDS) return '*'.repeat(digits.length);
  const prefix = value.trim().startsWith('+') ? '+' : '';
  return `${prefix}${digits.slice(0, 2)}${'*'.repeat(digits.length - 4)}${digits.slice(-2)}`;
}
