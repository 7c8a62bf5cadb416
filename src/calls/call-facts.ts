import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { DateTime } from 'luxon';
import { normalizeIncoming } from '../phone';
import { CALL_TEXTS, type Language } from './call-texts';

export type CallDirection = 'incoming' | 'outgoing';
export type CallOutcome = 'answered' | 'missed' | 'unanswered';

/** The call as the CONNECTOR described it, times already read. */
export interface CallInputs {
  readonly direction: CallDirection;
  readonly originatorNumber?: string;
  readonly originatorName?: string;
  readonly destinationNumber?: string;
  readonly destinationName?: string;
  readonly startedAt: Date;
  readonly answeredAt?: Date;
  readonly endedAt?: Date;
  readonly declinedAt?: Date;
}

export interface CallParty {
  /** E.164 when the number could be read, else the raw value. */
  readonly number?: string;
  readonly name?: string;
  /** "Alexa Holiday (+41 78 907 22 28)", as shown to people. */
  readonly label: string;
}

/** What every CRM writes about a call, computed once here so all CRMs say the same. */
export interface CallFacts {
  readonly direction: CallDirection;
  readonly outcome: CallOutcome;
  /** The outcome in the tenant's language ("answered", "verpasst", "refusé"), for result fields. */
  readonly outcomeLabel: string;
  readonly declined: boolean;
  /** False while the CONNECTOR has not sent an end time yet; a later request brings it. */
  readonly ended: boolean;
  /** The other party: the caller of an incoming call, the callee of an outgoing one. */
  readonly external: CallParty;
  readonly internal: CallParty;
  readonly startedAt: Date;
  readonly answeredAt?: Date;
  readonly endedAt?: Date;
  readonly declinedAt?: Date;
  readonly talkSeconds: number;
  readonly ringSeconds: number;
  readonly subject: string;
  readonly description: string;
}

export interface CallContext {
  readonly region: CountryCode;
  readonly language: Language;
  readonly timezone: string;
}

export function computeCallFacts(call: CallInputs, context: CallContext): CallFacts {
  const texts = CALL_TEXTS[context.language];
  const originator = party(call.originatorNumber, call.originatorName, context, texts.unknownNumber);
  const destination = party(call.destinationNumber, call.destinationName, context, texts.unknownNumber);
  const [external, internal] = call.direction === 'incoming' ? [originator, destination] : [destination, originator];

  const answered = call.answeredAt !== undefined;
  const outcome: CallOutcome = answered ? 'answered' : call.direction === 'incoming' ? 'missed' : 'unanswered';
  const declined = !answered && call.declinedAt !== undefined;
  const ringEnd = call.answeredAt ?? call.declinedAt ?? call.endedAt;
  const ringSeconds = ringEnd ? secondsBetween(call.startedAt, ringEnd) : 0;
  const talkSeconds = call.answeredAt && call.endedAt ? secondsBetween(call.answeredAt, call.endedAt) : 0;

  const headline = {
    answered: call.direction === 'incoming' ? texts.incoming : texts.outgoing,
    missed: texts.missed,
    unanswered: texts.unanswered,
  }[outcome];
  const subject = headline.replace('{party}', external.label);

  const when = (date: Date): string => DateTime.fromJSDate(date, { zone: context.timezone }).toFormat('yyyy-MM-dd HH:mm:ss');
  const outcomeLabel = declined ? texts.outcomes.declined : texts.outcomes[outcome];
  const lines = [
    `${texts.from}: ${originator.label}`,
    `${texts.to}: ${destination.label}`,
    `${texts.started}: ${when(call.startedAt)} (${context.timezone})`,
    call.answeredAt ? `${texts.answered}: ${when(call.answeredAt)}` : undefined,
    declined && call.declinedAt ? `${texts.declined}: ${when(call.declinedAt)}` : undefined,
    `${texts.ended}: ${call.endedAt ? when(call.endedAt) : texts.inProgress}`,
    `${texts.ringTime}: ${duration(ringSeconds)}`,
    answered ? `${texts.talkTime}: ${duration(talkSeconds)}` : undefined,
    `${texts.outcome}: ${outcomeLabel}`,
  ];

  return {
    direction: call.direction,
    outcome,
    outcomeLabel,
    declined,
    ended: call.endedAt !== undefined,
    external,
    internal,
    startedAt: call.startedAt,
    answeredAt: call.answeredAt,
    endedAt: call.endedAt,
    declinedAt: call.declinedAt,
    talkSeconds,
    ringSeconds,
    subject,
    description: [subject, '', ...lines.filter((line): line is string => line !== undefined)].join('\n'),
  };
}

/** "Anna Maria Muster" → first "Anna Maria", last "Muster"; one word is a last name. */
export function splitName(name: string | undefined): { first?: string; last?: string } {
  const trimmed = name?.trim() ?? '';
  if (trimmed === '') return {};
  const space = trimmed.lastIndexOf(' ');
  return space > 0 ? { first: trimmed.slice(0, space), last: trimmed.slice(space + 1) } : { last: trimmed };
}

/** Numbers come as the CONNECTOR sends them (`41789072228`); internal extensions stay as they are. */
function party(number: string | undefined, name: string | undefined, context: CallContext, unknown: string): CallParty {
  const read = number === undefined ? undefined : normalizeIncoming(number, context.region);
  const e164 = read?.kind === 'phone' ? read.e164 : undefined;
  const shownNumber = e164 ? (parsePhoneNumberFromString(e164)?.formatInternational() ?? e164) : number;
  const label = name && shownNumber ? `${name} (${shownNumber})` : (name ?? shownNumber ?? unknown);
  return { number: e164 ?? number, name, label };
}

/** Whole seconds from `from` to `to`; 0 when the clocks disagree (answered "before" started). */
function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
}

function duration(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = String(totalSeconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}
