// Every `scalefold` subcommand, in the order `--help` lists them.
import type { Command } from '../../pipeline/cli/command.ts';
import { pretrainCommand } from './pretrain.ts';

export const COMMANDS: readonly Command[] = [pretrainCommand];
