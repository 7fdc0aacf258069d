// Output as `az` prints it: JSON by default.
export function printJson(value: unknown): void {
  if (value === undefined) return;
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}
