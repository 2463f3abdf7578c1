// `scalefold params`: the parameter count of a model configuration and a
// per-module table, from the parameter tree (trainer/model/param_spec.ts).
// With --weights it also loads a safetensors file against that tree, so a
// converted PyTorch state dict can be checked in one command.
import { EXIT_BAD_INPUT, EXIT_OK, UsageError, optionalInteger, optionalString, parseCommandArgs, type Command } from '../../pipeline/cli/command.ts';
import { log, writeResult } from '../../pipeline/cli/log.ts';
import { ConfigError, DEFAULT_PRESET, loadConfig, parseOverride, presetNames } from '../model/config.ts';
import type { ConfigValue } from '../model/config_types.ts';
import { modelParamSpec, summarizeParams, totalParams } from '../model/param_spec.ts';
import { loadParams } from '../io/state_dict.ts';

const HELP = `usage: scalefold params [--config PRESET] [--set KEY=VALUE]... [--depth N] [--weights FILE] [--json]

Prints the number of parameters of an AlphaFold2 configuration (OpenFold
state_dict names) and a table per module.

  --config PRESET   preset (default ${DEFAULT_PRESET}); one of: ${presetNames().join(', ')}
  --set KEY=VALUE   override a dotted config key (repeatable), e.g. --set model.evoformer_stack.no_blocks=8
  --depth N         group the table by the first N name components (default 1)
  --weights FILE    also load a safetensors state dict against this configuration
                    (names, shapes; 'model.'/'module.' prefixes stripped) and report it
  --json            print one JSON object instead of the table`;

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export const paramsCommand: Command = {
  name: 'params',
  summary: 'parameter count and per-module table of a model configuration',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const parsed = parseCommandArgs(args, {
      config: { type: 'string' },
      set: { type: 'string', multiple: true },
      depth: { type: 'string' },
      weights: { type: 'string' },
      json: { type: 'boolean' },
    });
    const preset = optionalString(parsed.values, 'config') ?? DEFAULT_PRESET;
    const depth = optionalInteger(parsed.values, 'depth', 1) ?? 1;
    const overrides: Record<string, ConfigValue> = {};
    let config;
    try {
      for (const text of (parsed.values.set as string[] | undefined) ?? []) {
        const [key, value] = parseOverride(text);
        overrides[key] = value;
      }
      config = loadConfig(preset, overrides);
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message);
      throw error;
    }
    const specs = modelParamSpec(config);
    const rows = summarizeParams(specs, depth);
    const total = totalParams(specs);
    const weightsPath = optionalString(parsed.values, 'weights');
    let weights: { path: string; loaded: number } | undefined;
    if (weightsPath !== undefined) {
      try {
        const loaded = await loadParams(weightsPath, specs, { precision: 'float32' });
        weights = { path: weightsPath, loaded: loaded.size };
      } catch (error) {
        log(`scalefold params: ${(error as Error).message}`);
        return EXIT_BAD_INPUT;
      }
    }
    if (parsed.values.json === true) {
      writeResult(JSON.stringify({ preset, overrides, total_params: total, n_tensors: specs.length, modules: rows, ...(weights ? { weights } : {}) }));
      return EXIT_OK;
    }
    const width = Math.max(6, ...rows.map((r) => r.module.length));
    const lines = [
      `preset ${preset}${Object.keys(overrides).length > 0 ? ` with ${Object.entries(overrides).map(([k, v]) => `${k}=${String(v)}`).join(', ')}` : ''}`,
      `${'module'.padEnd(width)}  ${'tensors'.padStart(7)}  ${'params'.padStart(12)}  ${'share'.padStart(6)}`,
      ...rows.map((r) => `${r.module.padEnd(width)}  ${String(r.tensors).padStart(7)}  ${formatCount(r.params).padStart(12)}  ${((100 * r.params) / total).toFixed(2).padStart(5)}%`),
      `${'total'.padEnd(width)}  ${String(specs.length).padStart(7)}  ${formatCount(total).padStart(12)}`,
    ];
    if (weights) lines.push(`weights ${weights.path}: all ${weights.loaded} parameter tensors present with matching shapes`);
    writeResult(lines.join('\n'));
    return EXIT_OK;
  },
};
