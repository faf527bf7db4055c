// README.txt inside every bundle: what the files are and how to check them without Airlock.

export const README = `Airlock audit bundle (format airlock-audit-bundle/1)

Files
  manifest.json   who exported this, when, with which filters; counts; the SHA-256 of every other file
  manifest.sig    Ed25519 signature over the exact bytes of manifest.json (64 bytes, raw)
  public-key.pem  the gateway's public key (compare it with the one the gateway's owner gave you)
  sessions.jsonl  one session per line: the request, the forwarded (edited) request, every decision with its
                  reviewer and reason, the answer, the timeline
  actions.jsonl   reviewer, admin and gateway actions in the same period (exports, shredding, retention)
  chain.jsonl     a hash chain over every line of sessions.jsonl and actions.jsonl, in order:
                  hash = sha256(prev + "\\n" + JSON.stringify([seq, file, id, sha256(line)]))
  decisions.csv   time, caller, model, status, reviewer, reason, session id (one row per decision)
  report.html     open in a browser (offline) to browse, filter and replay the sessions

Masked values appear as a placeholder and a keyed hash, e.g. [EMAIL](hmac:0123456789abcdef). An Airlock
admin can compute the tag of a known value with \`airlock hash VALUE\` to search for it.

Verify
  airlock verify THIS_FILE --key GATEWAY_PUBLIC_KEY.pem

Or by hand, with OpenSSL 3 and sha256sum:
  openssl pkeyutl -verify -pubin -inkey GATEWAY_PUBLIC_KEY.pem -rawin -in manifest.json -sigfile manifest.sig
  sha256sum sessions.jsonl actions.jsonl chain.jsonl decisions.csv report.html public-key.pem README.txt
  (and compare with "files" in manifest.json)
`;
