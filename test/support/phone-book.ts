/** A small phone book with numbers stored the ways people type them. */
export const PHONE_BOOK_CSV = [
  'name,company,phone,mobile,extension,url,company_url,Department',
  'Anna Muster,Muster Treuhand AG,+41 44 668 18 00,078 907 22 28,,https://crm.example.ch/c/anna,https://crm.example.ch/a/muster,Accounting',
  ',Muster Treuhand AG,044 668 18 00,,,https://crm.example.ch/a/muster,https://crm.example.ch/a/muster,',
  'Beat Keller,Keller Holzbau GmbH,,079.123.45.67,,,,Management',
  'Ian Clarke,Clarke & Partners Ltd,+44 (0)20 7946 0018,,,,,Legal',
  'Julia Chen,Bay Analytics Inc.,+1 (415) 555-1212,,,,,Engineering',
  'Fabian Weber,Weber GmbH,+49 78 907 22 28,,,,,Purchasing',
  'Nina Graf,Reception,,,201,,,Front desk',
].join('\n');

export const TOKEN = 'acme-token-123';
export const ACME_TENANT = `TOKEN=${TOKEN}\nDIRECTORY_FILE=book.csv\n`;
