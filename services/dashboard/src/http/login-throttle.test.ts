// LoginThrottle on a fake clock: the limit, the doubling back-off and its cap, the window, the reset
// on success and the bound on memory.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKey, LoginThrottle, type LoginThrottleOptions } from './login-throttle';

function throttleAt(options: LoginThrottleOptions = {}) {
  const clock = { now: 1_000_000 };
  const throttle = new LoginThrottle({ ...options, now: () => clock.now });
  return { throttle, clock };
}

describe('LoginThrottle', () => {
  test('refuses an address after 10 failures, for 1 s doubling with each further failure up to 5 min', () => {
    const { throttle, clock } = throttleAt();
    for (let i = 1; i <= 9; i += 1) {
      assert.deepEqual(throttle.fail('10.0.0.1'), { failures: i, backoffMs: 0 });
      assert.equal(throttle.refusedForMs('10.0.0.1'), 0, `not refused after ${i} failures`);
      clock.now += 1000;
    }
    assert.deepEqual(throttle.fail('10.0.0.1'), { failures: 10, backoffMs: 1000 });
    assert.equal(throttle.refusedForMs('10.0.0.1'), 1000);
    clock.now += 400;
    assert.equal(throttle.refusedForMs('10.0.0.1'), 600, 'the wait counts down');
    clock.now += 600;
    assert.equal(throttle.refusedForMs('10.0.0.1'), 0, 'allowed again once the back-off has passed');

    const backoffs: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      const { backoffMs } = throttle.fail('10.0.0.1');
      backoffs.push(backoffMs);
      clock.now += backoffMs;
    }
    assert.deepEqual(backoffs, [2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000, 300000, 300000]);
    assert.equal(throttle.refusedForMs('10.0.0.2'), 0, 'other addresses are not affected');
  });

  test('refused attempts do not lengthen the back-off: only failures do', () => {
    const { throttle, clock } = throttleAt({ maxFailures: 2 });
    throttle.fail('a');
    throttle.fail('a');
    for (let i = 0; i < 50; i += 1) {
      assert.ok(throttle.refusedForMs('a') > 0);
      clock.now += 10;
    }
    clock.now += 500;
    assert.equal(throttle.refusedForMs('a'), 0);
  });

  test('a success forgets the address', () => {
    const { throttle, clock } = throttleAt({ maxFailures: 3 });
    for (let i = 0; i < 4; i += 1) throttle.fail('a');
    clock.now += 2000;
    assert.equal(throttle.refusedForMs('a'), 0);
    throttle.succeed('a');
    assert.equal(throttle.size, 0);
    assert.deepEqual(throttle.fail('a'), { failures: 1, backoffMs: 0 }, 'counting starts again');
  });

  test('failures count while each comes within the window of the previous one; a longer pause starts afresh', () => {
    const { throttle, clock } = throttleAt({ maxFailures: 3, windowMs: 60_000 });
    throttle.fail('a');
    clock.now += 59_000;
    throttle.fail('a');
    clock.now += 59_000;
    assert.deepEqual(throttle.fail('a'), { failures: 3, backoffMs: 1000 }, 'spread over two minutes, still consecutive');
    clock.now += 1000 + 60_001;
    assert.equal(throttle.refusedForMs('a'), 0);
    assert.equal(throttle.size, 0, 'an expired address is forgotten when looked at');
    assert.deepEqual(throttle.fail('a'), { failures: 1, backoffMs: 0 });
  });

  test('the window runs from the end of a back-off longer than it', () => {
    const { throttle, clock } = throttleAt({ maxFailures: 1, windowMs: 1000, initialBackoffMs: 5000, maxBackoffMs: 5000 });
    throttle.fail('a');
    clock.now += 5500;
    assert.deepEqual(throttle.fail('a'), { failures: 2, backoffMs: 5000 }, 'not forgotten just because the back-off outlasted the window');
  });

  test('tracks at most maxAddresses, forgetting the least recently failed first', () => {
    const { throttle, clock } = throttleAt({ maxFailures: 2, maxAddresses: 3 });
    for (const address of ['a', 'b', 'c']) {
      throttle.fail(address);
      throttle.fail(address);
      clock.now += 1;
    }
    throttle.fail('a'); // a failed most recently now: b is the oldest
    throttle.fail('d');
    assert.equal(throttle.size, 3);
    assert.equal(throttle.refusedForMs('b'), 0, 'b was forgotten');
    assert.ok(throttle.refusedForMs('a') > 0, 'a is still refused');
    assert.ok(throttle.refusedForMs('c') > 0, 'c is still refused');
    for (let i = 0; i < 1000; i += 1) throttle.fail(`x${i}`);
    assert.equal(throttle.size, 3, 'a flood of addresses stays bounded');
  });

  test('expired addresses are dropped when another address fails, without being looked up', () => {
    const { throttle, clock } = throttleAt({ maxFailures: 1, windowMs: 1000 });
    throttle.fail('old'); // refused until +1000, forgotten after +2000
    clock.now += 1500;
    throttle.fail('live');
    assert.equal(throttle.size, 2, 'old is not expired yet');
    clock.now += 600;
    throttle.fail('new');
    assert.equal(throttle.size, 2, 'old was dropped');
    assert.equal(throttle.fail('live').failures, 2, 'live was kept');
  });

  test('refuses options that are not positive integers', () => {
    assert.throws(() => new LoginThrottle({ maxFailures: 0 }), /maxFailures must be a positive integer/);
    assert.throws(() => new LoginThrottle({ maxBackoffMs: 1.5 }), /maxBackoffMs/);
  });
});

describe('clientKey', () => {
  test('an IPv4-mapped IPv6 address is its IPv4 address; no address is "unknown"', () => {
    assert.equal(clientKey('::ffff:10.0.0.7'), '10.0.0.7');
    assert.equal(clientKey('10.0.0.7'), '10.0.0.7');
    assert.equal(clientKey(undefined), 'unknown');
  });

  test('IPv6 addresses of one /64 share a key (one host can rotate through all of them)', () => {
    assert.equal(clientKey('2001:DB8:0:1::1'), '2001:db8:0:1::/64');
    assert.equal(clientKey('2001:db8:0:1:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
    assert.equal(clientKey('2001:0db8:0000:0001:ffff::'), '2001:db8:0:1::/64');
    assert.notEqual(clientKey('2001:db8:0:2::1'), clientKey('2001:db8:0:1::1'));
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(clientKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
    assert.equal(clientKey('1:2:3::4:5:6:7:8:9'), '1:2:3::4:5:6:7:8:9', 'unparsable: the address itself');

    const { throttle } = throttleAt({ maxFailures: 2 });
    throttle.fail(clientKey('2001:db8:0:1::a'));
    throttle.fail(clientKey('2001:db8:0:1::b'));
    assert.ok(throttle.refusedForMs(clientKey('2001:db8:0:1::c')) > 0, 'a third address of the /64 is refused');
    assert.equal(throttle.refusedForMs(clientKey('2001:db8:0:2::a')), 0, 'another /64 is not');
  });
});
