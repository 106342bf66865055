import { describe, expect, it } from 'vitest';
import { expiryProblem, expiryText } from '../../src/shared/expiry';
import { someNames } from '../../src/shared/names';

const now = new Date(2026, 10, 27, 12, 0, 0);
const later = (ms: number) => new Date(now.getTime() + ms).toISOString();

describe('the expiry rule', () => {
  it('refuses a time in the past, naming it', () => {
    expect(expiryProblem(new Date(2020, 0, 1).toISOString(), now)).toBe(
      'the expiry 2020-01-01 00:00 is in the past: Incus would delete the snapshot within a minute; pick a later time or no expiry',
    );
    expect(expiryProblem(now.toISOString(), now)).toMatch(/is in the past/);
  });

  it('refuses a time within the next minute, and accepts one after it', () => {
    expect(expiryProblem(later(30_000), now)).toBe(
      'the expiry 2026-11-27 12:00 is less than a minute away: Incus would delete the snapshot within a minute; pick a later time or no expiry',
    );
    expect(expiryProblem(later(60_000), now)).toMatch(/less than a minute away/);
    expect(expiryProblem(later(61_000), now)).toBeUndefined();
    expect(expiryProblem('2099-01-01T00:00:00Z', now)).toBeUndefined();
  });

  it('says a passed expiry is expired, never "expires … ago"', () => {
    const at = now.getTime();
    expect(expiryText(new Date(2020, 0, 1).toISOString(), at)).toBe('expired, Incus deletes it at its next pruning');
    expect(expiryText(later(4 * 86_400_000), at)).toBe('expires in 4 days');
    expect(expiryText(null, at)).toBeNull();
  });
});

describe('lists of names in messages', () => {
  it('names the first five and marks the rest', () => {
    expect(someNames(['a', 'b'])).toBe('a, b');
    expect(someNames(Array.from({ length: 312 }, (_, index) => `s${index}`))).toBe('s0, s1, s2, s3, s4, …');
    expect(someNames([])).toBe('');
  });
});
