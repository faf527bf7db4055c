// The console's places as a hash route, so a reload, a link or a notification lands on the same view:
// #/queue/<id>, #/history/<id>, #/replay/<id>?t=<ms>, #/dashboard, #/rules, #/export, #/settings.

export type View = 'queue' | 'history' | 'replay' | 'dashboard' | 'rules' | 'export' | 'settings';

export interface Route {
  view: View;
  id: string | null;
  /** Replay start offset in recorded milliseconds. */
  t: number | null;
}

const VIEWS: readonly View[] = ['queue', 'history', 'replay', 'dashboard', 'rules', 'export', 'settings'];

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [first = '', second = ''] = path.split('/');
  const view = (VIEWS as readonly string[]).includes(first) ? (first as View) : 'queue';
  const id = second ? decodeURIComponent(second) : null;
  const tRaw = new URLSearchParams(query).get('t');
  const t = tRaw !== null && /^\d+$/.test(tRaw) ? Number(tRaw) : null;
  return { view, id: view === 'queue' || view === 'history' || view === 'replay' ? id : null, t: view === 'replay' ? t : null };
}

export function formatRoute(route: Partial<Route> & { view: View }): string {
  let hash = `#/${route.view}`;
  if (route.id) hash += `/${encodeURIComponent(route.id)}`;
  if (route.view === 'replay' && route.t !== null && route.t !== undefined) hash += `?t=${Math.round(route.t)}`;
  return hash;
}
