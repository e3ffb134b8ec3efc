import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DockerClient } from '../../src/engine/docker-client.js';
import { MAX_BODY, ResponseReader, type ParsedResponse } from '../../src/engine/http1.js';

/** Feed `raw` to a reader in pieces of `step` bytes (1 = every possible split); end() if it never completed. */
function read(raw: string | Buffer, step: number, method = 'GET'): ParsedResponse {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1');
  const reader = new ResponseReader(method);
  for (let i = 0; i < bytes.length; i += step) {
    const done = reader.push(bytes.subarray(i, i + step));
    if (done) return done;
  }
  return reader.end();
}

describe('HTTP/1.1 answers on a plain socket (engine/http1.ts)', () => {
  const body = '{"Id":"abc","Name":"/web","Multi":"a\\r\\nb 0\\r\\n\\r\\n"}';

  it('Content-Length, split anywhere, headers lower-cased and repeated ones joined', () => {
    const raw = `HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nX-A: 1\r\nX-A: 2\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    for (const step of [1, 2, 7, raw.length]) {
      const r = read(raw, step);
      assert.equal(r.status, 200);
      assert.equal(r.headers['api-version'], '1.41');
      assert.equal(r.headers['x-a'], '1, 2');
      assert.equal(r.body.toString(), body);
    }
  });

  it('chunked transfer coding, with extensions and trailers, split at every byte', () => {
    const parts = [body.slice(0, 5), body.slice(5, 40), body.slice(40)];
    const chunks = parts.map((p, i) => `${p.length.toString(16)}${i === 1 ? ';ext=1' : ''}\r\n${p}\r\n`).join('');
    for (const tail of ['0\r\n\r\n', '0\r\nX-Trailer: 1\r\n\r\n']) {
      const raw = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}${tail}`;
      for (const step of [1, 3, raw.length]) assert.equal(read(raw, step).body.toString(), body, `step ${step}`);
    }
  });

  it('binary data that looks like a chunk end is data (a tar stream)', () => {
    const data = Buffer.from('\r\n0\r\n\r\n\x00\xff', 'latin1');
    const raw = Buffer.concat([
      Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${data.length.toString(16)}\r\n`),
      data,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    for (const step of [1, 4, raw.length]) assert.deepEqual(read(raw, step).body, data);
  });

  it('no length: the body ends with the connection; 204 and HEAD have none', () => {
    assert.equal(read(`HTTP/1.0 200 OK\r\n\r\n${body}`, 5).body.toString(), body);
    assert.equal(read('HTTP/1.1 204 No Content\r\n\r\n', 100).body.length, 0);
    assert.equal(read('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 100, 'HEAD').body.length, 0);
  });

  it('a cut or malformed answer is an error, never a short body', () => {
    assert.throws(() => read('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', 100), /before its answer was complete/);
    assert.throws(() => read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab', 100), /before its answer was complete/);
    assert.throws(() => read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 100), /invalid chunk header/);
    assert.throws(() => read('SSH-2.0-OpenSSH\r\n\r\n', 100), /not an HTTP answer/);
    assert.throws(() => read('', 1), /without answering/);
    // A chunk's data must end where its size says, and its size be hex digits only.
    assert.throws(() => read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n', 100), /longer than its size/);
    assert.throws(() => read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3g\r\nabc\r\n0\r\n\r\n', 100), /invalid chunk header/);
    // Trailers that never end are cut as a head is, not held without end.
    const trailers = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-A: ${'a'.repeat(70 * 1024)}`;
    assert.throws(() => read(trailers, 4096), /oversized trailers/);
  });

  it('an answer that would not end is cut at MAX_BODY, whatever its framing says', () => {
    const mib = Buffer.alloc(1024 * 1024, 0x61);
    const heads = [
      `HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY * 2}\r\n\r\n`,
      'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n',
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${(MAX_BODY * 2).toString(16)}\r\n`,
    ];
    for (const head of heads) {
      const reader = new ResponseReader('GET');
      assert.equal(reader.push(Buffer.from(head, 'latin1')), undefined);
      // The same MiB again and again: the reader keeps references, so the test itself stays small.
      for (let i = 0; i < MAX_BODY / mib.length; i++) assert.equal(reader.push(mib), undefined, head);
      assert.throws(() => reader.push(mib), /answer over 128 MiB/, head);
    }
  });
});

describe('an engine that sends without end (a remote dockerd cx does not control)', () => {
  it('costs one error at the client’s cut, with either client, never all of memory', async () => {
    const dir = await mkdtemp('/tmp/cx-endless-');
    const socketPath = path.join(dir, 'engine.sock');
    const mib = Buffer.alloc(1024 * 1024, 0x61);
    // Answers any request with a chunked body that never ends, as fast as the client reads.
    const server = net.createServer((conn) => {
      conn.on('error', () => undefined);
      conn.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      // Each chunk whole in one write (a write that returns false still goes out whole).
      const chunk = Buffer.concat([Buffer.from(`${mib.length.toString(16)}\r\n`), mib, Buffer.from('\r\n')]);
      const more = (): void => {
        while (!conn.destroyed && conn.write(chunk));
      };
      conn.on('drain', more);
      more();
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      for (const pooled of [false, true]) {
        // A smaller cut than MAX_BODY (the reader's own test covers that one): the same code path.
        const client = new DockerClient({ socketPath, origin: 'DOCKER_HOST' }, { deadlineMs: 60_000, pooled, maxBody: 8 * 1024 * 1024 });
        await assert.rejects(client.raw('GET', '/containers/json'), /answer over 8 MiB/, `pooled: ${pooled}`);
        client.close();
      }
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
