// The DNS and network rules against the real kernel: queries sent to a local resolver on
// 127.0.0.1:53 (fixtures/resolver.mjs), connections that are refused on loopback. They run
// once the sensor produces dns and connect events (issue 4) and say so until then.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { missingEventTypes, ruleTest, run, startResolver, trigger, useRuleSuite, type Resolver } from './harness.ts';

describe('dns rules', { skip: missingEventTypes('dns') ?? false }, () => {
  const t = useRuleSuite();
  let resolver: Resolver;
  before(async () => {
    resolver = await startResolver();
  });
  after(() => resolver?.close());
  const NULL = 10;
  const TXT = 16;

  ruleTest(t, {
    rule: 'vigil_ip_lookup_service_dns',
    trigger: () => trigger('dns', 'ifconfig.me'),
    nearMiss: () => trigger('dns', 'www.example.com'),
    check: (ev) => assert.equal(ev.dns?.question.name, 'ifconfig.me'),
  });
  ruleTest(t, {
    rule: 'vigil_dns_tunneling_long_query',
    trigger: () => trigger('dns', 'mzxw6ytboi4dkmrqgq3tcnzzgu2dqnbxgu2dqnbxmzxw6ytboi4dkmrqgq3t.t1.tunnel.example'),
    nearMiss: () => trigger('dns', 'a1b2c3d4e5f6.cloudfront.example'),
    check: (ev) => assert.ok((ev.dns?.question.name.split('.')[0]?.length ?? 0) >= 52),
  }, 'fires on a 60-character label, quiet on an ordinary hashed name');
  ruleTest(t, {
    rule: 'vigil_dns_tunneling_record_type',
    trigger: () => trigger('dns', 'p4ck3t.t.tunnel.example', String(NULL)),
    nearMiss: () => trigger('dns', 'example.com', String(TXT)),
    check: (ev) => assert.equal(ev.dns?.question.type, NULL),
  }, 'fires on a NULL query, quiet on a short TXT query');
  ruleTest(t, {
    rule: 'vigil_paste_site_dns',
    trigger: () => trigger('dns', 'pastebin.com'),
    nearMiss: () => trigger('dns', 'docs.example.com'),
  });
  ruleTest(t, {
    rule: 'vigil_tunnel_service_dns',
    trigger: () => trigger('dns', '3f2a9c1b7d.ngrok-free.app'),
    nearMiss: () => trigger('dns', 'ngrok.com'),
  }, 'fires on an ngrok tunnel name, quiet on the vendor site');
  ruleTest(t, {
    rule: 'vigil_tor_onion_dns',
    trigger: () => trigger('dns', 'duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion'),
    nearMiss: () => trigger('dns', 'onion.example.com'),
  });
});

describe('network rules', { skip: missingEventTypes('connect') ?? false }, () => {
  const t = useRuleSuite();

  ruleTest(t, {
    rule: 'vigil_shell_network_connection',
    trigger: () => run('/bin/bash', ['-c', 'exec 3<>/dev/tcp/127.0.0.1/9 || true']),
    nearMiss: () => trigger('connect', '127.0.0.1', '9'),
    check: (ev) => {
      assert.equal(ev.process.file.name, 'bash');
      assert.equal(ev.connect?.addr.port, 9);
    },
  }, 'fires on bash connecting through /dev/tcp (refused), quiet on another program connecting');
});
