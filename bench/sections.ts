// Further bench sections (masking throughput, export of 10,000 sessions), each added by the guardrail that owns it.
export async function extraSections(): Promise<string> {
  return '';
}
