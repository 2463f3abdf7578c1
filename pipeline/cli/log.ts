// Logs go to stderr so that stdout carries only results (and --json output).

export function log(message: string): void {
  process.stderr.write(message + '\n');
}

export function writeResult(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}
