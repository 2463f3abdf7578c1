// Every `scalefold` subcommand, in the order `--help` lists them.
import type { Command } from '../../pipeline/cli/command.ts';
import { pretrainCommand } from './pretrain.ts';
import { paramsCommand } from './params.ts';
import { checkDebugStateCommand } from './check_debug_state.ts';
import { breakdownCommand } from './breakdown.ts';
import { featuresCommand } from '../../pipeline/commands/features.ts';
import { exportNpyCommand } from '../../pipeline/commands/export_npy.ts';
import { sampleCommand } from '../../pipeline/commands/sample.ts';
import { buildCommand } from '../../pipeline/commands/build.ts';
import { validateCommand } from '../../pipeline/commands/validate.ts';
import { loaderBenchCommand } from '../../pipeline/commands/loader_bench.ts';

export const COMMANDS: readonly Command[] = [featuresCommand, exportNpyCommand, buildCommand, validateCommand, sampleCommand, loaderBenchCommand, paramsCommand, checkDebugStateCommand, pretrainCommand, breakdownCommand];
