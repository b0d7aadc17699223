import { FerryError } from '../errors.js';

export { MAX_API_BODY_BYTES } from '../registry/api-request.js';

/** Most repositories one Hub or Harbor listing may return (as `_catalog`'s cap); more fails the listing. */
export const MAX_API_REPOSITORIES = 100_000;

/** Fails a Hub or Harbor listing that goes over `MAX_API_REPOSITORIES`. */
export function checkRepositoryCount(count: number, what: string, max: number = MAX_API_REPOSITORIES): void {
  if (count > max) {
    throw new FerryError('RESPONSE_INVALID', `${what}: more than ${max} repositories; ferry refuses listings over this cap (a broken or hostile API?)`);
  }
}
