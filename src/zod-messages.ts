/**
 * ferry validates with `zod/mini` (tree-shaken into the CLI bundle, where the classic API brought a large module
 * to parse at every start; docs/benchmarks.md has the sizes). Mini leaves messages to a locale; importing this module installs English
 * (once: a module is evaluated once), so a malformed manifest still says what is wrong ("expected string,
 * received number"). Every module that validates with zod imports it for that effect.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
