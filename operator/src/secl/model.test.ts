import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, isPublicIp, parseCidr, parseIp } from './cidr.ts';
import { parseDuration } from './duration.ts';
import { SeclError } from './errors.ts';
import { execEvent, proc } from './fixtures.ts';
import { argsFlags, argsOptions, extensionOf, FIELDS, getField, isDatadogField, RULE_EVENT_TYPES } from './model.ts';

describe('model', () => {
  it('reads fields from the event as documented in event.ts', () => {
    const ev = execEvent('/usr/bin/curl', ['-o', 'x', '--silent'], proc('/bin/bash', [], { pid: 7 }));
    assert.equal(getField('exec.file.path')?.get(ev), '/usr/bin/curl');
    assert.equal(getField('process.parent.pid')?.get(ev), 7);
    assert.deepEqual(getField('process.ancestors.file.name')?.get(ev), ['bash']);
    assert.deepEqual(getField('exec.args_options')?.get(ev), ['o=x']);
    assert.equal(getField('container.id')?.get(ev), '');
  });
  it('parses flags and options like Datadog', () => {
    assert.deepEqual(argsFlags(['-ln', '--version', '--width=8', '-', 'x']), ['l', 'n', 'ln', 'version']);
    assert.deepEqual(argsOptions(['-T', '8', '--width=8', '-x', '-y']), ['T=8', 'width=8']);
    assert.equal(extensionOf('a.tar.gz'), '.gz');
    assert.equal(extensionOf('.bashrc'), '');
  });
  it('covers the event types of the sensor and knows Datadog-only fields by name', () => {
    for (const t of ['exec', 'exit', 'open', 'dns', 'connect', 'ptrace', 'bpf', 'load_module', 'mount', 'setuid', 'signal', 'removexattr', 'utimes']) {
      assert.ok(RULE_EVENT_TYPES.includes(t as never), t);
    }
    assert.ok(FIELDS.size > 900);
    assert.equal(isDatadogField('packet.filter'), true);
    assert.equal(isDatadogField('exec.file.path'), false);
    assert.equal(isDatadogField('nonsense.field'), false);
  });
});

describe('cidr', () => {
  it('parses IPv4, IPv6 and mapped addresses', () => {
    assert.deepEqual([...(parseIp('10.1.2.3') ?? [])], [10, 1, 2, 3]);
    assert.equal(parseIp('::ffff:10.1.2.3')?.length, 4);
    assert.equal(parseIp('fe80::1')?.length, 16);
    assert.equal(parseIp('1.2.3'), null);
  });
  it('matches ranges and tells public addresses', () => {
    assert.ok(cidrContains(parseCidr('10.0.0.0/8')!, parseIp('10.9.9.9')!));
    assert.ok(!cidrContains(parseCidr('10.0.0.0/8')!, parseIp('11.0.0.1')!));
    assert.ok(cidrContains(parseCidr('fe80::/10')!, parseIp('fe80::abcd')!));
    assert.equal(parseCidr('10.0.0.0/40'), null);
    assert.deepEqual(['8.8.8.8', '10.0.0.1', '127.0.0.1', '::1', '2606:4700::1111', '100.64.1.1'].map(isPublicIp), [true, false, false, false, true, false]);
  });
});

describe('durations', () => {
  it('parses Go durations and nanoseconds', () => {
    assert.equal(parseDuration('10s'), 10e9);
    assert.equal(parseDuration('1h30m'), 5400e9);
    assert.equal(parseDuration('1.5s'), 1.5e9);
    assert.equal(parseDuration(600000000000), 600e9);
    assert.throws(() => parseDuration('soon'), (e: unknown) => e instanceof SeclError && e.code === 'invalid_duration');
  });
});
