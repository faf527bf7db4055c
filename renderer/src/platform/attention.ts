// The pending count in the tab title and as a badge on the favicon.

const BASE_TITLE = 'Airlock';
let baseIcon: string | null = null;

export function titleFor(pending: number, view: string): string {
  const place = view ? ` · ${view}` : '';
  return pending > 0 ? `(${pending}) ${BASE_TITLE}${place}` : `${BASE_TITLE}${place}`;
}

export function showPendingCount(pending: number, view: string): void {
  document.title = titleFor(pending, view);
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) return;
  baseIcon ??= link.href;
  link.href = pending > 0 ? (badgeIcon(pending) ?? baseIcon) : baseIcon;
}

/** A 32×32 lock with a red count badge, drawn on a canvas (img-src allows data: URLs). */
function badgeIcon(count: number): string | null {
  const canvas = document.createElement('canvas');
  canvas.width = 32;
  canvas.height = 32;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.fillStyle = '#2f5fd0';
  ctx.beginPath();
  ctx.roundRect(2, 2, 28, 28, 7);
  ctx.fill();
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(8, 16, 16, 10);
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.arc(16, 13, 6, Math.PI, 0);
  ctx.stroke();
  const label = count > 99 ? '99+' : String(count);
  ctx.fillStyle = '#d92d20';
  ctx.beginPath();
  ctx.arc(22, 10, label.length > 1 ? 10 : 9, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#ffffff';
  ctx.font = `bold ${label.length > 2 ? 9 : 13}px sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(label, 22, 11);
  try {
    return canvas.toDataURL('image/png');
  } catch {
    return null;
  }
}
