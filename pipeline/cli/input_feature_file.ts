// Opening a feature file named on the command line: a missing, unreadable,
// truncated or corrupt file is an InputError naming it (exit 1), not a crash.
import { InputError } from '../../features/errors.ts';
import { FeatureFileError, openFeatureFile, type FeatureFile } from '../arrow/index.ts';

export function openInputFeatureFile(path: string): FeatureFile {
  try {
    return openFeatureFile(path);
  } catch (error) {
    if (error instanceof FeatureFileError) throw new InputError({ source: path }, error.message.replace(`${path}: `, ''));
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new InputError({ source: path }, `cannot read the file: ${code}`);
    throw error;
  }
}
