import { EXPECTED_TIME, parseCallTime, timesOutOfOrder, type CallTimes } from './call-time';

const iso = (raw: unknown, tz = 'Europe/Zurich') => {
  const reading = parseCallTime(raw, tz);
  return reading.ok ? reading.value?.toISOString() : `refused: ${reading.expected}`;
};

describe('parseCallTime', () => {
  it.each<[unknown, string, string | undefined]>([
    ['2026-11-24T10:15:00+01:00', 'Europe/Zurich', '2026-11-24T09:15:00.000Z'],
    ['2026-11-24T10:15:00Z', 'Europe/Zurich', '2026-11-24T10:15:00.000Z'],
    ['2026-11-24T10:15:00.250-05:00', 'Europe/Zurich', '2026-11-24T15:15:00.250Z'],
    ['2026-11-24T10:15:00', 'Europe/Zurich', '2026-11-24T09:15:00.000Z'],
    ['2026-07-01T10:15:00', 'Europe/Zurich', '2026-07-01T08:15:00.000Z'],
    ['2026-11-24T10:15:00', 'America/New_York', '2026-11-24T15:15:00.000Z'],
    ['2026-11-24 10:15:00', 'Europe/Zurich', '2026-11-24T09:15:00.000Z'],
    ['2026-07-01 10:15:00', 'UTC', '2026-07-01T10:15:00.000Z'],
    ['2026-11-24 10:15:00 +03:00', 'Europe/Zurich', '2026-11-24T07:15:00.000Z'],
    [1795511700, 'Europe/Zurich', '2026-11-24T09:15:00.000Z'],
    [1795511700000, 'Europe/Zurich', '2026-11-24T09:15:00.000Z'],
    ['1795511700', 'Europe/Zurich', '2026-11-24T09:15:00.000Z'],
    ['1795511700123', 'Europe/Zurich', '2026-11-24T09:15:00.123Z'],
    ['', 'Europe/Zurich', undefined],
    ['   ', 'Europe/Zurich', undefined],
    [null, 'Europe/Zurich', undefined],
    [undefined, 'Europe/Zurich', undefined],
  ])('reads %j in %s as %s', (raw, tz, expected) => {
    expect(iso(raw, tz)).toBe(expected);
  });

  it.each<unknown>(['yesterday', '24.11.2026 10:15', '2026-13-01T00:00:00', '2026-11-24T25:00:00', -5, 123, 1e15, Number.NaN, true, {}, ['2026-11-24']])(
    'refuses %j, saying what it expects',
    (raw) => {
      expect(iso(raw)).toBe(`refused: ${EXPECTED_TIME}`);
    },
  );
});

describe('timesOutOfOrder', () => {
  const at = (text: string): Date => new Date(`2026-11-24T${text}Z`);
  const shown = (field: string): string => `<${field}>`;

  it.each<[string, CallTimes, string[]]>([
    ['a call in order', { startedTime: at('10:15:00'), answeredTime: at('10:15:08'), endedTime: at('10:19:08') }, []],
    ['the same second', { startedTime: at('10:15:00.900'), answeredTime: at('10:15:00.100'), endedTime: at('10:15:00.050') }, []],
    ['a start only', { startedTime: at('10:15:00') }, []],
    ['an answer before the start', { startedTime: at('10:15:00'), answeredTime: at('10:14:59') }, ['inputs.answeredTime (<answeredTime>) is before inputs.startedTime (<startedTime>)']],
    ['a decline before the start', { startedTime: at('10:15:00'), declinedTime: at('10:14:00') }, ['inputs.declinedTime (<declinedTime>) is before inputs.startedTime (<startedTime>)']],
    ['an end before the start', { startedTime: at('10:15:00'), endedTime: at('10:14:00') }, ['inputs.endedTime (<endedTime>) is before inputs.startedTime (<startedTime>)']],
    ['an end before the answer', { startedTime: at('10:15:00'), answeredTime: at('10:16:00'), endedTime: at('10:15:30') }, ['inputs.endedTime (<endedTime>) is before inputs.answeredTime (<answeredTime>)']],
    [
      'an answer and an end before the start, the end named once',
      { startedTime: at('10:15:00'), answeredTime: at('10:14:00'), endedTime: at('10:13:00') },
      ['inputs.answeredTime (<answeredTime>) is before inputs.startedTime (<startedTime>)', 'inputs.endedTime (<endedTime>) is before inputs.startedTime (<startedTime>)'],
    ],
  ])('finds %s', (_, times, expected) => {
    expect(timesOutOfOrder(times, shown)).toEqual(expected);
  });
});
