// The one error type of configuration loading: a bad key, a value of the
// wrong type, or options that do not go together. `path` is the dotted key
// at fault (or the first of the conflicting ones).
export class ConfigError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`config ${path}: ${message}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}
