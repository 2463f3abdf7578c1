// Loading the model configuration: a preset (a chain of dotted-path diffs over
// the initial-training base), then the caller's own overrides, then the
// checks of config_validate.ts. Every key of a diff must already exist in the
// base and keep its type, so a typo or a wrong type fails at load, not in the
// middle of a forward pass.
import { initialTrainingConfig } from './config_base.ts';
import { ConfigError } from './config_errors.ts';
import { DEFAULT_PRESET, PRESETS, presetNames } from './config_presets.ts';
import type { AlphaFoldConfig, ConfigPreset, ConfigValue } from './config_types.ts';
import { validateConfig } from './config_validate.ts';

export type { AlphaFoldConfig } from './config_types.ts';
export { ConfigError } from './config_errors.ts';
export { DEFAULT_PRESET, presetNames } from './config_presets.ts';

type Tree = { [key: string]: Tree | ConfigValue };

/** Every leaf of the config as `dotted.path -> value`, in declaration order. */
export function flattenConfig(config: AlphaFoldConfig): Map<string, ConfigValue> {
  const out = new Map<string, ConfigValue>();
  const walk = (node: Tree, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (value !== null && typeof value === 'object') walk(value, path);
      else out.set(path, value);
    }
  };
  walk(config as unknown as Tree, '');
  return out;
}

/** Sets one dotted key, refusing unknown keys and changes of type. */
function setDotted(config: AlphaFoldConfig, path: string, value: ConfigValue): void {
  const parts = path.split('.');
  let node = config as unknown as Tree;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = node[parts[i]!];
    if (next === undefined || next === null || typeof next !== 'object') throw unknownKey(config, path);
    node = next;
  }
  const leaf = parts[parts.length - 1]!;
  if (!(leaf in node)) throw unknownKey(config, path);
  const old = node[leaf];
  if (old !== null && typeof old === 'object') {
    throw new ConfigError(path, 'is a section, not a value; set one of its keys');
  }
  if (!sameKind(old as ConfigValue, value, path)) {
    throw new ConfigError(path, `expects ${kindOf(old as ConfigValue, path)}, got ${JSON.stringify(value)}`);
  }
  node[leaf] = value;
}

// Keys whose value may be a number or null (OpenFold's optional ints).
const NULLABLE = new Set(['globals.blocks_per_ckpt', 'globals.chunk_size']);

function kindOf(value: ConfigValue, path: string): string {
  if (NULLABLE.has(path)) return 'a number or null';
  return value === null ? 'null' : `a ${typeof value}`;
}

function sameKind(old: ConfigValue, value: ConfigValue, path: string): boolean {
  if (NULLABLE.has(path)) return value === null || (typeof value === 'number' && Number.isFinite(value));
  if (typeof old === 'number') return typeof value === 'number' && !Number.isNaN(value);
  return typeof old === typeof value && (old === null) === (value === null);
}

function unknownKey(config: AlphaFoldConfig, path: string): ConfigError {
  const leafName = path.split('.').pop()!;
  const near = [...flattenConfig(config).keys()].filter((k) => k.endsWith(`.${leafName}`)).slice(0, 5);
  const hint = near.length > 0 ? ` HINT: did you mean ${near.join(', ')}?` : '';
  return new ConfigError(path, `unknown key.${hint}`);
}

/** Applies a dotted-path diff in place. */
export function applyDiff(config: AlphaFoldConfig, diff: Readonly<Record<string, ConfigValue>>): void {
  for (const [path, value] of Object.entries(diff)) setDotted(config, path, value);
}

function presetByName(name: string): ConfigPreset {
  const preset = PRESETS.find((p) => p.name === name);
  if (!preset) throw new ConfigError('preset', `unknown preset '${name}'; known: ${presetNames().join(', ')}`);
  return preset;
}

/** The diffs of a preset's chain, base first. */
function presetChain(name: string): ConfigPreset[] {
  const chain: ConfigPreset[] = [];
  for (let p: ConfigPreset | undefined = presetByName(name); p; p = p.base ? presetByName(p.base) : undefined) {
    if (chain.includes(p)) throw new ConfigError('preset', `preset '${name}' has a cycle in its bases`);
    chain.unshift(p);
  }
  return chain;
}

/**
 * The configuration of a preset with optional extra dotted overrides,
 * validated. Throws ConfigError on unknown keys, wrong types or incompatible
 * options.
 */
export function loadConfig(
  preset: string = DEFAULT_PRESET,
  overrides: Readonly<Record<string, ConfigValue>> = {},
): AlphaFoldConfig {
  const config = initialTrainingConfig();
  for (const p of presetChain(preset)) applyDiff(config, p.diff);
  applyDiff(config, overrides);
  validateConfig(config);
  return config;
}

/** Parses `key=value` (number, true/false or null) for command-line overrides. */
export function parseOverride(text: string): [string, ConfigValue] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError(text, "an override is written 'dotted.key=value'");
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  if (raw === 'true' || raw === 'True') return [key, true];
  if (raw === 'false' || raw === 'False') return [key, false];
  if (raw === 'null' || raw === 'None') return [key, null];
  const n = Number(raw);
  if (raw.length === 0 || Number.isNaN(n)) throw new ConfigError(key, `value '${raw}' is not a number, true/false or null`);
  return [key, n];
}
