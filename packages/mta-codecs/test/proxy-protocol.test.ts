import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeProxyHeader, encodeProxyV1, encodeProxyV2, proxyAddresses, PROXY_V2_SIGNATURE } from '../src/proxy-protocol.ts';

test('v1 header is the exact text line of the spec', () => {
  const a = proxyAddresses('192.0.2.1', 56324, '127.0.0.1', 25);
  assert.equal(encodeProxyV1(a).toString('latin1'), 'PROXY TCP4 192.0.2.1 127.0.0.1 56324 25\r\n');
  assert.equal(encodeProxyV1(proxyAddresses('2001:db8::1', 1, '::1', 25)).toString(), 'PROXY TCP6 2001:db8::1 ::1 1 25\r\n');
  assert.equal(encodeProxyV1(null).toString(), 'PROXY UNKNOWN\r\n');
  assert.throws(() => proxyAddresses('192.0.2.1', 1, '::1', 25), /bad destination/);
  assert.throws(() => proxyAddresses('192.0.2.1', 70000, '127.0.0.1', 25), /bad port/);
});

test('v2 header bytes match the spec layout (signature, 0x21, 0x11, length 12, addresses, ports)', () => {
  const buf = encodeProxyV2(proxyAddresses('192.0.2.1', 0x1234, '127.0.0.1', 25));
  assert.equal(buf.length, 28);
  assert.deepEqual(buf.subarray(0, 12), PROXY_V2_SIGNATURE);
  assert.equal(buf.toString('hex', 12), '21' + '11' + '000c' + 'c0000201' + '7f000001' + '1234' + '0019');
  const v6 = encodeProxyV2(proxyAddresses('2001:db8::1', 1, '::1', 25));
  assert.equal(v6.length, 52);
  assert.equal(v6.toString('hex', 12, 16), '21210024');
  assert.equal(v6.toString('hex', 16, 32), '20010db8000000000000000000000001');
  assert.equal(v6.toString('hex', 32, 48), '00000000000000000000000000000001');
  const local = encodeProxyV2(null);
  assert.equal(local.toString('hex', 12), '20000000');
});

test('decoder reads back v1 and v2, reports the header length and waits for more bytes', () => {
  const a = proxyAddresses('192.0.2.1', 40000, '127.0.0.1', 25);
  for (const enc of [encodeProxyV1(a), encodeProxyV2(a)]) {
    const withBanner = Buffer.concat([enc, Buffer.from('EHLO x\r\n')]);
    const d = decodeProxyHeader(withBanner);
    assert.equal(d.status, 'complete');
    if (d.status === 'complete') {
      assert.equal(d.length, enc.length);
      assert.deepEqual(d.header.command === 'proxy' && d.header.addresses, a);
    }
    for (let n = 1; n < enc.length; n++) assert.equal(decodeProxyHeader(enc.subarray(0, n)).status, 'incomplete', `prefix ${n}`);
  }
  assert.equal(decodeProxyHeader(Buffer.from('EHLO x\r\n')).status, 'invalid');
  assert.equal(decodeProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 99999 25\r\n')).status, 'invalid');
  assert.equal(decodeProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 ::1 1 25\r\n')).status, 'invalid');
  assert.equal(decodeProxyHeader(Buffer.from('PROXY ' + 'x'.repeat(120))).status, 'invalid');
  const bad = encodeProxyV2(a);
  bad[12] = 0x11;
  assert.equal(decodeProxyHeader(bad).status, 'invalid');
});

test('property: any IPv4/IPv6 address pair and ports round-trip through v1 and v2', () => {
  const v4 = fc.ipV4();
  const v6 = fc.ipV6();
  const port = fc.integer({ min: 0, max: 65535 });
  fc.assert(
    fc.property(fc.oneof(fc.tuple(v4, v4), fc.tuple(v6, v6)), port, port, ([src, dst], sp, dp) => {
      const a = proxyAddresses(src, sp, dst, dp);
      for (const enc of [encodeProxyV1(a), encodeProxyV2(a)]) {
        const d = decodeProxyHeader(enc);
        assert.equal(d.status, 'complete');
        if (d.status !== 'complete' || d.header.command !== 'proxy') return;
        assert.equal(d.header.addresses.sourcePort, sp);
        assert.equal(d.header.addresses.destinationPort, dp);
        if (a.family === 'TCP4') {
          assert.equal(d.header.addresses.sourceAddress, src);
        } else {
          // v2 carries bytes: compare canonical forms.
          assert.equal(canon6(d.header.addresses.sourceAddress), canon6(src));
          assert.equal(canon6(d.header.addresses.destinationAddress), canon6(dst));
        }
      }
    }),
  );
});

function canon6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname;
}
