// Species identifiers of MSA rows, as AlphaFold/OpenFold's
// `msa_identifiers.get_identifiers`: the first whitespace-separated word of a
// description, cut at the first '/', matched against the UniProtKB
// `db|Accession|EntryName_SPECIES` layout; the species code is the mnemonic
// after the last '_' of the entry name (an optional trailing `_<digits>` of
// small BFD is ignored). '' when the description does not match.

// Same language as AlphaFold's _UNIPROT_PATTERN (JavaScript and Python
// regular expressions agree on this pattern, backtracking included).
const UNIPROT_PATTERN =
  /^(?:tr|sp)\|(?:[A-Za-z0-9]{6,10})(?:_\d)?\|(?:[A-Za-z0-9]+)_([A-Za-z0-9]{1,5})(?:_\d+)?$/;

/** Species id of a UniProt-style MSA description, '' when none. */
export function speciesIdentifier(description: string): string {
  const identifier = firstWordBeforeSlash(description);
  if (identifier === '') return '';
  const match = UNIPROT_PATTERN.exec(identifier);
  return match === null ? '' : (match[1] as string);
}

function isPyWhitespace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || (code >= 28 && code <= 31) || code === 0x85 || code === 0xa0;
}

function firstWordBeforeSlash(description: string): string {
  let start = 0;
  const n = description.length;
  while (start < n && isPyWhitespace(description.charCodeAt(start))) start++;
  let end = start;
  while (end < n) {
    const c = description.charCodeAt(end);
    if (isPyWhitespace(c) || c === 47) break;
    end++;
  }
  return description.slice(start, end);
}
