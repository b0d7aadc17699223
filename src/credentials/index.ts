export {
  basicCredentials,
  isTokenCredentials,
  staticSource,
  tokenCredentials,
  REDACTED,
  type BasicCredentials,
  type CredentialProvider,
  type CredentialSource,
  type Credentials,
  type TokenCredentials,
} from './types.js';
export { expandReferences, hasReference, UnresolvedReferenceError, type ExpandEnv } from './expand.js';
export { AuthFormatError, decodeDregsyAuth, decodeStdBase64, encodeDregsyAuth } from './dregsy-auth.js';
export {
  credentialsFromAuthEntry,
  DockerConfigFile,
  DOCKER_HUB_SERVER_URL,
  findKey,
  helperServerUrl,
  normalizeAuthKey,
} from './docker-config.js';
export { getFromHelper, makeRunProgram, runProgram, type RunProgram } from './helper.js';
export { dockerConfigPath, dockerConfigProvider, providerForSource, type DockerConfigProviderOptions } from './provider.js';
