import type { FilterGroup } from '@hubspot/api-client/lib/codegen/crm/contacts';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/models/Filter';
import { writtenForms, type PhoneIncomingNumber } from '../../phone';
import { settleWithin } from '../../resilience/deadline';
import type { HubSpotClient } from './hubspot.client';

/**
 * HubSpot's standardised phone properties: the national significant number, no country code. HubSpot
 * documents them for contacts; companies have them on no portal seen so far, so they are checked.
 */
export const SEARCHABLE_PHONE_PROPERTIES = ['hs_searchable_calculated_phone_number', 'hs_searchable_calculated_mobile_number'] as const;

/**
 * The filter groups (ORed) of one object's phone search. Each searchable property the object has gets
 * its own group, compared with the national significant number. An object with none of them, or whose
 * properties are not known yet (`undefined`), is searched on `phone`: text stored as typed, so one `IN`
 * filter lists the number's written forms (exact matches, as many as needed in one filter, where `EQ`
 * would need a group each and HubSpot allows five). The core verifies every hit anyway.
 */
export function phoneFilterGroups(searchable: readonly string[] | undefined, number: PhoneIncomingNumber): FilterGroup[] {
  if (searchable === undefined || searchable.length === 0) {
    return [{ filters: [{ propertyName: 'phone', operator: FilterOperatorEnum.In, values: writtenForms(number) }] }];
  }
  return searchable.map((propertyName) => ({ filters: [{ propertyName, operator: FilterOperatorEnum.Eq, value: number.nationalSignificant }] }));
}

/** After a failed check, searches use `phone` this long before the check is asked again. */
export const CHECK_AGAIN_AFTER_MS = 60_000;

/**
 * Which searchable phone properties one object type has in a tenant's portal: asked once
 * (`GET /crm/v3/properties/<object>/<name>`, 404 = absent) and kept once known. A check that failed
 * or timed out is reported through `failed` and asked again by a search a minute later, so a portal
 * that keeps refusing it costs one request and one line a minute, not two per lookup; until it is
 * answered, `properties` answers `undefined` and the search falls back on `phone`, which every portal has.
 */
export class PhonePropertyCheck {
  private known: readonly string[] | undefined;
  private asking: Promise<readonly string[] | undefined> | undefined;
  private failedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: Pick<HubSpotClient, 'hasProperty'>,
    private readonly objectType: string,
    private readonly failed: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts the check unless its answer is known, on its way, or failed within the last minute; it may take until `deadlineAt`. */
  start(deadlineAt: number): void {
    if (this.known || this.asking || this.now() - this.failedAt < CHECK_AGAIN_AFTER_MS) return;
    this.asking = this.ask(deadlineAt).then(
      (found) => (this.known = found),
      (error: unknown) => {
        this.failedAt = this.now();
        this.failed(error);
        return undefined;
      },
    );
    void this.asking.finally(() => (this.asking = undefined));
  }

  /**
   * The searchable properties the object has, or `undefined` while unknown. Waits for a check on its
   * way (one is started if none is) at most half the time left before `deadlineAt`, so the search
   * itself keeps the other half.
   */
  async properties(deadlineAt: number): Promise<readonly string[] | undefined> {
    this.start(deadlineAt);
    if (this.known || !this.asking) return this.known;
    return settleWithin(this.asking, Math.max(0, (deadlineAt - Date.now()) / 2), () => undefined);
  }

  private async ask(deadlineAt: number): Promise<readonly string[]> {
    const has = await Promise.all(SEARCHABLE_PHONE_PROPERTIES.map((name) => this.client.hasProperty(this.objectType, name, deadlineAt)));
    return SEARCHABLE_PHONE_PROPERTIES.filter((_, i) => has[i]);
  }
}
