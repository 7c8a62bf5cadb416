/**
 * `userCrmId` names the CRM user a call belongs to. A tenant with several CRMs may list one per CRM
 * (`salesforce:005xx000001Sv6e,hubspot:12345`); a bare id applies to whichever source owns the record.
 */
export function userIdForSource(userCrmId: string | undefined, sourceId: string, knownSources: readonly string[]): string | undefined {
  if (userCrmId === undefined) return undefined;
  const parts = userCrmId
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  let bare: string | undefined;
  for (const part of parts) {
    const colon = part.indexOf(':');
    const prefix = colon > 0 ? part.slice(0, colon).toLowerCase() : undefined;
    if (prefix !== undefined && knownSources.includes(prefix)) {
      if (prefix === sourceId) return part.slice(colon + 1).trim() || undefined;
    } else {
      bare ??= part;
    }
  }
  return bare;
}
