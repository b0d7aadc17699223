/**
 * ferry validates with `zod/mini` (tree-shaken into the CLI bundle at a few KB, where the classic API brought
 * ~580 KB to parse at every start). Mini leaves messages to a locale; importing this module installs English
 * (once: a module is evaluated once), so a malformed manifest still says what is wrong ("expected string,
 * received number"). Every module that validates with zod imports it for that effect.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
