// `scalefold check-debug-state DIR`: runs forward, losses and backward in
// float64 on the CPU for a debug-state folder (model_tiny layout: OpenFold's
// config, inputs, parameters, outputs, losses, gradients) and prints the
// largest error per group (trainer/model/debug_state_check.ts).
import { stat } from 'node:fs/promises';
import { InputError } from '../../features/errors.ts';
import { EXIT_BAD_INPUT, EXIT_OK, UsageError, parseCommandArgs, type Command } from '../../pipeline/cli/command.ts';
import { log, writeResult } from '../../pipeline/cli/log.ts';
import { checkDebugState } from '../model/debug_state_check.ts';

const HELP = `usage: scalefold check-debug-state DIR [--json]

Loads a debug-state folder (the layout of test/fixtures/golden/model_tiny:
manifest.json, config.json with OpenFold's config as dotted keys, input/,
params/, output/, loss/, grad/), runs our model's forward, losses and backward
in float64 on the CPU, and prints the largest error per group against the
folder's own outputs, losses and gradients. Tolerances (model_tiny README):
outputs 1e-10 relative, losses 1e-11 relative, gradients 1e-9 relative +
1e-12 absolute.

  --json   print {"ok", "worst": {group: {name, rel_error, max_abs_error}}, "failed": [...]} on stdout

Exit codes: 0 within tolerance, 1 outside it (or a bad folder), 2 usage error.`;

export const checkDebugStateCommand: Command = {
  name: 'check-debug-state',
  summary: 'check the model against an OpenFold debug-state folder (float64, CPU)',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } }, true);
    if (positionals.length !== 1) throw new UsageError('give exactly one DIR');
    const dir = positionals[0]!;
    const info = await stat(dir).catch(() => null);
    if (info === null || !info.isDirectory()) throw new InputError({ source: dir }, 'the debug-state folder does not exist or is not a folder');
    const report = await checkDebugState(dir);
    const worst: Record<string, { name: string; rel_error: number; max_abs_error: number } | null> = {};
    for (const [group, entry] of Object.entries(report.worst)) {
      worst[group] = entry === null ? null : { name: entry.name, rel_error: entry.comparison.relError, max_abs_error: entry.comparison.maxAbsError };
      log(entry === null
        ? `${group}: nothing compared`
        : `${group.padEnd(6)} worst ${entry.name}: relative ${entry.comparison.relError.toExponential(2)}, absolute ${entry.comparison.maxAbsError.toExponential(2)} ${entry.ok ? 'ok' : 'OUT OF TOLERANCE'}`);
    }
    const failed = report.entries.filter((e) => !e.ok).map((e) => `${e.group}/${e.name}`);
    log(report.ok ? `check-debug-state: ${report.entries.length} tensors within tolerance` : `check-debug-state: ${failed.length} of ${report.entries.length} tensors out of tolerance: ${failed.slice(0, 20).join(', ')}`);
    if (values.json === true) writeResult(JSON.stringify({ ok: report.ok, worst, failed }));
    return report.ok ? EXIT_OK : EXIT_BAD_INPUT;
  },
};
