import { describe, expect, it } from 'vitest';
import { AppError, parseInput } from '../../src/main/errors';
import { DiffRequestSchema } from '../../src/shared/diff';

describe('parseInput', () => {
  it('turns a bad request into one invalid-input error naming the field and the rule, not a dump of zod issues', () => {
    const bad = () => parseInput(DiffRequestSchema, { host: 'local', container: 'c', from: '../before' }, 'snapshot diff');
    expect(bad).toThrow(AppError);
    expect(bad).toThrow(/^invalid snapshot diff: from: snapshot name '\.\.\/before' must not start with '\.'$/);
  });

  it('returns the parsed value of a good one', () => {
    expect(parseInput(DiffRequestSchema, { host: 'local', container: 'c', from: 'before' }, 'snapshot diff')).toMatchObject({ from: 'before' });
  });
});
