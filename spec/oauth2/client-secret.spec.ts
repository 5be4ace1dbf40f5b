import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { clientSecretBasic, clientSecretPost } from '../../lib/oauth2/client-secret.js';
import { formOf, formRequest, recordingTransport } from './auth-fixtures.js';

const clientId = 'svc:billing/1';
const clientSecret = 'p@ss:w%rd +/é';

describe('clientSecretBasic', () => {
  it('sends the id and secret in HTTP Basic, each form-encoded first (RFC 6749 §2.3.1, Appendix B)', async () => {
    const { send, sent } = recordingTransport();
    await lastValueFrom(clientSecretBasic({ clientId, clientSecret })(formRequest({ grant_type: 'client_credentials' }), send));

    expect(sent[0]!.headers.authorization).toBe(`Basic ${Buffer.from('svc%3Abilling%2F1:p%40ss%3Aw%25rd+%2B%2F%C3%A9').toString('base64')}`);
    expect(formOf(sent[0])).toEqual({ grant_type: 'client_credentials' });
    expect(sent[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('takes the secret out of a failing answer that echoes it, and leaves a success alone', async () => {
    const echo = recordingTransport(401, { error: 'invalid_client', error_description: `bad secret ${clientSecret} (${encodeURIComponent(clientSecret)})` });
    const failed = await lastValueFrom(clientSecretBasic({ clientId, clientSecret })(formRequest({}), echo.send));
    expect(JSON.stringify(failed.body)).not.toContain('w%rd');
    expect(failed.body).toEqual({ error: 'invalid_client', error_description: 'bad secret *** (***)' });

    const ok = recordingTransport(200, `{"access_token":"${clientSecret}"}`);
    expect((await lastValueFrom(clientSecretBasic({ clientId, clientSecret })(formRequest({}), ok.send))).body).toContain(clientSecret);
  });
});

describe('clientSecretPost', () => {
  it('sends client_id and client_secret as form fields, which win over fields of the same name', async () => {
    const { send, sent } = recordingTransport();
    await lastValueFrom(clientSecretPost({ clientId, clientSecret })(formRequest({ grant_type: 'refresh_token', client_secret: 'injected' }), send));

    expect(formOf(sent[0])).toEqual({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret });
    expect(sent[0]!.headers.authorization).toBeUndefined();
  });
});

describe.each([
  ['clientSecretBasic', clientSecretBasic],
  ['clientSecretPost', clientSecretPost],
] as const)('%s with a bad config', (name, make) => {
  it.each([
    ['no clientId', { clientSecret }, 'clientId'],
    ['an empty secret', { clientId, clientSecret: '' }, 'clientSecret'],
    ['a secret that is no string', { clientId, clientSecret: 42 }, 'clientSecret'],
    ['no config', null, 'clientId'],
  ])('throws a TypeError for %s, naming the field and never the secret', (_case, config, field) => {
    const call = () => make(config as never);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(`${name}: ${field} must be a non-empty string`);
  });
});
