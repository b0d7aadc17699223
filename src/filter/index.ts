export { compileAnchored, compileRe2, RegexSyntaxError, type Matcher } from './regex.js';
export { compareVersions, parseStrict, parseTolerant, tryParseTolerant, SemverError, type Version } from './semver.js';
export { parseSemverRange, type SemverRange } from './semver-range.js';
export { parseTagSpec, tagSpecWarning, TagSpecError, type TagSpec } from './tag-spec.js';
export { compileTagFilter, tagFilterFromSpecs, type TagFilter, type TagSelection, type SelectedRef } from './tag-filter.js';
export { expand, goReplaceAll } from './go-replace.js';
export {
  mapRepository,
  matchRepositories,
  normalizePath,
  parseFrom,
  parseTo,
  MappingSpecError,
  type FromSpec,
  type ToSpec,
} from './mapping.js';
export { compileRunFilter } from './run-filter.js';
