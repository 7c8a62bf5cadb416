/** Records of the fake org: numbers stored the many ways people type them. */
export type FakeRecord = Record<string, unknown> & { Id: string };

export interface FakeOrg {
  User: FakeRecord[];
  Account: FakeRecord[];
  Contact: FakeRecord[];
  Lead: FakeRecord[];
  Task: FakeRecord[];
  Case: FakeRecord[];
}

const modified = (day: number): string => `2026-11-${String(day).padStart(2, '0')}T08:00:00.000+0000`;

export function seedOrg(): FakeOrg {
  return {
    User: [
      { Id: '005000000000001AAA', Name: 'Integration User' },
      { Id: '005000000000002AAA', Name: 'Sarah Sales' },
    ],
    Account: [
      { Id: '001000000000001AAA', Name: 'Muster Treuhand AG', Phone: '+41 44 668 18 00', OwnerId: '005000000000002AAA', LastModifiedDate: modified(2) },
      { Id: '001000000000002AAA', Name: 'Alpenblick Hotel AG', Phone: '033 822 00 00', OwnerId: '005000000000002AAA', LastModifiedDate: modified(3) },
      { Id: '001000000000003AAA', Name: 'Clarke & Partners Ltd', Phone: '+44 (0)20 7946 0018', OwnerId: '005000000000001AAA', LastModifiedDate: modified(4) },
    ],
    Contact: [
      contact('003000000000001AAA', 'Anna', 'Muster', '001000000000001AAA', { MobilePhone: '+41 78 907 22 28', Phone: '044 668 18 00', Title: 'CFO' }, 20),
      contact('003000000000002AAA', 'Beat', 'Keller', '001000000000002AAA', { MobilePhone: '079.123.45.67', Title: 'Owner' }, 19),
      contact('003000000000003AAA', 'Chantal', 'Favre', null, { MobilePhone: '41 79 222 33 44' }, 18),
      contact('003000000000004AAA', 'Daniel', 'Bühler', null, { Phone: '+41 (0)31 350 11 11' }, 17),
      contact('003000000000005AAA', 'Ian', 'Clarke', '001000000000003AAA', { Phone: '+44 (0)20 7946 0018', MobilePhone: '+44 7911 123456' }, 16),
      contact('003000000000006AAA', 'Elena', 'Rossi', null, { Phone: '+39 02 1234 5678' }, 15),
      contact('003000000000007AAA', 'Julia', 'Chen', null, { Phone: '+1 (415) 555-1212' }, 14),
      contact('003000000000008AAA', 'Kurt', 'Meier', null, { Phone: '+41 52 212 34 56 ext 12' }, 13),
      contact('003000000000009AAA', 'Laura', 'Steiner', null, { Phone: '+41612710000' }, 12),
      contact('003000000000010AAA', 'Marco', 'Bernasconi', null, { HomePhone: '0041 91 922 33 44' }, 11),
      contact('003000000000011AAA', 'Fabian', 'Weber', null, { Phone: '+49 78 907 22 28' }, 10),
    ],
    Lead: [
      lead('00Q000000000001EAA', 'Olivia', 'Brunner', 'Brunner Bau AG', { Phone: '+41 76 555 44 33' }, false, 9),
      // Converted into Contact Anna Muster: same number, must not show up twice.
      lead('00Q000000000002EAA', 'Anna', 'Muster', 'Muster Treuhand AG', { MobilePhone: '+41 78 907 22 28' }, true, 8),
      lead('00Q000000000003EAA', 'Petra', 'Lang', 'Lang Consulting', { Phone: '+41 44 111 22 33', MobilePhone: '+41 79 444 55 66' }, false, 7),
    ],
    Task: [],
    Case: [],
  };
}

function contact(Id: string, FirstName: string, LastName: string, AccountId: string | null, phones: Record<string, string>, day: number): FakeRecord {
  return {
    Id,
    FirstName,
    LastName,
    Name: `${FirstName} ${LastName}`,
    AccountId,
    OwnerId: '005000000000002AAA',
    Title: null,
    Phone: null,
    MobilePhone: null,
    HomePhone: null,
    OtherPhone: null,
    AssistantPhone: null,
    LastModifiedDate: modified(day),
    ...phones,
  };
}

function lead(Id: string, FirstName: string, LastName: string, Company: string, phones: Record<string, string>, IsConverted: boolean, day: number): FakeRecord {
  return {
    Id,
    FirstName,
    LastName,
    Name: `${FirstName} ${LastName}`,
    Company,
    IsConverted,
    OwnerId: '005000000000002AAA',
    Phone: null,
    MobilePhone: null,
    LeadSource: null,
    LastModifiedDate: modified(day),
    ...phones,
  };
}
