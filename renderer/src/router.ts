// The current place in the console, kept in the URL hash (see lib/route.ts for the format).
import { ref } from 'vue';
import { formatRoute, parseRoute, type Route, type View } from './lib/route.js';

export const route = ref<Route>(parseRoute(typeof location === 'undefined' ? '' : location.hash));

let listening = false;

export function startRouter(): void {
  route.value = parseRoute(location.hash);
  if (listening) return;
  listening = true;
  window.addEventListener('hashchange', () => {
    route.value = parseRoute(location.hash);
  });
}

export function navigate(to: Partial<Route> & { view: View }, options: { replace?: boolean } = {}): void {
  const next: Route = { id: null, t: null, ...to };
  const hash = formatRoute(next);
  route.value = next;
  if (location.hash === hash) return;
  if (options.replace) history.replaceState(null, '', hash);
  else location.hash = hash;
}
