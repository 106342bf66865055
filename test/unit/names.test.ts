import { describe, expect, it } from 'vitest';
import { instanceNameProblem, snapshotNameProblem } from '../../src/shared/names';

describe('snapshot names', () => {
  it.each(['snap-20260102-030405', 'checkpoint_1', 'v1.2', 'A', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(snapshotNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', /must not be empty/],
    ['.', /names a directory/],
    ['..', /names a directory/],
    ['.git', /must not start with '\.'/],
    ['a/b', /must not contain '\/'/],
    ['../x', /must not start with '\.'/],
    ['a b', /whitespace/],
    ['tab\there', /whitespace/],
    ['-x', /must start with a letter or digit/],
    ['snap*', /may hold only letters, digits/],
    ['naïve', /may hold only letters, digits/],
    ['x'.repeat(64), /64 characters long; the limit is 63/],
  ])('rejects %j with a message naming the rule', (name, rule) => {
    expect(snapshotNameProblem(name)).toMatch(rule);
  });
});

describe('container names', () => {
  it.each(['coi-0a1b2c3d-1', 'a', 'web-2'])('accepts %s', (name) => {
    expect(instanceNameProblem(name)).toBeUndefined();
  });

  it.each(['', '1abc', 'a_b', 'ends-', 'a.b', 'x'.repeat(64)])('rejects %j', (name) => {
    expect(instanceNameProblem(name)).toBeTypeOf('string');
  });
});
