import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BpfError, toBpfError } from './addon.ts';

describe('addon errors', () => {
  it('turns the addon’s errors into BpfError with code, errno, op and log', () => {
    const raw = Object.assign(new Error('load: Permission denied'), { code: 'EACCES', errno: 13, op: 'load', log: 'R2 invalid mem access' });
    const e = toBpfError(raw);
    assert.ok(e instanceof BpfError);
    assert.equal(e.code, 'EACCES');
    assert.equal(e.errno, 13);
    assert.equal(e.op, 'load');
    assert.match(e.log, /invalid mem access/);
    assert.equal(e.permanent, true);
    assert.equal(new BpfError('x', 'EAGAIN', 11, 'update', '').permanent, false);
  });

  it('leaves other errors alone', () => {
    const t = new TypeError('unknown map x');
    assert.equal(toBpfError(t), t);
  });
});
