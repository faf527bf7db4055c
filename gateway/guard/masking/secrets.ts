// Secret detectors. Patterns come from @secretlint/secretlint-rule-preset-recommend (v12) where it has
// a rule, named in each comment; "widened" marks where a gateway must mask more than a linter reports.
// They are copied, not run through @secretlint/core: lintSource is async, costs ~120 µs even on a
// 100-character buffer, and cannot say whether a buffer's tail may still grow into a secret, which
// streaming needs (see pattern.ts). A test runs @secretlint/core on the fixtures to keep the two in step.
import type { PatternSpec } from './pattern.js';

const PEM_LABEL = (edge: 'BEGIN' | 'END') => `-----${edge} ?[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----`;
// Any BMP character: unlike [\s\S], it cannot match a surrogate pair, so 8192 matches stay 8192 UTF-16 units.
const ANY = String.raw`[\0-\uD7FF\uE000-\uFFFF]`;
const PEM_BODY = String.raw`[A-Za-z0-9+/=\s\\:,-]`;

const withLongRun = (match: string) => (/[A-Za-z0-9]{16}/.test(match.slice(3)) ? match.length : 0);
const withDigit = (match: string) => (/\d/.test(match) ? match.length : 0);

export const secretPatterns: PatternSpec[] = [
  // privatekey (PEM_CONTENT_PATTERN), widened: any key label (ENCRYPTED, PGP … BLOCK), no 100-character
  // minimum or base64 check (a placeholder key is masked too), and a block cut off before its END line
  // (a truncated answer) is masked up to the first character that cannot belong to a key. Bounded at 8 KB.
  {
    kind: 'private_key',
    pattern: `${PEM_LABEL('BEGIN')}(?:${ANY}{0,8192}?${PEM_LABEL('END')}|${PEM_BODY}{0,8192})`,
  },
  // anthropic: /(?<!\p{L})sk-ant-api0\d-[A-Za-z0-9_-]{90,128}AA(?![A-Za-z0-9_-])/. Widened to every
  // sk-ant- credential (admin keys sk-ant-admin01-, OAuth tokens sk-ant-oat01-) of 20+ characters.
  { kind: 'anthropic', pattern: String.raw`(?<!\p{L})sk-ant-[A-Za-z0-9_-]{20,256}` },
  // openai: requires the T3BlbkFJ marker at fixed offsets. Widened to any sk- key (legacy, proj-,
  // svcacct-, admin-) holding a 16-character alphanumeric run, which hyphenated words do not have.
  { kind: 'openai', pattern: String.raw`(?<!\p{L})sk-(?!ant-)[A-Za-z0-9_-]{20,256}`, accept: withLongRun },
  // github: CLASSIC_GITHUB_TOKEN_PATTERN and FINE_GRAINED_GITHUB_TOKEN_PATTERN, as is.
  { kind: 'github', pattern: String.raw`(?<!\p{L})(?<type>ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36}(?![A-Za-z0-9_])` },
  { kind: 'github', pattern: String.raw`(?<!\p{L})(?<type>github_pat)_[A-Za-z0-9_]{82}(?![A-Za-z0-9_])` },
  // gitlab: GITLAB_PERSONAL_ACCESS_TOKEN_PATTERN, as is.
  { kind: 'gitlab', pattern: String.raw`(?<!\p{L})glpat-[A-Za-z0-9_-]{20,128}(?![A-Za-z0-9_-])` },
  // slack: SLACK_TOKEN_PATTERN plus xoxs- (legacy session tokens); its unbounded (…-)+ bounded to 8 groups.
  { kind: 'slack', pattern: String.raw`\b(?:xoxb|xoxp|xapp|xoxa|xoxo|xoxr|xoxs)-(?:\d-)?(?:[a-zA-Z0-9]{1,40}-){1,8}[a-zA-Z0-9]{1,40}\b` },
  // slack: IncomingWebhooksPattern (secretlint matches it case-insensitively; webhook URLs are lower case).
  { kind: 'slack', pattern: String.raw`https:\/\/hooks\.slack\.com\/services\/T[a-zA-Z0-9]{1,40}\/B[a-zA-Z0-9]{1,40}\/[a-zA-Z0-9]{1,40}` },
  // Stripe secret and restricted keys: no secretlint rule; own pattern (test-mode keys are masked too).
  { kind: 'stripe', pattern: String.raw`(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}` },
  // aws: AWSAccessKeyIDPattern, which secretlint runs only with enableIDScanRule; on here. Its built-in
  // ignore of the documentation key AKIAIOSFODNN7EXAMPLE is not applied: masking an example is harmless.
  { kind: 'aws', pattern: String.raw`\b(?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}\b` },
  // aws: AWSSecretPatten (aws_secret_access_key = …). The key name moved into a look-behind so only the
  // value is masked; \s* bounded to 8.
  {
    kind: 'aws',
    pattern: String.raw`(?<=(?:AWS|aws|Aws)?_?(?:SECRET|secret|Secret)_?(?:ACCESS|access|Access)_?(?:KEY|key|Key)["']?\s{0,8}(?::|=>|=)\s{0,8}["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])`,
  },
  // npm: NPM_ACCESS_TOKEN_PATTERN as is; AuthTokenPattern (_authToken=…) with the value bounded.
  { kind: 'npm', pattern: String.raw`(?<!\p{L})npm_[A-Za-z0-9_]{36}(?![A-Za-z0-9_])` },
  { kind: 'npm', pattern: String.raw`(?<=_authToken=)[^$\s]\S{0,255}` },
  // sendgrid, shopify, groq, huggingface, linear, notion, hashicorp-vault, vercel, databricks, docker,
  // figma, grafana, 1password: the rules' patterns, as is.
  { kind: 'sendgrid', pattern: String.raw`(?<!\p{L})SG\.\w{1,128}\.\w{1,128}(?:[-_]?)\w{1,128}(?!\w)` },
  { kind: 'shopify', pattern: String.raw`(?<!\p{L})(?:shppa|shpca|shpat|shpss)_[a-zA-Z0-9]{32,64}(?![a-zA-Z0-9])` },
  { kind: 'groq', pattern: String.raw`(?<!\p{L})gsk_[a-zA-Z0-9]{52}(?![a-zA-Z0-9])` },
  { kind: 'huggingface', pattern: String.raw`(?<!\p{L})hf_[a-zA-Z]{34}(?![a-zA-Z])` },
  { kind: 'linear', pattern: String.raw`(?<!\p{L})lin_api_[a-zA-Z0-9_]{32,128}(?![a-zA-Z0-9_])` },
  { kind: 'notion', pattern: String.raw`(?<!\p{L})ntn_[0-9]{11}[A-Za-z0-9]{35}(?![A-Za-z0-9])` },
  { kind: 'vault', pattern: String.raw`(?<!\p{L})hvs\.[A-Za-z0-9_-]{90,120}(?![A-Za-z0-9_-])` },
  { kind: 'vault', pattern: String.raw`(?<!\p{L})hvb\.[A-Za-z0-9_-]{138,300}(?![A-Za-z0-9_-])` },
  { kind: 'vault', pattern: String.raw`(?<!\p{L})hvr\.[A-Za-z0-9_-]{90,120}(?![A-Za-z0-9_-])` },
  { kind: 'vercel', pattern: String.raw`(?<!\p{L})(?:vcp|vci|vca|vcr|vck)_[A-Za-z0-9]{20,60}(?![A-Za-z0-9])` },
  { kind: 'databricks', pattern: String.raw`(?<!\p{L})dapi[A-Fa-f0-9]{32}(?:-[0-9])?(?![A-Fa-f0-9])` },
  { kind: 'docker', pattern: String.raw`(?<!\p{L})dckr_pat_[a-zA-Z0-9_-]{27}(?![a-zA-Z0-9_-])` },
  { kind: 'figma', pattern: String.raw`(?<!\p{L})figd_[A-Za-z0-9_-]{40,200}(?![A-Za-z0-9_-])` },
  { kind: 'grafana', pattern: String.raw`(?<!\p{L})glc_[A-Za-z0-9+/]{32,400}={0,2}(?![A-Za-z0-9+/=])` },
  { kind: 'grafana', pattern: String.raw`(?<!\p{L})glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}(?![A-Fa-f0-9])` },
  { kind: '1password', pattern: String.raw`(?<!\p{L})ops_ey[A-Za-z0-9+/=]{100,1280}fQ={0,2}(?![A-Za-z0-9+/=])` },
  // JWTs: no secretlint rule; own pattern: eyJ header, payload, optional signature.
  { kind: 'jwt', pattern: String.raw`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,1024}\.[A-Za-z0-9_-]{5,6144}\.[A-Za-z0-9_-]{0,1024}` },
  // Bearer tokens (RFC 6750 b64token): no secretlint rule; own pattern. Only the token is masked, and only
  // one of 16+ characters holding a digit, so prose such as "Bearer authentication" stays.
  { kind: 'bearer', pattern: String.raw`(?<=\b[Bb]earer[ \t]{1,4})[A-Za-z0-9._~+/-]{16,4096}={0,2}`, accept: withDigit },
  // basicauth (URL_PATTERN) and database-connection-string (mongodb, mysql, postgres), merged: the
  // password in scheme://user:password@host, for these schemes and redis/amqp.
  {
    kind: 'password',
    pattern: String.raw`(?<=\b(?:https?|ftps?|mongodb(?:\+srv)?|(?:jdbc:)?mysqlx?|postgres(?:ql)?|rediss?|amqps?):\/\/[^:\/\s@]{1,100}:)[^@\/\s]{1,200}(?=@)`,
  },
];

export const secretKinds = [...new Set(secretPatterns.map((spec) => spec.kind))];
