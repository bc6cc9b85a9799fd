import { describe, expect, it } from 'vitest';
import { deliverAt, isValidTimeZone } from '../../../src/domain/assignment/deliver-at.js';

// Expected instants are worked out by hand from the zones' offsets (calendar: 2026-01-05 and
// 2026-03-30 are Mondays; Europe/Paris moves to UTC+2 on 2026-03-29).
const at = (iso: string) => new Date(iso);

describe('deliverAt', () => {
  it('adds the delay in UTC when there is no local hour, weekday or time zone', () => {
    expect(deliverAt(at('2026-01-05T10:30:00Z'), { delayMinutes: 60 }).toISOString()).toBe(
      '2026-01-05T11:30:00.000Z',
    );
  });

  it('delivers at the local hour the same evening when it is still ahead', () => {
    const d = deliverAt(at('2026-01-05T23:30:00Z'), { localHour: 19 }, 'America/New_York');
    expect(d.toISOString()).toBe('2026-01-06T00:00:00.000Z');
  });

  it('moves to the next day when the local hour has passed', () => {
    const d = deliverAt(at('2026-01-06T00:30:00Z'), { localHour: 19 }, 'America/New_York');
    expect(d.toISOString()).toBe('2026-01-07T00:00:00.000Z');
  });

  it('handles half-hour offsets and a delay that passes the local hour', () => {
    expect(deliverAt(at('2026-01-05T00:00:00Z'), { localHour: 9 }, 'Asia/Kolkata').toISOString()).toBe(
      '2026-01-05T03:30:00.000Z',
    );
    expect(
      deliverAt(
        at('2026-01-05T00:00:00Z'),
        { delayMinutes: 600, localHour: 9 },
        'Asia/Kolkata',
      ).toISOString(),
    ).toBe('2026-01-06T03:30:00.000Z');
  });

  it('waits for an allowed weekday across a daylight-saving change', () => {
    const d = deliverAt(at('2026-03-27T12:00:00Z'), { localHour: 9, weekdays: ['mon'] }, 'Europe/Paris');
    expect(d.toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });

  it('keeps the time of day when only weekdays are given', () => {
    expect(deliverAt(at('2026-01-10T15:00:00Z'), { weekdays: ['mon'] }).toISOString()).toBe(
      '2026-01-12T15:00:00.000Z',
    );
  });

  it('knows IANA names and refuses others', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(() => deliverAt(new Date(), { localHour: 9 }, 'Mars/Olympus')).toThrow(RangeError);
  });
});
