// Hands a file the console built in memory to the browser's (or the desktop window's) download: an object URL on a
// temporary <a download>, revoked once the click has been handled.

export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL by now; keep it a moment for slower browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
