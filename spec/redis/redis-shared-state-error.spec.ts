// lib/redis/redis-shared-state-error.ts: the error of a Redis call that failed or did not answer.
import { describe, expect, it } from 'vitest';
import { RedisSharedStateError } from '../../lib/redis/index.js';

describe('RedisSharedStateError', () => {
  it('says what was being done, with its message and cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new RedisSharedStateError('lock-wait', 'Redis refresh lock not granted within 200 ms', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RedisSharedStateError');
    expect(error.operation).toBe('lock-wait');
    expect(error.message).toBe('Redis refresh lock not granted within 200 ms');
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('RedisSharedStateError: Redis refresh lock not granted within 200 ms');
  });

  it('has no cause when none is given', () => {
    expect(new RedisSharedStateError('read', 'Redis HMGET failed').cause).toBeUndefined();
  });
});
