#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startEmulator } from './emulator.js';
import { consoleLogger } from './logger.js';

const USAGE = `Usage: wolaro-discord-emulator [options]

  --port <n>             TCP port (default 4000; 0 = any free port)
  --host <addr>          Interface to bind (default 127.0.0.1)
  --seed <demo|empty>    Initial data (default demo)
  --bot-token <token>    Bot token to accept (default: the documented dev token)
  --client-secret <s>    OAuth2 client secret (default emulator-secret)
  --heartbeat <ms>       Gateway heartbeat interval (default 41250)
  --no-privileged        Refuse privileged intents (IDENTIFY closed with 4014)
  --public-url <url>     Base URL to advertise (behind a proxy / in Docker)
  --shards <n>           Shards GET /gateway/bot recommends (default: 1 per 1000 guilds)
  --verbose              Log every request and gateway payload
  -h, --help             Show this help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      seed: { type: 'string', default: 'demo' },
      'bot-token': { type: 'string' },
      'client-secret': { type: 'string' },
      heartbeat: { type: 'string' },
      'no-privileged': { type: 'boolean', default: false },
      'public-url': { type: 'string' },
      shards: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`Invalid --port ${values.port}`);
  if (values.seed !== 'demo' && values.seed !== 'empty') throw new Error(`Invalid --seed ${values.seed}`);
  const heartbeat = values.heartbeat === undefined ? undefined : Number(values.heartbeat);
  if (heartbeat !== undefined && (!Number.isInteger(heartbeat) || heartbeat < 100)) {
    throw new Error(`Invalid --heartbeat ${values.heartbeat}`);
  }
  const shards = values.shards === undefined ? undefined : Number(values.shards);
  if (shards !== undefined && (!Number.isInteger(shards) || shards < 1)) {
    throw new Error(`Invalid --shards ${values.shards}`);
  }

  const emulator = await startEmulator({
    port,
    host: values.host,
    seed: values.seed,
    logger: consoleLogger({ verbose: values.verbose }),
    privilegedIntents: !values['no-privileged'],
    ...(values['bot-token'] === undefined ? {} : { botToken: values['bot-token'] }),
    ...(values['client-secret'] === undefined ? {} : { oauth: { clientSecret: values['client-secret'] } }),
    ...(heartbeat === undefined ? {} : { heartbeatIntervalMs: heartbeat }),
    ...(values['public-url'] === undefined ? {} : { publicUrl: values['public-url'] }),
    ...(shards === undefined ? {} : { recommendedShards: shards }),
  });
  console.log(`Discord emulator: ${emulator.url}`);
  console.log(`  REST (discord.js rest.api): ${emulator.apiUrl}`);
  console.log(`  Gateway:                    ${emulator.gatewayUrl}`);
  console.log(`  Control API:                ${emulator.url}/_emulator/state`);
  console.log(
    `  OAuth2 authorize:           ${emulator.url}/oauth2/authorize?client_id=${emulator.applicationId}`,
  );
  console.log(`  Application / client id:    ${emulator.applicationId}`);
  console.log(`  Client secret:              ${emulator.clientSecret}`);
  console.log(`  Bot token:                  ${emulator.botToken}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received, stopping the Discord emulator...`);
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
