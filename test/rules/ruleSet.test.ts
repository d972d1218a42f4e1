import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/ruleSet.js';
import { startTestHearthook } from '../helpers/testRuntime.js';

const dir = mkdtempSync(join(tmpdir(), 'hearthook-rules-'));
function operatorFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('rule set', () => {
  it('loads the default rules with the documented defaults', () => {
    const rules = loadRules();
    expect(rules.offlineAfter).toBe(15 * 60_000);
    expect(rules.transientFaultWindow).toBe(2 * 60_000);
    expect(rules.dailyAggregateGrace).toBe(5 * 60_000);
    expect([...rules.relevantSeverities]).toEqual(['ERROR', 'WARNING']);
    expect([...rules.notAvailable]).toEqual([32767, -32768]);
    expect(rules.ruleFor('hvac.emon.compressor.powerCurrent').report).toBe('threshold');
    expect(rules.ruleFor('hvac.cascade.hs1.emon.compressor.powerCurrent').report).toBe('threshold');
    expect(rules.ruleFor('hvac.emon.compressor.energyConsumption').counter).toBe(true);
    expect(rules.ruleFor('hvac.emon.compressor.operationStatus').report).toBe('onChange');
    expect(rules.ruleFor('hvac.something.new').report).toBe('onChange');
    expect(rules.startsDomains.get('hvac.compressor.pool.numberOfStarts')).toBe('pool');
  });

  it('ships a fault catalog of at least 25 codes in English and German', () => {
    const catalog = Object.entries(loadRules().data.faults.catalog).filter(([code]) => !code.startsWith('$'));
    expect(catalog.length).toBeGreaterThanOrEqual(25);
    for (const [code, texts] of catalog) {
      expect(code).toMatch(/^[A-Z0-9]+\/\d+$/);
      expect(texts.en.length).toBeGreaterThan(5);
      expect(texts.de.length).toBeGreaterThan(5);
    }
    expect(loadRules().describeFault('a11', 3061).de).toContain('Mischermodul');
  });

  it('deep-merges an operator file over the defaults: objects by key, null removes', () => {
    const file = operatorFile('ok.json', {
      faults: { transientFaultWindow: '5m', catalog: { 'X1/1': { en: 'Custom', de: 'Eigen' } } },
      dataPoints: {
        keys: {
          '*.emon.compressor.powerCurrent': { threshold: { absolute: 250 } },
          'hvac.system.sensor.t0': { report: 'ignore' },
          '*.emon.compressor.operationStatus': null,
        },
      },
    });
    const rules = loadRules(file);
    expect(rules.transientFaultWindow).toBe(5 * 60_000);
    expect(rules.offlineAfter).toBe(15 * 60_000);
    expect(rules.ruleFor('hvac.emon.compressor.powerCurrent')).toEqual({
      report: 'threshold',
      valueType: 'number',
      threshold: { absolute: 250, relative: 0.1 },
      unit: 'W',
    });
    expect(rules.ruleFor('hvac.system.sensor.t0').report).toBe('ignore');
    expect(rules.describeFault('X1', 1)).toEqual({ en: 'Custom', de: 'Eigen' });
    expect(rules.describeFault('A11', 3061).en).toContain('mixer module');
  });

  it('prefers an exact key over patterns, and a longer pattern over a shorter one', () => {
    const rules = loadRules(
      operatorFile('specific.json', {
        dataPoints: {
          keys: {
            'hvac.*': { report: 'ignore' },
            'hvac.cascade.*.emon.compressor.powerCurrent': { report: 'onChange' },
            'hvac.emon.compressor.powerCurrent': { report: 'threshold', threshold: { absolute: 1 } },
          },
        },
      }),
    );
    expect(rules.ruleFor('hvac.cascade.hs2.emon.compressor.powerCurrent').report).toBe('onChange');
    expect(rules.ruleFor('hvac.emon.compressor.powerCurrent').threshold).toEqual({ absolute: 1 });
    expect(rules.ruleFor('hvac.heatingCircuit.hc1.flowTemperature').report).toBe('ignore');
  });

  it('fails to load a bad operator file with an error naming the file and each bad path', () => {
    const file = operatorFile('bad.json', {
      faults: { transientFaultWindow: '2 minutes', relevantSeverities: ['ERROR', 'FATAL'], catalog: { A11: { en: 'x' }, 'E1/7': { de: 'y' } } },
      dataPoints: {
        keys: {
          'hvac.x': { report: 'threshold' },
          'hvac.y': { report: 'sometimes' },
          'hvac.z': { report: 'threshold', threshold: { absolute: 1 }, valueType: 'string' },
          'hvac.w': { report: 'onChange', valueType: 'text' },
        },
      },
      connectivty: {},
    });
    expect(() => loadRules(file)).toThrowError(file);
    let message = '';
    try {
      loadRules(file);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('/faults/transientFaultWindow');
    expect(message).toContain('/faults/relevantSeverities/1');
    expect(message).toContain('/dataPoints/keys/hvac.x/threshold');
    expect(message).toContain('/dataPoints/keys/hvac.y/report');
    expect(message).toContain('/dataPoints/keys/hvac.z/valueType: a threshold or counter rule compares numbers');
    expect(message).toContain('/dataPoints/keys/hvac.w/valueType: must be one of number, string, any');
    expect(message).toContain('/connectivty: is not a known setting');
    expect(message).toContain('/faults/catalog/A11: the key must be <displayCode>/<causeCode>');
    expect(message).toContain('/faults/catalog/E1/7/en: an English text is required');
  });

  it('fails to load an operator file that is missing or not JSON, naming it', () => {
    expect(() => loadRules(join(dir, 'missing.json'))).toThrowError(/cannot read rules file .*missing\.json/);
    const broken = operatorFile('broken.json', '{ "faults": ');
    expect(() => loadRules(broken)).toThrowError(/broken\.json is not valid JSON/);
  });

  it('makes Hearthook refuse to start with a bad rules file', async () => {
    const file = operatorFile('start.json', { connectivity: { offlineAfter: 'soon' } });
    await expect(startTestHearthook({ rulesFile: file })).rejects.toThrowError('/connectivity/offlineAfter');
  });

  it('runs with the operator rules when the file is good', async () => {
    const hh = await startTestHearthook({ rulesFile: operatorFile('good.json', { connectivity: { offlineAfter: '5m' } }) });
    try {
      expect(hh.rt.rules.offlineAfter).toBe(5 * 60_000);
    } finally {
      await hh.close();
    }
  });
});
