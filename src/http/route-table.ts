import { allowedRoles, type Route } from './route.js';

const BEGIN = '<!-- route-table:begin (generated from the route declarations: npm run routes:readme) -->';
const END = '<!-- route-table:end -->';

function who(route: Route): string {
  const roles = allowedRoles(route.access)?.filter((r) => r !== 'admin');
  if (!roles) return 'none';
  const named = roles.length > 0 ? roles.join(', ') : 'admin';
  switch (route.access.via) {
    case 'session':
      return `${named} (dashboard session)`;
    case 'key-or-session':
      return `${named} (key or dashboard session)`;
    case 'key-or-token':
      return `${named} or METRICS_TOKEN`;
    default:
      return named;
  }
}

function shown(route: Route): string {
  const query = route.query ? Object.keys(route.query.shape) : [];
  const suffix = query.length > 0 ? `?${query.map((k) => `${k}=`).join('&')}` : '';
  return `\`${route.method.toUpperCase()} ${route.path}${suffix}\``;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Reading order of the table; mount order puts the hot path first instead. */
const TAG_ORDER = [
  'health',
  'journeys',
  'touchpoints',
  'nudges',
  'experiments',
  'keys',
  'audit',
  'assignments',
  'events',
  'readouts',
  'alerts',
  'dashboard',
];

function rank(tag: string): number {
  const i = TAG_ORDER.indexOf(tag);
  return i < 0 ? TAG_ORDER.length : i;
}

/** The README's table of routes: one row per declared route, by tag, in mount order within one. */
export function routeTable(routes: readonly Route[]): string {
  // Array sort is stable, so routes of one tag keep their mount order.
  const ordered = [...routes].sort((a, b) => rank(a.tag) - rank(b.tag));
  const rows = ordered.map(
    (r) => `| ${cell(shown(r))} | ${cell(who(r))} | ${cell(r.description ?? `${r.summary}.`)} |`,
  );
  return ['| route | roles | what it does |', '|---|---|---|', ...rows].join('\n');
}

/** The README with its route table replaced; undefined when the README has no table markers. */
export function withRouteTable(readme: string, routes: readonly Route[]): string | undefined {
  const from = readme.indexOf(BEGIN);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) return undefined;
  return `${readme.slice(0, from + BEGIN.length)}\n${routeTable(routes)}\n${readme.slice(to)}`;
}
