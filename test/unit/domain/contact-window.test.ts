import { describe, expect, it } from 'vitest';
import {
  atCap,
  contactEntry,
  contactsInWindow,
  dayOf,
  expired,
} from '../../../src/domain/fatigue/contact-window.js';

const journeyCap = { key: 'cap', journey: 'home-loan', maxContacts: 2, windowDays: 7 };
const globalCap = { key: 'all', maxContacts: 3, windowDays: 7 };

describe('contact window', () => {
  const today = dayOf(new Date('2026-06-10T12:00:00Z'));
  const entries = [
    contactEntry(today, 'home-loan', 'apply.offer'),
    contactEntry(today - 6, 'home-loan', 'apply.sms'),
    contactEntry(today - 7, 'home-loan', 'apply.email'),
    contactEntry(today - 1, 'telco', 'telco.offer'),
  ];

  it('counts today and the 6 days before for a 7-day window, on the policy journey only', () => {
    expect(contactsInWindow(entries, journeyCap, today)).toBe(2);
    expect(atCap(entries, journeyCap, today)).toBe(true);
  });

  it('counts every journey for a global policy', () => {
    expect(contactsInWindow(entries, globalCap, today)).toBe(3);
    expect(atCap(entries, globalCap, today)).toBe(true);
    expect(atCap(entries, globalCap, today + 1)).toBe(false);
  });

  it('when there are no contacts, then nobody is at a cap', () => {
    expect(contactsInWindow([], globalCap, today)).toBe(0);
    expect(atCap([], journeyCap, today)).toBe(false);
  });

  it('finds the entries older than the horizon', () => {
    expect(expired(entries, today, 7)).toEqual([contactEntry(today - 7, 'home-loan', 'apply.email')]);
    expect(dayOf(new Date('1970-01-02T00:00:00Z'))).toBe(1);
  });
});
