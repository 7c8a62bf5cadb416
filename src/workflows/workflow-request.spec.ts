import { ValidationPipe, BadRequestException } from '@nestjs/common';
import { WorkflowBody } from './workflow-request.dto';

const pipe = new ValidationPipe({ transform: true, whitelist: true });
const validate = (body: unknown) => pipe.transform(body, { type: 'body', metatype: WorkflowBody });
const messages = async (body: unknown): Promise<string[]> => {
  try {
    await validate(body);
  } catch (error) {
    return ((error as BadRequestException).getResponse() as { message: string[] }).message;
  }
  throw new Error('expected a 400');
};

const valid = { direction: 'incoming', startedTime: '2026-11-24T10:15:00+01:00' };

describe('workflow request validation', () => {
  it('accepts the contract fields, normalises direction, and treats "" and null as not set', async () => {
    const body = (await validate({
      inputs: { ...valid, direction: 'Incoming', contactCrmId: 'alpha:Contact:1', answeredTime: '', endedTime: null, id: null, originatorNumber: 41789072228 },
    })) as WorkflowBody;
    expect(body.inputs).toMatchObject({ direction: 'incoming', contactCrmId: 'alpha:Contact:1', originatorNumber: '41789072228' });
    expect(body.inputs.answeredTime).toBeUndefined();
    expect(body.inputs.endedTime).toBeUndefined();
    expect(body.inputs.id).toBeUndefined();
  });

  it('ignores unknown fields', async () => {
    const body = (await validate({ inputs: { ...valid, recordingUrl: 'https://x', nested: { a: 1 } }, extra: true })) as WorkflowBody;
    expect(body.inputs).not.toHaveProperty('recordingUrl');
    expect(body).not.toHaveProperty('extra');
  });

  it.each([
    ['2026-11-24 10:15:00'],
    ['2026-11-24T10:15:00'],
    [1795511700],
    [1795511700000],
    ['1795511700'],
  ])('accepts the time %j', async (startedTime) => {
    await expect(validate({ inputs: { ...valid, startedTime } })).resolves.toBeDefined();
  });

  it.each<[unknown, string]>([
    [undefined, 'The body must be a JSON object with an "inputs" object'],
    [{}, 'The body must be a JSON object with an "inputs" object'],
    [{ inputs: 'x' }, 'The body must be a JSON object with an "inputs" object'],
    [{ inputs: { ...valid, direction: 'sideways' } }, 'inputs.direction must be "incoming" or "outgoing"'],
    [{ inputs: { startedTime: valid.startedTime } }, 'inputs.direction is required: "incoming" or "outgoing"'],
    [{ inputs: { direction: 'incoming' } }, 'inputs.startedTime is required: an ISO 8601 time'],
    [{ inputs: { ...valid, startedTime: '' } }, 'inputs.startedTime is required'],
    [{ inputs: { ...valid, answeredTime: 'soon' } }, 'inputs.answeredTime must be an ISO 8601 time (2026-11-24T10:15:00+01:00), "YYYY-MM-DD HH:mm:ss", or Unix epoch seconds or milliseconds'],
    [{ inputs: { ...valid, endedTime: '24.11.2026' } }, 'inputs.endedTime must be an ISO 8601 time'],
    [{ inputs: { ...valid, declinedTime: true } }, 'inputs.declinedTime must be an ISO 8601 time'],
    [{ inputs: { ...valid, contactCrmId: { id: 1 } } }, 'inputs.contactCrmId must be a string'],
    [{ inputs: { ...valid, originatorName: ['a'] } }, 'inputs.originatorName must be a string'],
  ])('refuses %j naming the field and what was expected', async (body, expected) => {
    expect((await messages(body)).join('\n')).toContain(expected);
  });

  it.each([undefined, {}, { inputs: 'x' }, { inputs: null }, { inputs: [] }, [], 'x'])('says in one sentence what a body %j must be', async (body) => {
    expect(await messages(body)).toEqual(['The body must be a JSON object with an "inputs" object: {"inputs":{…}} holding the call\'s facts']);
  });
});
