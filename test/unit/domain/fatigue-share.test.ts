import { describe, expect, it } from 'vitest';
import { contactEntry, dayOf } from '../../../src/domain/fatigue/contact-window.js';
import { fatigueShare } from '../../../src/domain/fatigue/fatigue-share.js';

const now = new Date('2026-03-10T12:00:00Z');
const today = dayOf(now);
const loanWeb = (daysAgo: number, tp = 'loan.web-offer') => contactEntry(today - daysAgo, 'loan', tp);
const loanSms = (daysAgo: number) => contactEntry(today - daysAgo, 'loan', 'loan.sms-reminder');
const cardApp = (daysAgo: number) => contactEntry(today - daysAgo, 'card', 'card.app-banner');

const channelOf = new Map([
  ['loan.web-offer', 'web'],
  ['loan.web-plan', 'web'],
  ['loan.sms-reminder', 'sms'],
  ['card.app-banner', 'app'],
]);

describe('the share of customers at a fatigue cap', () => {
  it('when customers are contacted on a journey with a cap of 2 a week, then each journey and channel counts its customers inside the window and those at the cap', () => {
    const customers = [
      [loanWeb(0), loanWeb(1, 'loan.web-plan')], // 2 loan contacts in the week: at the cap
      [loanWeb(2), loanSms(3)], // at the cap, counted on web and on sms
      [loanWeb(1)], // one contact: not at the cap
      [loanWeb(8), loanWeb(9)], // both outside the 7-day window: not counted
      [cardApp(0), cardApp(1), cardApp(2)], // a journey no policy covers: left out
    ];
    const share = fatigueShare(
      customers,
      [{ key: 'loan-weekly', journey: 'loan', maxContacts: 2, windowDays: 7 }],
      channelOf,
      { now, sampled: customers.length, limit: 10 },
    );
    expect(share.complete).toBe(true);
    expect(share.rows).toEqual([
      { journey: 'loan', channel: 'sms', customers: 1, atCap: 1, share: 1, policies: ['loan-weekly'] },
      { journey: 'loan', channel: 'web', customers: 3, atCap: 2, share: 2 / 3, policies: ['loan-weekly'] },
    ]);
  });

  it('when a global policy caps every journey, then contacts on all journeys count towards one cap and every journey is shown', () => {
    const customers = [[loanWeb(0), cardApp(0)], [cardApp(1)]];
    const share = fatigueShare(
      customers,
      [
        { key: 'global', maxContacts: 2, windowDays: 3 },
        { key: 'off', journey: 'card', maxContacts: 1, windowDays: 3, active: false },
      ],
      channelOf,
      { now, sampled: 2, limit: 2 },
    );
    // Two customers read out of a limit of two: there may be more, so the figures are not complete.
    expect(share.complete).toBe(false);
    expect(share.rows).toEqual([
      { journey: 'card', channel: 'app', customers: 2, atCap: 1, share: 0.5, policies: ['global'] },
      { journey: 'loan', channel: 'web', customers: 1, atCap: 1, share: 1, policies: ['global'] },
    ]);
  });

  it('when no policy is active, then there is nothing to show', () => {
    expect(fatigueShare([[loanWeb(0)]], [], channelOf, { now, sampled: 1, limit: 5 }).rows).toEqual([]);
  });
});
