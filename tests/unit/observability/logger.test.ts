import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/observability/logger.js';

/** A logger at `level` whose JSON lines are collected, parsed. */
function capture(level: string): { logger: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(level, { destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes JSON lines at or above the level', () => {
    const { logger, lines } = capture('warn');
    logger.info('hidden');
    logger.warn({ port: 4000 }, 'shown');
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'shown', port: 4000 })]);
  });

  it('redacts authorization headers, tokens and secrets', () => {
    const { logger, lines } = capture('info');
    logger.info({
      req: { headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=1', accept: 'text/event-stream' } },
      connectionParams: { authorization: 'Bearer abc.def.ghi' },
      token: 'abc.def.ghi',
      tokens: { token: 'abc.def.ghi' },
      config: { jwtSecret: 'the-secret', port: 4000 },
      secret: 'the-secret',
    });
    const [line] = lines;
    expect(JSON.stringify(line)).not.toMatch(/abc\.def\.ghi|the-secret|sid=1/);
    expect(line).toMatchObject({
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'text/event-stream' } },
      config: { jwtSecret: '[redacted]', port: 4000 },
    });
  });

  it('is quiet at silent and refuses an unknown level', () => {
    const { logger, lines } = capture('silent');
    logger.fatal('nothing');
    expect(lines).toEqual([]);
    expect(() => createLogger('loud')).toThrow(/level:loud/);
  });

  it('writes one readable line per record in dev mode, secrets still redacted', () => {
    const raw: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', { readable: true, destination });
    logger.info({ port: 4000, token: 'abc.def.ghi' }, 'pulse listening');
    const text = raw.join('');
    expect(text).toMatch(/INFO.*pulse listening/);
    expect(text).toMatch(/port\W+4000/);
    expect(text).not.toContain('abc.def.ghi');
    expect(() => JSON.parse(text)).toThrow();
  });
});
