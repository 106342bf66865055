import { describe, expect, it } from 'vitest';
import { scheduleSummary } from '../../src/shared/schedule';

describe('a schedule in words (rows, badges, the Schedule tab)', () => {
  it('names the common schedules as a user would say them, and shows any other expression as it is', () => {
    expect(scheduleSummary('*/30 * * * *')).toBe('every 30 minutes');
    expect(scheduleSummary('0 * * * *')).toBe('hourly');
    expect(scheduleSummary('15 * * * *')).toBe('hourly at :15');
    expect(scheduleSummary('0 */2 * * *')).toBe('every 2 hours');
    expect(scheduleSummary('0 0 * * *')).toBe('daily at 00:00');
    // Incus stores @weekly and @monthly as these expressions.
    expect(scheduleSummary('0 0 * * 0')).toBe('weekly on Sunday at 00:00');
    expect(scheduleSummary('30 8 * * 7')).toBe('weekly on Sunday at 08:30');
    expect(scheduleSummary('0 0 1 * *')).toBe('monthly on day 1 at 00:00');
    expect(scheduleSummary('@weekly')).toBe('weekly');
    expect(scheduleSummary('*/20 8-18 * * 1-5')).toBe('cron */20 8-18 * * 1-5');
    expect(scheduleSummary('0 0 * 1 0')).toBe('cron 0 0 * 1 0');
  });
});
