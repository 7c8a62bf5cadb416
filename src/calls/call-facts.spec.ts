import { computeCallFacts, splitName, type CallInputs } from './call-facts';
import type { Language } from './call-texts';

const at = (time: string) => new Date(`2026-11-24T${time}Z`);
const context = { region: 'CH' as const, language: 'en' as Language, timezone: 'Europe/Zurich' };

const incoming: CallInputs = {
  direction: 'incoming',
  originatorNumber: '41789072228',
  originatorName: 'Alexa Holiday',
  destinationNumber: '41446681800',
  destinationName: 'Reception',
  startedAt: at('09:15:00'),
};

describe('computeCallFacts', () => {
  it('describes an answered incoming call', () => {
    const facts = computeCallFacts({ ...incoming, answeredAt: at('09:15:12'), endedAt: at('09:17:17') }, context);
    expect(facts).toMatchObject({
      direction: 'incoming',
      outcome: 'answered',
      declined: false,
      ended: true,
      external: { number: '+41789072228', name: 'Alexa Holiday', label: 'Alexa Holiday (+41 78 907 22 28)' },
      internal: { number: '+41446681800', name: 'Reception', label: 'Reception (+41 44 668 18 00)' },
      ringSeconds: 12,
      talkSeconds: 125,
      subject: 'Incoming call from Alexa Holiday (+41 78 907 22 28)',
    });
    expect(facts.description).toBe(
      [
        'Incoming call from Alexa Holiday (+41 78 907 22 28)',
        '',
        'From: Alexa Holiday (+41 78 907 22 28)',
        'To: Reception (+41 44 668 18 00)',
        'Started: 2026-11-24 10:15:00 (Europe/Zurich)',
        'Answered: 2026-11-24 10:15:12',
        'Ended: 2026-11-24 10:17:17',
        'Ring time: 0:12',
        'Talk time: 2:05',
        'Outcome: answered',
      ].join('\n'),
    );
  });

  it('describes a missed incoming call', () => {
    const facts = computeCallFacts({ ...incoming, endedAt: at('09:15:30') }, context);
    expect(facts).toMatchObject({ outcome: 'missed', declined: false, ringSeconds: 30, talkSeconds: 0, subject: 'Missed call from Alexa Holiday (+41 78 907 22 28)' });
    expect(facts.description).not.toContain('Talk time');
    expect(facts.description).toContain('Outcome: missed');
  });

  it('describes a declined incoming call as missed, saying it was declined', () => {
    const facts = computeCallFacts({ ...incoming, declinedAt: at('09:15:05'), endedAt: at('09:15:05') }, context);
    expect(facts).toMatchObject({ outcome: 'missed', declined: true, ringSeconds: 5, talkSeconds: 0 });
    expect(facts.description).toContain('Declined: 2026-11-24 10:15:05');
    expect(facts.description).toContain('Outcome: declined');
  });

  it('describes an unanswered outgoing call, with the callee as the other party', () => {
    const facts = computeCallFacts(
      { direction: 'outgoing', originatorNumber: '201', originatorName: 'Nina Graf', destinationNumber: '0041 44 123 45 67', startedAt: at('09:00:00'), endedAt: at('09:00:40') },
      context,
    );
    expect(facts).toMatchObject({
      outcome: 'unanswered',
      external: { number: '+41441234567', label: '+41 44 123 45 67' },
      internal: { number: '201', label: 'Nina Graf (201)' },
      ringSeconds: 40,
      subject: 'Unanswered call to +41 44 123 45 67',
    });
  });

  it('describes an answered outgoing call', () => {
    const facts = computeCallFacts(
      { direction: 'outgoing', destinationNumber: '14155551212', destinationName: 'Julia Chen', startedAt: at('09:00:00'), answeredAt: at('09:00:03'), endedAt: at('10:01:04') },
      context,
    );
    expect(facts).toMatchObject({ outcome: 'answered', talkSeconds: 3661, subject: 'Outgoing call to Julia Chen (+1 415 555 1212)' });
    expect(facts.description).toContain('Talk time: 1:01:01');
  });

  it('keeps talk time at 0 and the call open while the end time is missing', () => {
    const facts = computeCallFacts({ ...incoming, answeredAt: at('09:15:10') }, context);
    expect(facts).toMatchObject({ outcome: 'answered', ended: false, talkSeconds: 0, ringSeconds: 10 });
    expect(facts.description).toContain('Ended: in progress');
  });

  it('never gives negative durations when the clocks disagree (answered before started)', () => {
    const facts = computeCallFacts({ ...incoming, answeredAt: at('09:14:50'), endedAt: at('09:14:40') }, context);
    expect(facts).toMatchObject({ ringSeconds: 0, talkSeconds: 0, outcome: 'answered' });
  });

  it('says "unknown number" for a withheld caller, and shows an unreadable number as it came', () => {
    expect(computeCallFacts({ direction: 'incoming', startedAt: at('09:00:00') }, context).subject).toBe('Missed call from unknown number');
    expect(computeCallFacts({ direction: 'incoming', originatorNumber: 'anonymous', startedAt: at('09:00:00') }, context).subject).toBe(
      'Missed call from anonymous',
    );
  });

  it.each<[Language, string, string]>([
    ['de', 'Eingehender Anruf von Alexa Holiday (+41 78 907 22 28)', 'Gesprächsdauer: 0:50'],
    ['fr', 'Appel entrant de Alexa Holiday (+41 78 907 22 28)', 'Durée de conversation: 0:50'],
    ['it', 'Chiamata in arrivo da Alexa Holiday (+41 78 907 22 28)', 'Durata conversazione: 0:50'],
  ])('writes in %s', (language, subject, talkLine) => {
    const facts = computeCallFacts({ ...incoming, answeredAt: at('09:15:10'), endedAt: at('09:16:00') }, { ...context, language });
    expect(facts.subject).toBe(subject);
    expect(facts.description).toContain(talkLine);
  });
});

describe('splitName', () => {
  it.each<[string | undefined, { first?: string; last?: string }]>([
    ['Anna Maria Muster', { first: 'Anna Maria', last: 'Muster' }],
    ['  Cher ', { last: 'Cher' }],
    ['', {}],
    [undefined, {}],
  ])('splits %j', (name, expected) => {
    expect(splitName(name)).toEqual(expected);
  });
});
