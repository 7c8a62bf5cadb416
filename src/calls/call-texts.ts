export const LANGUAGES = ['en', 'de', 'fr', 'it'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface CallTexts {
  readonly incoming: string;
  readonly outgoing: string;
  readonly missed: string;
  readonly unanswered: string;
  readonly unknownNumber: string;
  readonly from: string;
  readonly to: string;
  readonly started: string;
  readonly answered: string;
  readonly ended: string;
  readonly declined: string;
  readonly ringTime: string;
  readonly talkTime: string;
  readonly outcome: string;
  readonly inProgress: string;
  readonly outcomes: { readonly answered: string; readonly missed: string; readonly unanswered: string; readonly declined: string };
}

/** `{party}` is replaced by "Name (+41 78 907 22 28)". */
export const CALL_TEXTS: Readonly<Record<Language, CallTexts>> = {
  en: {
    incoming: 'Incoming call from {party}',
    outgoing: 'Outgoing call to {party}',
    missed: 'Missed call from {party}',
    unanswered: 'Unanswered call to {party}',
    unknownNumber: 'unknown number',
    from: 'From',
    to: 'To',
    started: 'Started',
    answered: 'Answered',
    ended: 'Ended',
    declined: 'Declined',
    ringTime: 'Ring time',
    talkTime: 'Talk time',
    outcome: 'Outcome',
    inProgress: 'in progress',
    outcomes: { answered: 'answered', missed: 'missed', unanswered: 'not answered', declined: 'declined' },
  },
  de: {
    incoming: 'Eingehender Anruf von {party}',
    outgoing: 'Ausgehender Anruf an {party}',
    missed: 'Verpasster Anruf von {party}',
    unanswered: 'Unbeantworteter Anruf an {party}',
    unknownNumber: 'unbekannte Nummer',
    from: 'Von',
    to: 'An',
    started: 'Beginn',
    answered: 'Angenommen',
    ended: 'Ende',
    declined: 'Abgelehnt',
    ringTime: 'Klingeldauer',
    talkTime: 'Gesprächsdauer',
    outcome: 'Ergebnis',
    inProgress: 'läuft',
    outcomes: { answered: 'angenommen', missed: 'verpasst', unanswered: 'nicht angenommen', declined: 'abgelehnt' },
  },
  fr: {
    incoming: 'Appel entrant de {party}',
    outgoing: 'Appel sortant vers {party}',
    missed: 'Appel manqué de {party}',
    unanswered: 'Appel sans réponse vers {party}',
    unknownNumber: 'numéro inconnu',
    from: 'De',
    to: 'À',
    started: 'Début',
    answered: 'Répondu',
    ended: 'Fin',
    declined: 'Refusé',
    ringTime: 'Durée de sonnerie',
    talkTime: 'Durée de conversation',
    outcome: 'Résultat',
    inProgress: 'en cours',
    outcomes: { answered: 'répondu', missed: 'manqué', unanswered: 'sans réponse', declined: 'refusé' },
  },
  it: {
    incoming: 'Chiamata in arrivo da {party}',
    outgoing: 'Chiamata in uscita verso {party}',
    missed: 'Chiamata persa da {party}',
    unanswered: 'Chiamata senza risposta verso {party}',
    unknownNumber: 'numero sconosciuto',
    from: 'Da',
    to: 'A',
    started: 'Inizio',
    answered: 'Risposta',
    ended: 'Fine',
    declined: 'Rifiutata',
    ringTime: 'Durata squillo',
    talkTime: 'Durata conversazione',
    outcome: 'Esito',
    inProgress: 'in corso',
    outcomes: { answered: 'risposta', missed: 'persa', unanswered: 'senza risposta', declined: 'rifiutata' },
  },
};
