#!/usr/bin/env node
// The `hearthook` command (package.json "bin": dist/cli.js). Each command lives in src/cli/.
import { Command } from 'commander';
import { exitWithError } from './cli/exit.js';
import { listenCommand } from './cli/listen.js';
import { migrateCommand } from './cli/migrate.js';
import { rotateMasterKeyCommand } from './cli/rotateMasterKey.js';
import { serveCommand } from './cli/serve.js';
import { simulateCommand } from './cli/simulate.js';
import { triggerCommand } from './cli/trigger.js';
import { packageVersion } from './util/packageVersion.js';

const program = new Command('hearthook')
  .description('Hearthook: event notifications from connected HVAC systems to partner webhooks')
  .version(packageVersion);

serveCommand(program);
migrateCommand(program);
simulateCommand(program);
listenCommand(program);
triggerCommand(program);
rotateMasterKeyCommand(program);

program.parseAsync().catch(exitWithError);
