// Typed errors for bad input. They are raised where the defect is found and
// name the source (a file path or a label given by the caller) and the line,
// or the mmCIF category, so the command line can print them without a stack.

export interface InputLocation {
  /** File path or caller-given label of the input. */
  source: string;
  /** 1-based line number, where the defect is on one line. */
  line?: number;
  /** mmCIF category (e.g. `_atom_site`), where that is the best location. */
  category?: string;
}

export class InputError extends Error {
  readonly source: string;
  readonly line: number | undefined;
  readonly category: string | undefined;
  readonly reason: string;

  constructor(location: InputLocation, reason: string) {
    super(formatLocation(location) + ': ' + reason);
    this.name = 'InputError';
    this.source = location.source;
    this.line = location.line;
    this.category = location.category;
    this.reason = reason;
  }
}

/** A file whose syntax is broken (truncated, illegal characters, ...). */
export class ParseError extends InputError {
  constructor(location: InputLocation, reason: string) {
    super(location, reason);
    this.name = 'ParseError';
  }
}

/** Well-formed input that cannot give features (unknown chain, empty MSA, ...). */
export class FeatureError extends InputError {
  constructor(location: InputLocation, reason: string) {
    super(location, reason);
    this.name = 'FeatureError';
  }
}

function formatLocation(location: InputLocation): string {
  let text = location.source;
  if (location.line !== undefined) text += `:${location.line}`;
  if (location.category !== undefined) text += ` [${location.category}]`;
  return text;
}
