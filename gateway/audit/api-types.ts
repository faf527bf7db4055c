// Wire types of the audit routes (GET /api/v1/key, GET /api/v1/exports/estimate, POST /api/v1/exports), for the console.

export interface SigningKeyInfo {
  algorithm: 'Ed25519';
  gatewayId: string;
  /** `SHA256:` + base64 of the SPKI's SHA-256, as OpenSSH prints fingerprints. */
  fingerprint: string;
  /** SPKI PEM: what `airlock verify --key` takes. */
  publicKey: string;
}

/** Query of GET /exports/estimate and body of POST /exports. Times are ISO-8601. */
export interface ExportFiltersBody {
  since?: string;
  until?: string;
  caller?: string;
  /** Statuses, as an array or comma-separated. */
  status?: string[] | string;
}

export interface ExportRequestBody extends ExportFiltersBody {
  /** Unmasked text as recorded: admins only, recorded in the audit chain. */
  raw?: boolean;
  /** Encrypt the bundle (age) to this passphrase ... */
  passphrase?: string;
  /** ... or to this age recipient (age1…). */
  recipient?: string;
}

/** How many sessions an export with these filters holds: the progress bar's total. POST /exports also sends it as `x-airlock-export-sessions`. */
export interface ExportEstimate {
  sessions: number;
}
