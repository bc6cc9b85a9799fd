import { describe, expect, it } from 'vitest';
import { experimentBody, historyLabels } from '../../../src/http/dashboard/experiment.page.js';
import { chance, relative } from '../../../src/http/dashboard/format.js';
import { journeysBody, leadingVariant } from '../../../src/http/dashboard/journeys.page.js';
import { pooledCellText, portfolioBody } from '../../../src/http/dashboard/portfolio.page.js';
import { i18nFor } from '../../../src/i18n/index.js';
import { isVariantResult } from '../../../src/stats/index.js';
import * as fx from '../../fixtures/dashboard/readouts.fixture.js';

/** The text inside the element with this data-testid (tags stripped), or undefined. */
function textOf(page: string, testid: string): string | undefined {
  const start = page.indexOf(`data-testid="${testid}"`);
  if (start < 0) return undefined;
  const open = page.indexOf('>', start);
  const tag = page.lastIndexOf('<', start);
  const name = page.slice(tag + 1).match(/^[a-z0-9]+/)?.[0];
  const close = page.indexOf(`</${name}>`, open);
  return page
    .slice(open + 1, close)
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const view = fx.readoutResponse(
  'loss-frame-reminder',
  'Loss-framed <b>reminder</b>',
  fx.paymentReminderInput,
  4,
);

describe('experiment page', () => {
  const page = experimentBody(view, { printing: false }).value;

  it('shows each variant chance to beat control and lift exactly as the readout has them', () => {
    const readout = view.latest!.readout!;
    let checked = 0;
    for (const [key, m] of Object.entries(readout.metrics)) {
      for (const [variant, r] of Object.entries(m.variants)) {
        if (!isVariantResult(r)) continue;
        expect(textOf(page, `chance-${key}-${variant}`)).toBe(chance(r.chanceToBeatControl));
        if (m.kind !== 'nps')
          expect(textOf(page, `lift-${key}-${variant}`)).toBe(relative(r.relativeLift.mean));
        if (m.role === 'guardrail')
          expect(textOf(page, `harm-${key}-${variant}`)).toBe(chance(r.chanceOfHarm));
        checked += 1;
      }
    }
    expect(checked).toBe(4);
    expect(textOf(page, 'decision-summary')).toBe(readout.decision.summary);
    expect(textOf(page, 'exposures-loss-frame')).toBe('12,050');
    expect(textOf(page, 'segment-comparisons')).toMatch(/^2 comparisons/);
  });

  it('escapes the experiment name and embeds chart data for the lift and the history', () => {
    expect(page).toContain('Loss-framed &lt;b&gt;reminder&lt;/b&gt;');
    expect(page).not.toContain('<b>reminder</b>');
    expect(page.match(/<canvas data-chart=/g)).toHaveLength(6);
    expect(page).toContain('href="/v1/experiments/loss-frame-reminder/readout.pdf"');
  });

  it('says there is no readout yet instead of showing empty tables', () => {
    const empty = experimentBody({ ...view, latest: null, history: [] }, { printing: true }).value;
    expect(textOf(empty, 'no-readout')).toMatch(/^No readout yet/);
    expect(empty).not.toContain('readout.pdf');
  });
});

describe('journey map and portfolio', () => {
  it('colours each experiment by the leading variant on the primary and satisfaction metrics', () => {
    const summary = fx.journeySummary(view);
    const exp = summary.touchpoints[0]!.experiments[0]!;
    expect(leadingVariant(exp)).toBe('loss-frame');
    const page = journeysBody([summary], 'Journeys').value;
    const primary = exp.lifts.find((l) => l.role === 'primary')!;
    expect(textOf(page, 'exp-loss-frame-reminder-primary')).toBe(
      `Primary: ${relative(primary.relativeLift.mean)} ${chance(primary.chanceToBeatControl)}`,
    );
    expect(page).toMatch(/class="chip eff-win" data-testid="exp-loss-frame-reminder-primary"/);
    expect(page).toContain('Collections &lt;&amp; friends&gt;');
    expect(textOf(page, 'tp-collections.pay-page')).toContain('No running or concluded nudges');
  });

  it('when the portfolio is drawn, then each measure is pooled in its own unit: conversion relative, CSAT, NPS and effort in points', () => {
    const p = fx.portfolio(view);
    const page = portfolioBody(p).value;
    const lifts = fx.journeySummary(view).touchpoints[0]!.experiments[0]!.lifts;
    const lift = (metric: string) => lifts.find((l) => l.metric === metric && l.variant === 'loss-frame')!;
    const [type] = p.nudgeTypes;
    // One experiment pooled: the estimate is its own lift, in the measure's unit.
    expect(type!.conversion.estimate).toBeCloseTo(lift('on-time').relativeLift.mean, 12);
    expect(type!.csat.estimate).toBeCloseTo(lift('csat').absoluteLift.mean, 12);
    expect(type!.nps.estimate).toBeCloseTo(lift('nps').absoluteLift.mean, 12);
    // Effort is lower-is-better: less effort counts as an improvement.
    expect(type!.effort.estimate).toBeCloseTo(-lift('effort').absoluteLift.mean, 12);
    for (const m of ['conversion', 'csat', 'nps', 'effort'] as const) {
      expect(textOf(page, `pf-type-framing-${m}`)).toBe(pooledCellText(m, type![m]));
      expect(textOf(page, `pf-tp-collections.payment-reminder-${m}`)).toBe(
        pooledCellText(m, p.touchpoints[0]![m]),
      );
    }
    expect(textOf(page, 'pf-type-framing-conversion')).toMatch(/^[+-]\d+\.\d%/);
    expect(textOf(page, 'pf-type-framing-nps')).toMatch(/^[+-]\d+\.\d [+-]/);
    expect(page).toContain('<th>CSAT (mean score, points of 1-5)</th><th>NPS (points)</th>');
  });

  it('when the portfolio is drawn in Ukrainian, then each pooled cell reads its figures and interval in Ukrainian', () => {
    const p = fx.portfolio(view);
    const uk = i18nFor('uk');
    const page = portfolioBody(p, uk).value;
    const [type] = p.nudgeTypes;
    for (const m of ['conversion', 'csat', 'nps', 'effort'] as const) {
      const text = pooledCellText(m, type![m], uk);
      expect(textOf(page, `pf-type-framing-${m}`)).toBe(text);
      expect(text).toMatch(/^[+-]\d+,\d+%? від [+-]\d+,\d+%? до [+-]\d+,\d+%? \(1\)$/);
    }
    expect(page).toContain('<th>CSAT (середня оцінка, пункти шкали 1–5)</th><th>NPS (пункти)</th>');
    expect(page).toContain('<h2>За типом наджа</h2>');
  });
});

describe('history labels', () => {
  it('show seconds when refreshes are close together and minutes when they are hours apart', () => {
    expect(historyLabels(['2026-11-23T06:33:01.120Z', '2026-11-23T06:33:09.950Z'])).toEqual([
      '11-23 06:33:01',
      '11-23 06:33:09',
    ]);
    expect(historyLabels(['2026-11-01T09:00:00.000Z', '2026-11-02T09:00:00.000Z'])).toEqual([
      '11-01 09:00',
      '11-02 09:00',
    ]);
  });
});
