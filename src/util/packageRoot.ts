import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, `migrations/` and `rules/`, from `src/` or `dist/` alike. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
