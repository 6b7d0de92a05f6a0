// The race (bench/README.md), Node side: the official SDK (unipile-node-sdk
// 1.9.3, installed by bench/run.sh into build/node) walks every chat with a
// manual cursor loop, as its README lists chats, touching every item. CPU
// time (user + sys of the process, all threads: process.cpuUsage(), i.e.
// getrusage) around the walk only; start-up and require are not counted.
//   NODE_PATH=build/node/node_modules node bench/node_race.js DSN KEY PAGES
'use strict';
const { UnipileClient } = require('unipile-node-sdk');

async function main() {
  const [dsn, key, pagesArg] = process.argv.slice(2);
  const pages = Number(pagesArg);
  const perPage = 250;
  const client = new UnipileClient(dsn, key);
  let count = 0;
  let idBytes = 0;
  let cursor;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  do {
    const page = await client.messaging.getAllChats({ limit: perPage, cursor });
    for (const chat of page.items) {
      count += 1;
      idBytes += chat.id.length; // touch every item
    }
    cursor = page.cursor;
  } while (cursor);
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (count !== pages * perPage) throw new Error(`expected ${pages * perPage} items, got ${count}`);
  if (idBytes !== 22 * count) throw new Error('an item without its 22-byte id');
  console.log(`items=${count} cpu_s=${((cpu.user + cpu.system) / 1e6).toFixed(6)} wall_s=${wall.toFixed(6)}`);
}

main().catch((err) => { console.error(err); process.exit(1); });
