// The crypto-mining rules (the Active Protection targets) against the real kernel: miner
// names, command lines and environments with renamed copies of /usr/bin/true; pool lookups
// and connections through a local resolver once the sensor has DNS and network events.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { missingEventTypes, ruleTest, run, skipReason, startResolver, trigger, useRuleSuite, type Resolver } from './harness.ts';

const skip = skipReason();

describe('crypto-mining rules', { skip: skip ?? false }, () => {
  const t = useRuleSuite();

  ruleTest(t, {
    rule: 'vigil_crypto_miner_exec',
    trigger: () => run(t.scratch.tool('xmrig'), ['--version']),
    nearMiss: () => run(t.scratch.tool('mining-report'), ['--version']),
    check: (ev) => {
      assert.equal(ev.process.file.name, 'xmrig');
      assert.equal(ev.type, 'exec');
    },
  });
  ruleTest(t, {
    rule: 'vigil_crypto_miner_command_line',
    trigger: () => run(t.scratch.tool('kswapd-helper'), ['-o', 'stratum+tcp://127.0.0.1:3333', '-u', '44AFFq5kSiGBoZ', '--donate-level', '1']),
    nearMiss: () => run(t.scratch.tool('kswapd-helper'), ['https://docs.example/stratum-protocol.html']),
    check: (ev) => assert.ok(ev.process.argv.includes('stratum+tcp://127.0.0.1:3333')),
  }, 'fires on a renamed miner by its Stratum URL, quiet on a mere mention of stratum');
  ruleTest(t, {
    rule: 'vigil_crypto_mining_pool_in_args',
    trigger: () => run(t.scratch.tool('worker'), ['-o', 'pool.supportxmr.com:443', '--tls']),
    nearMiss: () => run(t.scratch.tool('worker'), ['-o', 'pool.example.com:443', '--tls']),
  });
  ruleTest(t, {
    rule: 'vigil_crypto_miner_environment',
    trigger: () => run('/usr/bin/env', ['GPU_MAX_ALLOC_PERCENT=100', 'GPU_USE_SYNC_OBJECTS=1', '/usr/bin/true']),
    nearMiss: () => run('/usr/bin/env', ['GPU_DEVICE_ORDINAL=0', '/usr/bin/true']),
    check: (ev) => assert.ok(ev.process.envp.includes('GPU_MAX_ALLOC_PERCENT=100')),
  });
  ruleTest(t, {
    rule: 'vigil_crypto_miner_environment',
    trigger: () => run('/usr/bin/env', ['POOL=stratum+ssl://gulf.moneroocean.stream:20128', '/usr/bin/true']),
    nearMiss: () => run('/usr/bin/env', ['POOL=postgres://db.internal:5432', '/usr/bin/true']),
  }, 'fires on a pool URL in the environment, quiet on another URL');

  describe('over DNS and the network', { skip: missingEventTypes('dns', 'connect') ?? false }, () => {
    let resolver: Resolver;
    before(async () => {
      resolver = await startResolver();
    });
    after(() => resolver?.close());

    ruleTest(t, {
      rule: 'vigil_mining_pool_dns',
      trigger: () => trigger('dns', 'pool.minexmr.com'),
      nearMiss: () => trigger('dns', 'www.example.com'),
      check: (ev) => assert.equal(ev.dns?.question.name, 'pool.minexmr.com'),
    }, 'fires on a lookup of pool.minexmr.com (local resolver), quiet on www.example.com');
    ruleTest(t, {
      rule: 'vigil_mining_pool_connection',
      trigger: () => trigger('resolve-connect', 'gulf.moneroocean.stream', '10128'),
      nearMiss: () => trigger('resolve-connect', 'www.example.com', '10128'),
      check: (ev) => assert.equal(ev.connect?.addr.hostname, 'gulf.moneroocean.stream'),
    }, 'fires on a connect to the address a pool name resolved to, quiet for another name');
  });
});
