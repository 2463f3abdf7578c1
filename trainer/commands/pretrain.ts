// `scalefold pretrain`: AlphaFold2 initial training. Not built yet: the command
// says so and fails, rather than pretending to train.
import { EXIT_BAD_INPUT, type Command } from '../../pipeline/cli/command.ts';
import { log } from '../../pipeline/cli/log.ts';

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'train AlphaFold2 from a built dataset (not built yet)',
  help: `usage: scalefold pretrain [--data DATASET_DIR] [--out RUN_DIR] ...

Training is not built yet: the model, the native core and the training loop are
open issues. This command exits with status 1 and trains nothing.`,
  async run(): Promise<number> {
    log('scalefold pretrain: training is not built yet (the native core, the model and the training loop are still to come); nothing was trained.');
    return EXIT_BAD_INPUT;
  },
};
