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
