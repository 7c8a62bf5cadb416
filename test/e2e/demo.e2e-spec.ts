import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/test-app';

const DEMO_TENANTS = join(__dirname, '../../examples/tenants');

describe('the demo tenant (e2e)', () => {
  let gateway: TestApp;
  beforeAll(async () => {
    gateway = await startTestApp({ tenantsDir: DEMO_TENANTS });
  });
  afterAll(() => gateway.close());

  const names = async (number: string): Promise<string[]> => {
    const response = await gateway.http.get('/lookup').query({ PhoneNumber: number }).set('X-Execution-Token', 'demo-token').expect(200);
    return response.body.map((c: { Name: string }) => c.Name);
  };

  it.each([
    ['41789072228', ['Anna Muster']],
    ['+41 78 907 22 28', ['Anna Muster']],
    ['0041789072228', ['Anna Muster']],
    ['078 907 22 28', ['Anna Muster']],
    ['41446681800', ['Anna Muster', 'Muster Treuhand AG']],
    ['41791234567', ['Beat Keller']],
    ['41441234567', ['Beat Keller']],
    ['41215522000', ['Chantal Favre']],
    ['41792223344', ['Chantal Favre']],
    ['41313501111', ['Daniel Bühler']],
    ['41765554433', ['Daniel Bühler']],
    ['390212345678', ['Elena Rossi']],
    ['4930901820', ['Fabian Weber']],
    ['4315134567', ['Gabriele Huber']],
    ['33142685300', ['Hélène Dubois']],
    ['442079460018', ['Ian Clarke']],
    ['14155551212', ['Julia Chen']],
    ['41522123456', ['Kurt Meier']],
    ['41338220000', ['Alpenblick Hotel AG']],
    ['201', ['Nina Graf']],
    ['203', ['Petra Lang']],
    ['41789072229', []],
    ['anonymous', []],
  ])('finds %s', async (number, expected) => {
    expect(await names(number)).toEqual(expected);
  });
});
