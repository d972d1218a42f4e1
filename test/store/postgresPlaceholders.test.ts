import { describe, expect, it } from 'vitest';
import { toNumberedPlaceholders } from '../../src/store/postgresPlaceholders.js';

describe('toNumberedPlaceholders', () => {
  it('numbers each ? in order', () => {
    expect(toNumberedPlaceholders('UPDATE t SET a = ?, b = ? WHERE id IN (?, ?)')).toBe('UPDATE t SET a = $1, b = $2 WHERE id IN ($3, $4)');
  });

  it('leaves a ? in a string literal, a quoted identifier or a comment alone', () => {
    expect(toNumberedPlaceholders(`SELECT 'it''s ?', "odd?name" FROM t -- why?\nWHERE a = ? /* ? */ AND b = ?`)).toBe(
      `SELECT 'it''s ?', "odd?name" FROM t -- why?\nWHERE a = $1 /* ? */ AND b = $2`,
    );
  });
});
