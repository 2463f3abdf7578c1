// `scalefold export-npy`: one row of a feature file as a folder of NPY v1.0
// files (one per numeric feature), `<key>.json` string arrays and a
// manifest.json in the goldens' layout, for numpy.load and comparisons.
import { openInputFeatureFile } from '../cli/input_feature_file.ts';
import { InputError } from '../../features/errors.ts';
import { FeatureFileError } from '../arrow/index.ts';
import { EXIT_OK, UsageError, optionalInteger, parseCommandArgs, requireString, type Command } from '../cli/command.ts';
import { log, writeResult } from '../cli/log.ts';
import { writeNpyDir } from '../npy_dir.ts';

const HELP = `usage: scalefold export-npy FILE.arrow [--row N] --out DIR

Writes row N (default 0) of a feature file into DIR: one NPY v1.0 file per
numeric feature (<key>.npy, its dtype and shape), string features as
<key>.json with a "values" list, and manifest.json
{"arrays": [{"name", "dtype", "shape", "file"}, ...]}.
Exit codes: 0 success, 1 unreadable file or row out of range, 2 usage error.`;

export const exportNpyCommand: Command = {
  name: 'export-npy',
  summary: 'one row of a feature file -> NPY files + manifest.json (numpy.load)',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals, help } = parseCommandArgs(args, { row: { type: 'string' }, out: { type: 'string' } }, true);
    if (help) {
      writeResult(HELP);
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new UsageError('give exactly one feature file');
    const path = positionals[0]!;
    const out = requireString(values, 'out');
    const rowIndex = optionalInteger(values, 'row', 0) ?? 0;
    const file = openInputFeatureFile(path);
    try {
      if (rowIndex >= file.numRows) throw new InputError({ source: path }, `row ${rowIndex} does not exist: the file has ${file.numRows} row(s)`);
      const row = file.row(rowIndex);
      await writeNpyDir(out, row.features).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== undefined) throw new InputError({ source: out }, `cannot write the output folder: ${error.code}`);
        throw error;
      });
      log(`scalefold export-npy: row ${rowIndex} of ${path}: ${Object.keys(row.features).length} features -> ${out}`);
    } catch (error) {
      if (error instanceof FeatureFileError) throw new InputError({ source: path }, error.message.replace(`${path}: `, ''));
      throw error;
    } finally {
      file.close();
    }
    writeResult(out);
    return EXIT_OK;
  },
};
