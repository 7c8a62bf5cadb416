/** One `label=field` pair of a `<CRM>_CUSTOM_DATA` key: a CRM field shown in the card's CustomData. */
export interface CustomDataField {
  readonly label: string;
  readonly field: string;
}

export function customDataFields(value: string | undefined): CustomDataField[] {
  if (!value) return [];
  return value.split(',').map((pair) => {
    const [label, field] = pair.split('=');
    return { label: label!.trim(), field: field!.trim() };
  });
}

/** A CRM field's value as a card shows it: text as stored (none when blank), a number or a yes/no as written; anything else none. */
export function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A record's CustomData: each label with its field's value (`valueOf` reads one field of the record), those without one left out. */
export function readCustomData(custom: readonly CustomDataField[], valueOf: (field: string) => unknown): Record<string, string> {
  const data: Record<string, string> = {};
  for (const { label, field } of custom) {
    const value = fieldText(valueOf(field));
    if (value !== undefined) data[label] = value;
  }
  return data;
}

/** The values of these fields that have one, in their order (a record's phones). */
export function fieldTexts(fields: readonly string[], valueOf: (field: string) => unknown): string[] {
  return fields.map((field) => fieldText(valueOf(field))).filter((value): value is string => value !== undefined);
}
